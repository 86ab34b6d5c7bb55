// gpaco resume RUN [--runs-dir DIR] [--detach]
import * as path from 'node:path';
import { summarizeRun } from '../../core/catalog';
import { latestCheckpoint } from '../../core/runDirectory';
import { followRun } from '../follow';
import { concludeRun } from '../outcome';
import { EXIT, RUNS_DIR_OPTION, UsageError, registerCommand, type CommandContext } from '../registry';
import { locateRun } from '../runLookup';
import { checkTrainer, spawnTrainer, trainerScript } from '../trainerProcess';

async function resume(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const dir = locateRun(ctx, ctx.positionals[0]!);
  const s = summarizeRun(dir);
  const id = s.manifest?.id ?? path.basename(dir);
  switch (s.status) {
    case 'interrupted':
    case 'stopped':
    case 'failed':
      break;
    case 'running':
      throw new UsageError(`run ${id} is still running (pid ${s.manifest?.pid ?? '?'} on ${s.manifest?.host ?? '?'})`);
    case 'completed':
      throw new UsageError(`run ${id} has already completed`);
    case 'queued':
      throw new UsageError(`run ${id} has not started yet (queued)`);
    case 'unreadable':
      throw new UsageError(`run ${id} cannot be resumed: ${s.problems.join('; ')}`);
    default: {
      const never: never = s.status;
      throw new Error(`unknown status ${String(never)}`);
    }
  }
  const cp = latestCheckpoint(dir);
  if (!cp) {
    throw new UsageError(`run ${id} (${s.status}) has no complete checkpoint to resume from; start a new run with: gpaco train --config ${path.join(dir, 'config.json')}`);
  }
  const script = trainerScript(ctx);
  const missing = checkTrainer(script);
  if (missing) {
    io.err(`gpaco resume: ${missing}`);
    return EXIT.failed;
  }
  io.out(`resuming run ${id} (${s.status}) from ${cp.tag} (epoch ${cp.epoch}/${s.manifest?.progress.epochs ?? '?'})`);
  io.out(`  directory ${dir}`);
  const detach = ctx.flag('detach');
  const child = spawnTrainer(script, ['run', dir, '--resume'], dir, { detach });
  if (detach) {
    io.out(`started in the background (pid ${child.pid ?? '?'}); watch it with: gpaco show ${id}`);
    return EXIT.ok;
  }
  const outcome = await followRun(child, dir, { io, fromStart: false });
  return concludeRun(dir, outcome, io);
}

registerCommand({
  name: 'resume',
  summary: 'continue an interrupted, stopped or failed run from its latest checkpoint',
  usage: ['gpaco resume RUN [--runs-dir DIR] [--detach]'],
  options: [RUNS_DIR_OPTION, { name: 'detach', type: 'boolean', help: 'resume in the background and return at once' }],
  positionals: ['RUN'],
  details: ['RUN is a run id (or a unique part of one) under --runs-dir, or the path of a run folder.'],
  run: resume,
});
