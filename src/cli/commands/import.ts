// gpaco import paco-log LOGFILE [--split TRAIN_LIST | --class-counts FILE] [--name N] [--runs-dir DIR]
// gpaco import tensorboard DIR [--map TAG=METRIC ...] [--name N] [--runs-dir DIR]
// Another tool's results become a read-only run folder (docs/run-folder.md, "Imported runs").
import * as path from 'node:path';
import { groupSizes } from '../../core/evalMath';
import { importPacoLog } from '../../core/import/pacoLogImport';
import { ImportError } from '../../core/import/sourceFile';
import { importTensorboard } from '../../core/import/tensorboardImport';
import { EXIT, RUNS_DIR_OPTION, UsageError, registerCommand, type CommandContext, type Output } from '../registry';
import { bytes } from '../render/format';
import { runsDirOf } from '../runLookup';

/** Problems printed here; every one of them is in the run's trainer.log. */
const SHOWN_PROBLEMS = 10;

function reportProblems(io: Output, problems: readonly string[], logFile: string): void {
  for (const p of problems.slice(0, SHOWN_PROBLEMS)) io.out(`    ${p}`);
  if (problems.length > SHOWN_PROBLEMS) io.out(`    ... ${problems.length - SHOWN_PROBLEMS} more in ${logFile}`);
}

function pacoLog(ctx: CommandContext, source: string): number {
  const { io } = ctx;
  const split = ctx.string('split');
  const counts = ctx.string('class-counts');
  if (split !== undefined && counts !== undefined) throw new UsageError('give --split or --class-counts, not both');
  if (ctx.strings('map').length) throw new UsageError('--map is for `gpaco import tensorboard`');
  const name = ctx.string('name');
  const t0 = performance.now();
  const r = importPacoLog({
    logFile: path.resolve(ctx.cwd, source),
    runsDir: runsDirOf(ctx),
    ...(name !== undefined ? { name } : {}),
    ...(split !== undefined ? { split: path.resolve(ctx.cwd, split) } : {}),
    ...(counts !== undefined ? { classCounts: path.resolve(ctx.cwd, counts) } : {}),
  });
  const ms = performance.now() - t0;
  const p = r.parse;
  const grouped = p.evals.filter((e) => e.many !== null).length;
  io.out(`imported ${path.resolve(ctx.cwd, source)} as run ${r.id} (${ms.toFixed(0)} ms)`);
  io.out(
    `  ${p.epochs.length} epochs of training, ${p.evals.length} evaluations (${grouped} with many / medium / few), ${r.records} records`,
  );
  for (const res of p.resumes) io.out(`  training was resumed at epoch ${res.epoch} (line ${res.line}): the later lines are kept`);
  io.out(`  ${p.lines} lines: ${p.recognised} read, ${r.problems.length} skipped${r.problems.length ? ':' : ''}`);
  reportProblems(io, r.problems, path.join(r.dir, 'trainer.log'));
  if (r.classes) {
    const g = groupSizes(r.classes.groups.assignment);
    io.out(
      `  ${r.classes.names.length} classes: many ${g.many}, medium ${g.medium}, few ${g.few} (more than 100 / fewer than 20 training images)`,
    );
  } else {
    io.out('  no class counts (give --split TRAIN_LIST or --class-counts FILE for the shot groups of each class)');
  }
  if (r.checkpoints.length) {
    io.out(
      `  external checkpoints (listed, not evaluable here): ${r.checkpoints.map((c) => `${c.tag} (epoch ${c.epoch}, ${bytes(c.bytes)})`).join(', ')}`,
    );
  }
  io.out('  no confusion matrix: the log has no per-class results');
  io.out(`run directory: ${r.dir}`);
  return EXIT.ok;
}

function tensorboard(ctx: CommandContext, source: string): number {
  const { io } = ctx;
  if (ctx.string('split') !== undefined || ctx.string('class-counts') !== undefined)
    throw new UsageError('--split and --class-counts are for `gpaco import paco-log`');
  const name = ctx.string('name');
  const t0 = performance.now();
  const r = importTensorboard({
    dir: path.resolve(ctx.cwd, source),
    runsDir: runsDirOf(ctx),
    map: ctx.strings('map'),
    ...(name !== undefined ? { name } : {}),
  });
  const ms = performance.now() - t0;
  io.out(`imported ${path.resolve(ctx.cwd, source)} as run ${r.id} (${ms.toFixed(0)} ms)`);
  io.out(`  ${r.files.length} event file(s), ${r.scalars} scalar values, ${r.records} records`);
  for (const [tag, metric] of r.used) io.out(`  ${tag} -> ${metric}`);
  if (r.unmapped.length) io.out(`  not imported (no metric for these tags; add --map TAG=METRIC): ${r.unmapped.join(', ')}`);
  if (r.torn.length) for (const t of r.torn) io.out(`  ${t} (left for later: the writer may still be appending)`);
  io.out(`  ${r.problems.length} corrupt record(s)${r.problems.length ? ':' : ''}`);
  reportProblems(io, r.problems, path.join(r.dir, 'trainer.log'));
  io.out(`run directory: ${r.dir}`);
  return EXIT.ok;
}

function runImport(ctx: CommandContext): number {
  const [kind, source] = ctx.positionals as [string, string];
  try {
    switch (kind) {
      case 'paco-log':
        return pacoLog(ctx, source);
      case 'tensorboard':
        return tensorboard(ctx, source);
      default:
        throw new UsageError(`unknown import "${kind}": use paco-log or tensorboard`);
    }
  } catch (err) {
    if (err instanceof ImportError) {
      ctx.io.err(`gpaco import: ${err.message}`);
      return EXIT.usage;
    }
    throw err;
  }
}

registerCommand({
  name: 'import',
  summary: 'make a read-only run from a PaCo / GPaCo training log or TensorBoard event files',
  usage: [
    'gpaco import paco-log LOGFILE [--split TRAIN_LIST | --class-counts FILE] [--name N] [--runs-dir DIR]',
    'gpaco import tensorboard DIR [--map TAG=METRIC ...] [--name N] [--runs-dir DIR]',
  ],
  details: [
    'paco-log reads the <mark>.log of paco_lt.py, paco_cifar.py or paco_fp16_places.py: training loss and accuracy per epoch, top-1 / top-5 and many / medium / few per evaluation, restarts (--resume). The moco_ckpt*.pth.tar files beside it are listed as external checkpoints.',
    'tensorboard reads every events.out.tfevents.* file under DIR. Tags map to metrics by a built-in table (train/loss, lr, test/acc1, many, ...); METRIC is one of loss, accuracy, lr, top1, top5, many, medium, few.',
    "The run is read-only: it cannot be resumed or evaluated, and has no confusion matrix (the sources have no per-class results). Lines or records that cannot be read are counted, listed (file:line or file@offset) and written to the run's trainer.log.",
  ],
  options: [
    {
      name: 'split',
      type: 'string',
      value: 'FILE',
      help: 'paco-log: the train split list ("path label" lines), for the training images per class',
    },
    {
      name: 'class-counts',
      type: 'string',
      value: 'FILE',
      help: 'paco-log: training images per class (a JSON array or one number per class)',
    },
    { name: 'map', type: 'string', multiple: true, value: 'TAG=METRIC', help: 'tensorboard: read TAG as METRIC' },
    { name: 'name', type: 'string', value: 'N', help: 'name of the run (default: the log file or folder name)' },
    RUNS_DIR_OPTION,
  ],
  positionals: ['KIND', 'SOURCE'],
  run: (ctx) => Promise.resolve(runImport(ctx)),
});
