// gpaco resume RUN [--runs-dir DIR] [--workers N|auto] [--detach]
import * as path from 'node:path';
import { summarizeRun, type RunSummary } from '../../core/catalog';
import { latestCheckpoint } from '../../core/runDirectory';
import { lockedMessage } from '../../core/runLock';
import { followRun } from '../follow';
import { concludeRun } from '../outcome';
import { EXIT, RUNS_DIR_OPTION, UsageError, registerCommand, type CommandContext } from '../registry';
import { locateRun, refuseReadOnly } from '../runLookup';
import { parseWorkersFlag, WORKERS_OPTION } from '../workersOption';
import { resumeOnSlurm } from '../slurmSupport';
import { checkTrainer, spawnTrainer, trainerScript } from '../trainerProcess';

const RESUMABLE: ReadonlySet<string> = new Set(['interrupted', 'stopped', 'failed']);

// Not a `never`-checked switch: other issues add display statuses (e.g. Slurm's "unknown"),
// and anything not listed here simply is not resumable.
function whyNot(s: RunSummary): string {
  const m = s.manifest;
  if (s.status === 'running') return `it is still running (pid ${m?.pid ?? '?'} on ${m?.host || '?'})`;
  if (s.status === 'completed') return 'it has already completed';
  if (s.status === 'queued') return 'it has not started yet (queued)';
  if (s.status === 'unreadable') return s.problems.join('; ');
  return `its status is ${s.status}`;
}

async function resume(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const workersFlag = ctx.string('workers');
  const workers = workersFlag === undefined ? undefined : parseWorkersFlag(workersFlag);
  const dir = locateRun(ctx, ctx.positionals[0]!);
  const s = summarizeRun(dir);
  const id = s.manifest?.id ?? path.basename(dir);
  refuseReadOnly(dir, 'be resumed');
  if (!RESUMABLE.has(s.status)) throw new UsageError(`run ${id} cannot be resumed: ${whyNot(s)}`);
  const locked = lockedMessage(dir);
  if (locked) throw new UsageError(`run ${id} cannot be resumed: ${locked}`);
  const cp = latestCheckpoint(dir);
  if (!cp) {
    throw new UsageError(
      `run ${id} (${s.status}) has no complete checkpoint to resume from; start a new run with: gpaco train --config ${path.join(dir, 'config.json')}`,
    );
  }
  if (workers !== undefined && s.manifest?.launch?.kind === 'slurm') {
    throw new UsageError('--workers applies to local runs; a Slurm run uses its allocation (optim.workers, auto = SLURM_CPUS_PER_TASK)');
  }
  const script = trainerScript(ctx);
  const missing = checkTrainer(script);
  if (missing) {
    io.err(`gpaco resume: ${missing}`);
    return EXIT.failed;
  }
  io.out(`resuming run ${id} (${s.status}) from ${cp.tag} (epoch ${cp.epoch}/${s.manifest?.progress.epochs ?? '?'})`);
  io.out(`  directory ${dir}`);
  // A Slurm run is resubmitted; its batch script continues from the latest checkpoint.
  if (s.manifest?.launch?.kind === 'slurm') return resumeOnSlurm(ctx, dir);
  const detach = ctx.flag('detach');
  const child = spawnTrainer(script, ['run', dir, '--resume', ...(workers !== undefined ? ['--workers', workers] : [])], dir, { detach });
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
  usage: ['gpaco resume RUN [--runs-dir DIR] [--workers N|auto] [--detach]'],
  options: [RUNS_DIR_OPTION, WORKERS_OPTION, { name: 'detach', type: 'boolean', help: 'resume in the background and return at once' }],
  positionals: ['RUN'],
  details: [
    'RUN is a run id (or a unique part of one) under --runs-dir, or the path of a run folder.',
    '--workers may change the number of worker threads; the run keeps the shard layout of its checkpoint',
    '(so it stays exact), and a count that would change it is refused with the reason.',
  ],
  run: resume,
});
