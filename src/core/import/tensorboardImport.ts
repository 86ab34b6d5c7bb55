// `gpaco import tensorboard DIR`: the scalars of TensorBoard event files become a read-only run
// (docs/run-folder.md, "Imported runs"). Steps are taken as epochs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EpochRecord, EvalRecord, MetricRecord } from '../contract';
import { epochTag } from '../contract';
import { decodeEvent } from '../tfevents/event';
import { readTfRecords } from '../tfevents/tfrecord';
import { writeImportedRun } from './importedRun';
import { ImportError, readSourceBytes } from './sourceFile';

export const METRICS = ['loss', 'accuracy', 'lr', 'top1', 'top5', 'many', 'medium', 'few'] as const;
export type Metric = (typeof METRICS)[number];

/** Accuracies: a tag whose values go above 1 was logged in percent and is divided by 100. */
const ACCURACIES: ReadonlySet<Metric> = new Set(['accuracy', 'top1', 'top5', 'many', 'medium', 'few']);

/**
 * Common tag names (PyTorch SummaryWriter scripts, `gpaco export tensorboard`), compared
 * case-insensitively. `--map TAG=METRIC` adds to or overrides these.
 */
export const BUILTIN_TAGS: Readonly<Record<string, Metric>> = {
  'train/loss': 'loss',
  loss: 'loss',
  'loss/train': 'loss',
  train_loss: 'loss',
  'train/accuracy': 'accuracy',
  'train/acc': 'accuracy',
  'train/acc1': 'accuracy',
  'train/top1': 'accuracy',
  'accuracy/train': 'accuracy',
  train_acc: 'accuracy',
  lr: 'lr',
  'train/lr': 'lr',
  learning_rate: 'lr',
  'test/acc1': 'top1',
  'test/top1': 'top1',
  'test/acc': 'top1',
  'test/accuracy': 'top1',
  'val/acc1': 'top1',
  'val/top1': 'top1',
  'val/acc': 'top1',
  'accuracy/test': 'top1',
  'accuracy/val': 'top1',
  acc1: 'top1',
  top1: 'top1',
  'test/acc5': 'top5',
  'test/top5': 'top5',
  'val/acc5': 'top5',
  'val/top5': 'top5',
  acc5: 'top5',
  top5: 'top5',
  'test/many': 'many',
  'test/many_acc': 'many',
  'val/many': 'many',
  many_acc: 'many',
  many: 'many',
  'test/medium': 'medium',
  'test/medium_acc': 'medium',
  'val/medium': 'medium',
  medium_acc: 'medium',
  medium: 'medium',
  'test/few': 'few',
  'test/few_acc': 'few',
  'test/low_acc': 'few',
  'val/few': 'few',
  few_acc: 'few',
  low_acc: 'few',
  few: 'few',
};

/** Files TensorBoard itself reads: names containing "tfevents". */
const EVENT_FILE = /tfevents/;
const MAX_DEPTH = 4;

export interface TensorboardImportOptions {
  dir: string;
  runsDir: string;
  /** `TAG=METRIC` entries. */
  map?: readonly string[];
  name?: string;
  now?: Date;
}

export interface TensorboardImportResult {
  id: string;
  dir: string;
  files: string[];
  scalars: number;
  records: number;
  /** Tags read and the metric each became. */
  used: [string, Metric][];
  unmapped: string[];
  /** `file@offset: reason` for corrupt records. */
  problems: string[];
  /** `file@offset: ...` for a last record cut short. */
  torn: string[];
}

export function parseTagMap(entries: readonly string[]): Map<string, Metric> {
  const out = new Map<string, Metric>();
  for (const e of entries) {
    const eq = e.lastIndexOf('=');
    const tag = eq > 0 ? e.slice(0, eq) : '';
    const metric = eq > 0 ? e.slice(eq + 1) : '';
    if (!tag || !(METRICS as readonly string[]).includes(metric)) {
      throw new ImportError(`--map ${e}: expected TAG=METRIC with METRIC one of ${METRICS.join(', ')}`);
    }
    out.set(tag, metric as Metric);
  }
  return out;
}

function metricOf(tag: string, map: Map<string, Metric>): Metric | undefined {
  return map.get(tag) ?? BUILTIN_TAGS[tag.toLowerCase()];
}

