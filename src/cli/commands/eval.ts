// gpaco eval RUN [--checkpoint TAG] [--runs-dir DIR]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRunProcessAlive } from '../../core/catalog';
import { evalRecordOf } from '../../core/evalMath';
import { listEvalTags, readCheckpointIndex, readEvalFile, readRunManifest, runPaths } from '../../core/runDirectory';
import { waitForChild } from '../follow';
import { evalSummaryLines } from '../outcome';
import { EXIT, RUNS_DIR_OPTION, UsageError, registerCommand, type CommandContext } from '../registry';
import { locateRun, refuseReadOnly } from '../runLookup';
import { checkTrainer, lastLines, spawnTrainer, trainerScript } from '../trainerProcess';

async function evaluate(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const dir = locateRun(ctx, ctx.positionals[0]!);
  const id = path.basename(dir);
  refuseReadOnly(dir, 'be evaluated');
  // External files (an imported run's .pth.tar) are listed only: the trainer cannot read them.
  const checkpoints = readCheckpointIndex(dir).checkpoints.filter((c) => c.external !== true);
  if (checkpoints.length === 0) throw new UsageError(`run ${id} has no complete checkpoint to evaluate`);
  const wanted = ctx.string('checkpoint');
  const cp = wanted === undefined || wanted === 'latest' ? checkpoints[checkpoints.length - 1]! : checkpoints.find((c) => c.tag === wanted);
  if (!cp) {
    throw new UsageError(`run ${id} has no complete checkpoint "${wanted}"; checkpoints: ${checkpoints.map((c) => c.tag).join(', ')}`);
  }
  try {
    if (isRunProcessAlive(readRunManifest(dir)) === true) io.err(`note: run ${id} is still training; evaluating ${cp.tag} alongside it`);
  } catch {
    // an unreadable run.json is the trainer's to report
  }
  const script = trainerScript(ctx);
  const missing = checkTrainer(script);
  if (missing) {
    io.err(`gpaco eval: ${missing}`);
    return EXIT.failed;
  }

  io.out(`evaluating ${id} at ${cp.tag} ...`);
  const before = new Map(listEvalTags(dir).map((t) => [t, mtimeOf(runPaths(dir).evalFile(t))]));
  const child = spawnTrainer(script, ['eval', dir, '--checkpoint', cp.tag], dir);
  const outcome = await waitForChild(child, (sig) => io.err(`${sig}: stopping the evaluation`));
  if (outcome.spawnError || outcome.code !== 0) {
    io.err(
      `evaluation failed: ${outcome.spawnError?.message ?? (outcome.signal ? `killed by ${outcome.signal}` : `the trainer exited with code ${outcome.code}`)}`,
    );
    const log = runPaths(dir).log;
    for (const l of lastLines(log, 12)) io.err(`  ${l}`);
    io.err(`log: ${log}`);
    return outcome.code === EXIT.usage ? EXIT.usage : EXIT.failed;
  }
  // The evaluation written by this run of the trainer: a new or rewritten evals/ file.
  const written = listEvalTags(dir).filter((t) => before.get(t) !== mtimeOf(runPaths(dir).evalFile(t)));
  const tag = written.includes(cp.tag) ? cp.tag : written[written.length - 1];
  if (tag === undefined) {
    io.err(`the trainer finished but wrote no evaluation file in ${runPaths(dir).evals}`);
    return EXIT.failed;
  }
  const file = readEvalFile(dir, tag);
  for (const l of evalSummaryLines(evalRecordOf(file), dir)) io.out(l);
  io.out(`file: ${runPaths(dir).evalFile(tag)}`);
  return EXIT.ok;
}

function mtimeOf(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

registerCommand({
  name: 'eval',
  summary: 'evaluate a checkpoint of a run on its test set',
  usage: ['gpaco eval RUN [--checkpoint TAG] [--runs-dir DIR]'],
  options: [
    { name: 'checkpoint', type: 'string', value: 'TAG', help: 'checkpoint tag, e.g. epoch-0010 (default: the latest)' },
    RUNS_DIR_OPTION,
  ],
  positionals: ['RUN'],
  run: evaluate,
});
