// `gpaco show RUN --confused TRUE:PRED`: the test images behind one confusion cell, from the
// evaluation's per-image predictions (eval files v2) and the run's own test set.
import type { ClassesFile, EvalFile } from '../core/contract';
import type { Config } from '../core/config/schema';
import { decodePredictions, selectImages } from '../core/evalEncoding';
import { openTestImages } from '../data/testImages';
import { renderTable } from './render/table';

/** A class given as its label number or its name (classes.json); an error message otherwise. */
export function parseClass(text: string, classes: ClassesFile | undefined, count: number): number | string {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n < count ? n : `class ${n} is outside 0..${count - 1}`;
  }
  const i = classes?.names.indexOf(text) ?? -1;
  return i >= 0 ? i : `no class named "${text}"${classes ? '' : ' (classes.json is missing: use label numbers)'}`;
}

export function parsePair(text: string, classes: ClassesFile | undefined, count: number): { true: number; pred: number } | string {
  const at = text.lastIndexOf(':');
  if (at <= 0 || at === text.length - 1) return `--confused: expected TRUE:PRED (class numbers or names), got "${text}"`;
  const t = parseClass(text.slice(0, at), classes, count);
  const p = parseClass(text.slice(at + 1), classes, count);
  if (typeof t === 'string') return `--confused: true class: ${t}`;
  if (typeof p === 'string') return `--confused: predicted class: ${p}`;
  return { true: t, pred: p };
}

/** The lines to print, or an error message (evaluations without predictions say so). */
export async function confusedLines(
  runDir: string,
  config: Config,
  ev: EvalFile,
  classes: ClassesFile | undefined,
  pairText: string,
): Promise<{ lines: string[] } | { error: string }> {
  const c = ev.confusion.classes;
  const pair = parsePair(pairText, classes, c);
  if (typeof pair === 'string') return { error: pair };
  if (!ev.predictions) {
    return {
      error: `evaluation ${ev.tag} has no per-image predictions (an eval file of the first contract, or a trainer that does not record them): the images behind a confusion cannot be found`,
    };
  }
  const pred = decodePredictions(ev.predictions, c);
  const indices = selectImages(pred, { kind: 'cell', ...pair });
  const name = (k: number) => (classes ? `${k} (${classes.names[k]})` : String(k));
  const lines = [
    `test images of true class ${name(pair.true)} predicted as ${name(pair.pred)} at ${ev.tag}: ${indices.length} of ${pred.n}`,
  ];
  if (indices.length === 0) return { lines };
  const images = await openTestImages(config, runDir);
  if (images.count !== pred.n) {
    lines.push(
      `warning: the test set on disk has ${images.count} images but ${ev.tag} evaluated ${pred.n}: the images listed may not be the ones evaluated`,
    );
  }
  const rows = indices.map((i) => {
    const where = i < images.count ? images.describe(i) : '(beyond the test set on disk)';
    const moved = i < images.count && images.label(i) !== pair.true ? '  (label on disk differs)' : '';
    return [String(i), `${where}${moved}`];
  });
  for (const l of renderTable([{ header: 'INDEX', align: 'right' }, { header: 'IMAGE' }], rows)) lines.push(`  ${l}`);
  return { lines };
}