/** Event files under `dir` (or `dir` itself when it is one), in name order (their names start with the creation time). */
export function findEventFiles(dir: string): string[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    throw new ImportError(`${dir}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (st.isFile()) return [dir];
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && depth < MAX_DEPTH) walk(p, depth + 1);
      else if (e.isFile() && EVENT_FILE.test(e.name)) out.push(p);
    }
  };
  walk(dir, 0);
  return out;
}

interface Point {
  value: number;
  wallTime: number;
}

export function importTensorboard(options: TensorboardImportOptions): TensorboardImportResult {
  const source = path.resolve(options.dir);
  const map = parseTagMap(options.map ?? []);
  const files = findEventFiles(source);
  if (files.length === 0) throw new ImportError(`${source}: no TensorBoard event files (events.out.tfevents.*) found`);

  const series = new Map<Metric, Map<number, Point>>();
  const tagsUsed = new Map<string, Metric>();
  const unmapped = new Set<string>();
  const problems: string[] = [];
  const torn: string[] = [];
  let scalars = 0;
  let goodRecords = 0;
  for (const file of files) {
    const read = readTfRecords(readSourceBytes(file));
    for (const p of read.problems) problems.push(`${file}@${p.offset}: ${p.reason}`);
    if (read.tornAt !== null) torn.push(`${file}@${read.tornAt}: last record incomplete`);
    for (const rec of read.records) {
      let ev;
      try {
        ev = decodeEvent(rec.data);
      } catch (err) {
        problems.push(`${file}@${rec.offset}: not an Event: ${(err as Error).message}`);
        continue;
      }
      goodRecords++;
      for (const s of ev.scalars) {
        const metric = metricOf(s.tag, map);
        if (!metric) {
          unmapped.add(s.tag);
          continue;
        }
        if (!Number.isFinite(s.value)) {
          problems.push(`${file}@${rec.offset}: ${s.tag} at step ${ev.step} is ${s.value}; skipped`);
          continue;
        }
        tagsUsed.set(s.tag, metric);
        const points = series.get(metric) ?? (series.set(metric, new Map()), series.get(metric)!);
        // Later files and records win: a restarted writer logs its steps again.
        points.set(ev.step, { value: s.value, wallTime: ev.wallTime });
        scalars++;
      }
    }
  }
  if (scalars === 0) {
    const why = unmapped.size ? `; tags found: ${[...unmapped].slice(0, 20).join(', ')} (map them with --map TAG=METRIC)` : '';
    throw new ImportError(`${source}: no scalar of a known metric in ${files.length} event file(s)${why}`);
  }
  for (const m of ACCURACIES) {
    const pts = series.get(m);
    if (pts && [...pts.values()].some((p) => p.value > 1)) for (const p of pts.values()) p.value /= 100;
  }

  const get = (m: Metric, step: number) => series.get(m)?.get(step)?.value ?? null;
  const iso = (p: Point | undefined) => new Date((p?.wallTime ?? 0) * 1000).toISOString();
  const records: MetricRecord[] = [];
  const steps = [...new Set([...series.values()].flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  for (const step of steps) {
    const loss = series.get('loss')?.get(step);
    if (loss) {
      const rec: EpochRecord = {
        kind: 'epoch',
        epoch: step,
        loss: loss.value,
        accuracy: get('accuracy', step),
        lr: get('lr', step),
        seconds: null,
        imagesPerSecond: null,
        time: iso(loss),
      };
      records.push(rec);
    }
    const top1 = series.get('top1')?.get(step);
    if (top1) {
      const rec: EvalRecord = {
        kind: 'eval',
        epoch: step,
        tag: epochTag(step),
        top1: top1.value,
        top5: get('top5', step),
        many: get('many', step),
        medium: get('medium', step),
        few: get('few', step),
        time: iso(top1),
      };
      records.push(rec);
    }
  }
  const now = options.now ?? new Date();
  const last = steps[steps.length - 1] ?? 0;
  const name = options.name ?? path.basename(source);
  const used = [...tagsUsed.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const created = writeImportedRun({
    kind: 'tensorboard',
    source,
    name,
    config: {
      name,
      importedFrom: 'tensorboard',
      dir: source,
      files: files.map((f) => path.relative(source, f) || path.basename(f)),
      tags: Object.fromEntries(used),
    },
    classes: null,
    records,
    checkpoints: [],
    progress: { epoch: last, epochs: last },
    read: goodRecords,
    problems,
    notes: [...torn.map((t) => `${t} (left for later)`), ...(unmapped.size ? [`tags not imported: ${[...unmapped].join(', ')}`] : [])],
    runsDir: options.runsDir,
    now,
  });
  return {
    id: created.id,
    dir: created.dir,
    files,
    scalars,
    records: records.length,
    used,
    unmapped: [...unmapped].sort(),
    problems,
    torn,
  };
}
