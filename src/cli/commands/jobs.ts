// gpaco jobs [--runs-dir DIR] [--all] [--watch] [--json]
import { listRuns } from '../../core/catalog';
import { SlurmClient } from '../../core/slurm/exec';
import { SlurmFollower } from '../../core/slurm/follow';
import { isJobFinished, slurmLaunchOf } from '../../core/slurm/states';
import { EXIT, RUNS_DIR_OPTION, registerCommand, type CommandContext } from '../registry';
import { renderTable } from '../render/table';
import { runsDirOf } from '../runLookup';
import { followSlurmRuns, followTiming, jobRow, POLL_INTERVAL_OPTION, SLURM_INTERVAL_OPTION, slurmSubmitContext } from '../slurmSupport';

async function jobs(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const root = runsDirOf(ctx);
  const all = ctx.flag('all');
  const runs = listRuns(root).filter((s) => {
    const l = s.manifest ? slurmLaunchOf(s.manifest) : undefined;
    if (!l) return false;
    return all || s.status === 'queued' || s.status === 'running' || !isJobFinished(l.state);
  });
  const dirs = runs.map((s) => s.dir).reverse(); // oldest first: the order they were submitted
  if (dirs.length === 0) {
    io.out(`no ${all ? '' : 'active '}Slurm runs in ${root}${all ? '' : ' (--all lists finished ones too)'}`);
    return EXIT.ok;
  }
  if (ctx.flag('watch')) return followSlurmRuns(ctx, dirs, { printRecords: false });
  // One poll: it also records in run.json the end of jobs that ended since anyone last looked.
  const sc = slurmSubmitContext(ctx);
  const client = typeof sc === 'string' ? new SlurmClient({ env: ctx.env }) : sc.client;
  const follower = new SlurmFollower(client, { pollMs: followTiming(ctx).slurmMs });
  try {
    for (const d of dirs) follower.track(d);
    await follower.pollNow();
    const rows = dirs.map((d) => jobRow(d, follower));
    if (ctx.flag('json')) {
      io.out(
        JSON.stringify(
          rows.map((r) => ({
            id: r.id,
            dir: r.dir,
            status: r.status,
            job: r.manifest?.launch ?? null,
            detail: r.detail,
            progress: r.manifest?.progress ?? null,
          })),
          null,
          2,
        ),
      );
      return EXIT.ok;
    }
    const table = renderTable(
      [{ header: 'ID' }, { header: 'STATUS' }, { header: 'EPOCH', align: 'right' }, { header: 'JOB' }, { header: 'DETAIL' }],
      rows.map((r) => [r.id, r.status, r.manifest ? `${r.manifest.progress.epoch}/${r.manifest.progress.epochs}` : '-', r.job, r.detail]),
    );
    for (const l of table) io.out(l);
    return EXIT.ok;
  } finally {
    follower.dispose();
  }
}

registerCommand({
  name: 'jobs',
  summary: 'Slurm runs: job state, pending reason, status (one squeue call for all); --watch follows them',
  usage: ['gpaco jobs [--runs-dir DIR] [--all] [--watch] [--json] [--slurm-interval S] [--poll-interval S]'],
  options: [
    RUNS_DIR_OPTION,
    { name: 'all', type: 'boolean', help: 'also list Slurm runs whose job has ended' },
    { name: 'watch', type: 'boolean', help: 'follow the listed runs until their jobs end (Ctrl-C stops following, not the jobs)' },
    { name: 'json', type: 'boolean', help: 'print the rows as JSON' },
    SLURM_INTERVAL_OPTION,
    POLL_INTERVAL_OPTION,
  ],
  positionals: [],
  details: [
    'A run shows as "unknown" while the Slurm controller does not answer (the commands time out),',
    'never as failed; once a job has ended its state is recorded in the run\u2019s run.json (launch).',
    'The run folders stay the source of truth: a job Slurm no longer knows is judged by its files.',
  ],
  run: jobs,
});
