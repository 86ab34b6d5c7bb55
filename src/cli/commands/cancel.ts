// gpaco cancel RUN... [--force] [--runs-dir DIR]
import { readRunManifest } from '../../core/runDirectory';
import { SlurmFollower } from '../../core/slurm/follow';
import { cancelRun } from '../../core/slurm/launch';
import { slurmLaunchOf } from '../../core/slurm/states';
import { EXIT, RUNS_DIR_OPTION, UsageError, registerCommand, type CommandContext } from '../registry';
import { locateRun } from '../runLookup';
import { jobRow, slurmSubmitContext } from '../slurmSupport';

async function cancel(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const dirs = ctx.positionals.map((ref) => locateRun(ctx, ref));
  for (const d of dirs) {
    const m = readRunManifest(d);
    if (!slurmLaunchOf(m)?.jobId)
      throw new UsageError(`run ${m.id} is not a submitted Slurm run (a local run stops with Ctrl-C in its terminal, or from the editor)`);
  }
  const sc = slurmSubmitContext(ctx);
  if (typeof sc === 'string') throw new UsageError(sc);
  const force = ctx.flag('force');
  let code: number = EXIT.ok;
  const follower = new SlurmFollower(sc.client);
  try {
    for (const d of dirs) {
      const r = await cancelRun(d, sc.client, { force });
      if (!r.ok) {
        io.err(`${readRunManifest(d).id}: ${r.message}`);
        code = EXIT.failed;
        continue;
      }
      if (!r.confirmed) code = EXIT.failed;
      io.out(`${readRunManifest(d).id}: ${r.message}`);
      follower.track(d);
    }
    // Records how the jobs ended (a job cancelled before it started ends its run as stopped).
    await follower.pollNow();
    for (const d of dirs) {
      const row = jobRow(d, follower);
      io.out(`  ${row.id}: ${row.status} · ${row.job}`);
    }
  } finally {
    follower.dispose();
  }
  return code;
}

registerCommand({
  name: 'cancel',
  summary: 'stop Slurm runs: a running trainer checkpoints and stops; a pending job is cancelled',
  usage: ['gpaco cancel RUN... [--force] [--runs-dir DIR]'],
  options: [
    RUNS_DIR_OPTION,
    { name: 'force', type: 'boolean', help: 'plain scancel: SIGTERM to every process, SIGKILL after the cluster\u2019s KillWait' },
  ],
  positionals: ['RUN...'],
  minPositionals: 1,
  details: [
    'Without --force a running job\u2019s batch script gets SIGTERM (scancel --batch) and passes it to the',
    'trainer, which finishes its step, writes a checkpoint and exits: the run ends "stopped" and can',
    'be resumed. The command waits until Slurm reports the job ended (scancel alone proves nothing).',
  ],
  run: cancel,
});
