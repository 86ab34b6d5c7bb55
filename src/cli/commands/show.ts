// gpaco show RUN [--runs-dir DIR] [--json]
import * as path from 'node:path';
import { readabilityLine, summarizeRun } from '../../core/catalog';
import { gpacoConfig, type ClassesFile, type EvalFile, type EvalRecord } from '../../core/contract';
import { denseFromSparse } from '../../core/evalEncoding';
import { groupSizes } from '../../core/evalMath';
import { importedText } from '../../core/import/importedRun';
import { readAllMetrics } from '../../core/metricsLog';
import { listEvalTags, readClassesFile, readEvalFile, runPaths } from '../../core/runDirectory';
import { evalClassesMismatch } from '../../core/runSchema';
import { describeConfig, summaryJson } from '../describe';
import { EXIT, RUNS_DIR_OPTION, registerCommand, type CommandContext } from '../registry';
import { MAX_TEXT_CONFUSION_CLASSES, renderConfusion } from '../render/confusion';
import { bytes, duration, localTime, pct } from '../render/format';
import { renderFields, renderTable } from '../render/table';
import { confusedLines } from '../confused';
import { locateRun } from '../runLookup';

function ruleText(classes: ClassesFile): string {
  const r = classes.groups.rule;
  switch (r.kind) {
    case 'shots':
      return `many > ${r.many}, few < ${r.few} training images`;
    case 'terciles':
      return 'terciles of the class sizes';
    default: {
      const never: never = r;
      return JSON.stringify(never);
    }
  }
}

/** Shown evaluations of an imported run: the last few records (the dashboard has them all). */
const IMPORTED_EVALS_SHOWN = 10;

/** An imported run's evaluations come from its records (its source had no per-class results). */
function importedEvaluations(dir: string, source: string): string[] {
  const recs = readAllMetrics(runPaths(dir).metrics).filter((r): r is EvalRecord => r.kind === 'eval');
  if (recs.length === 0) return ['evaluations: none in the imported source'];
  const shown = recs.slice(-IMPORTED_EVALS_SHOWN);
  const table = renderTable(
    [
      { header: 'TAG' },
      { header: 'EPOCH', align: 'right' },
      { header: 'TOP-1', align: 'right' },
      { header: 'TOP-5', align: 'right' },
      { header: 'MANY', align: 'right' },
      { header: 'MEDIUM', align: 'right' },
      { header: 'FEW', align: 'right' },
    ],
    shown.map((e) => [e.tag, String(e.epoch), pct(e.top1), pct(e.top5), pct(e.many), pct(e.medium), pct(e.few)]),
  );
  return [
    `evaluations from ${source} (${shown.length < recs.length ? `the last ${shown.length} of ${recs.length}` : recs.length})`,
    ...table.map((l) => `  ${l}`),
    '  no confusion matrix: the imported source has no per-class results',
  ];
}

async function show(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const dir = locateRun(ctx, ctx.positionals[0]!);
  const s = summarizeRun(dir);
  const problems = [...s.problems];
  let classes: ClassesFile | undefined;
  try {
    classes = readClassesFile(dir);
  } catch (err) {
    problems.push((err as Error).message);
  }
  const evals: EvalFile[] = [];
  for (const tag of listEvalTags(dir)) {
    try {
      const e = readEvalFile(dir, tag);
      const mismatch = classes ? evalClassesMismatch(e, classes, runPaths(dir).evalFile(tag)) : undefined;
      if (mismatch) problems.push(mismatch);
      evals.push(e);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  // The shared line counts only the files every view reads (docs/run-folder.md); the other
  // evaluations' problems are listed below it.
  const readability = readabilityLine(s.status, s.problems);
  const confused = ctx.string('confused');
  if (confused !== undefined) {
    const tag = ctx.string('tag');
    const ev = tag === undefined ? evals[evals.length - 1] : evals.find((e) => e.tag === tag);
    const config = s.manifest ? gpacoConfig(s.manifest) : undefined;
    if (!ev || !config) {
      io.err(
        `gpaco show: ${!config ? 'the run has no config of its own' : tag === undefined ? 'the run has no evaluation yet' : `no evaluation ${tag} (evaluations: ${evals.map((e) => e.tag).join(', ') || 'none'})`}`,
      );
      for (const p of problems) io.err(`problem: ${p}`);
      return EXIT.failed;
    }
    const r = await confusedLines(dir, config, ev, classes, confused);
    if ('error' in r) {
      io.err(`gpaco show: ${r.error}`);
      return EXIT.failed;
    }
    for (const l of r.lines) io.out(l);
    return EXIT.ok;
  }
  if (ctx.flag('json')) {
    io.out(JSON.stringify({ ...summaryJson(s), config: s.manifest?.config ?? null, classes: classes ?? null, evals, problems }, null, 2));
    return EXIT.ok;
  }

  const m = s.manifest;
  const fields: [string, string][] = [
    ['run', s.id],
    ['name', m?.name ?? '?'],
    ['status', `${s.status}${m?.exitCode !== null && m?.exitCode !== undefined ? ` (exit ${m.exitCode})` : ''}`],
    ['directory', dir],
    ...(readability ? [['files', readability] as [string, string]] : []),
  ];
  if (m) {
    fields.push(['created', localTime(m.createdAt, true)]);
    if (m.startedAt) {
      const end = m.endedAt ? Date.parse(m.endedAt) : Date.now();
      fields.push([
        'started',
        `${localTime(m.startedAt, true)}${m.endedAt ? `, ended ${localTime(m.endedAt, true)}` : ''} (${duration((end - Date.parse(m.startedAt)) / 1000)})`,
      ]);
    }
    fields.push(['progress', `epoch ${m.progress.epoch}/${m.progress.epochs}`]);
    const detail = m.backendInfo?.detail;
    fields.push([
      'backend',
      detail ? (m.backend && !detail.startsWith(m.backend) ? `${m.backend} (${detail})` : detail) : (m.backend ?? '-'),
    ]);
    fields.push(['host', `${m.host || '?'}${m.pid !== null ? `, pid ${m.pid}` : ''}`]);
    const config = gpacoConfig(m);
    if (config) fields.push(['config', describeConfig(config)]);
    if (m.imported) fields.push(['imported', importedText(m.imported)]);
    if (m.error) fields.push(['error', m.error.message]);
  }
  for (const l of renderFields(fields)) io.out(l);

  io.out('');
  if (evals.length === 0 && m?.imported) {
    for (const l of importedEvaluations(dir, m.imported.source)) io.out(l);
  } else if (evals.length === 0) {
    io.out('evaluations: none yet');
  } else {
    const sizes = classes ? groupSizes(classes.groups.assignment) : undefined;
    io.out(`evaluations${classes ? ` (groups: ${ruleText(classes)})` : ''}`);
    const g = (name: 'many' | 'medium' | 'few') => (sizes ? `${name.toUpperCase()} (${sizes[name]})` : name.toUpperCase());
    const table = renderTable(
      [
        { header: 'TAG' },
        { header: 'EPOCH', align: 'right' },
        { header: 'N', align: 'right' },
        { header: 'TOP-1', align: 'right' },
        { header: 'TOP-5', align: 'right' },
        { header: g('many'), align: 'right' },
        { header: g('medium'), align: 'right' },
        { header: g('few'), align: 'right' },
      ],
      evals.map((e) => [
        e.tag,
        String(e.epoch),
        String(e.n),
        pct(e.top1),
        pct(e.top5),
        pct(e.groupAccuracy.many),
        pct(e.groupAccuracy.medium),
        pct(e.groupAccuracy.few),
      ]),
    );
    for (const l of table) io.out(`  ${l}`);

    const last = evals[evals.length - 1]!;
    const c = last.confusion.classes;
    if (classes && classes.names.length === c && c <= MAX_TEXT_CONFUSION_CLASSES) {
      io.out('');
      io.out(`confusion matrix at ${last.tag}`);
      const lines = renderConfusion({
        confusion: denseFromSparse(last.confusion),
        names: classes.names,
        trainCounts: classes.trainCounts,
        assignment: classes.groups.assignment,
      });
      for (const l of lines) io.out(`  ${l}`);
    } else if (c > MAX_TEXT_CONFUSION_CLASSES) {
      io.out('');
      io.out(`confusion matrix: ${c} classes, too many for text (see the GPaCo Lab dashboard or ${'evals/' + last.tag + '.json'})`);
    }
  }

  io.out('');
  if (s.checkpoints.length === 0) {
    io.out('checkpoints: none');
  } else {
    io.out('checkpoints');
    const table = renderTable(
      [
        { header: 'TAG' },
        { header: 'EPOCH', align: 'right' },
        { header: 'STEP', align: 'right' },
        { header: 'TOP-1', align: 'right' },
        { header: 'FEW', align: 'right' },
        { header: 'SIZE', align: 'right' },
        { header: 'SAVED' },
        { header: 'BEST' },
      ],
      s.checkpoints.map((cp) => [
        cp.tag,
        String(cp.epoch),
        String(cp.step),
        pct(cp.top1),
        pct(cp.few),
        bytes(cp.bytes),
        localTime(cp.time, true),
        cp.best ? '*' : '',
      ]),
    );
    for (const l of table) io.out(`  ${l}`);
    const external = s.checkpoints.filter((cp) => cp.external);
    if (external.length)
      io.out(`  external files, listed only (not evaluable here): ${external.map((cp) => cp.file ?? cp.path).join(', ')}`);
  }
  if (m?.imported?.skipped) {
    io.out('');
    io.out(`import: ${m.imported.read} read, ${m.imported.skipped} skipped (listed in ${path.join(dir, 'trainer.log')})`);
  }
  if (problems.length) {
    io.out('');
    for (const p of problems) io.err(`problem: ${p}`);
  }
  return EXIT.ok;
}

registerCommand({
  name: 'show',
  summary: 'show one run: summary, evaluations (many / medium / few), confusion matrix, checkpoints',
  usage: ['gpaco show RUN [--runs-dir DIR] [--json]', 'gpaco show RUN --confused TRUE:PRED [--tag TAG]'],
  options: [
    RUNS_DIR_OPTION,
    { name: 'json', type: 'boolean', help: 'print everything as JSON (eval files included)' },
    {
      name: 'confused',
      type: 'string',
      value: 'TRUE:PRED',
      help: 'list the test images of true class TRUE predicted as PRED (class numbers or names)',
    },
    { name: 'tag', type: 'string', value: 'TAG', help: 'with --confused: the evaluation (default: the latest)' },
  ],
  positionals: ['RUN'],
  details: [
    'RUN is a run id (or a unique part of one) under --runs-dir, or the path of a run folder.',
    `The confusion matrix of the latest evaluation is drawn for up to ${MAX_TEXT_CONFUSION_CLASSES} classes.`,
  ],
  run: show,
});
