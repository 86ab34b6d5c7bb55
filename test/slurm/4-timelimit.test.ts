// A job that reaches its time limit: the batch script gets SIGUSR1 ahead of it (--signal=B:USR1),
// the trainer checkpoints and stops, the run shows interrupted; `gpaco resume` resubmits it and
// the new job continues from the checkpoint; `gpaco cancel` stops it gracefully. (Slurm checks
// limits about every 30 s, and the shortest limit is a minute: this test takes about that long.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import type { SlurmLaunchRecord } from '../../src/core/contract';
import { readRunManifest, runPaths } from '../../src/core/runDirectory';
import { SlurmFollower } from '../../src/core/slurm/follow';
import { submitRun } from '../../src/core/slurm/launch';
import { ensureCluster } from './cluster';
import { CLI, figure, makeSlurmRun, manifest, runsRoot, status, submitContext, tinySlurmConfig, waitFor } from './helpers';

before(() => {
  ensureCluster();
});

test('killed at its time limit: last checkpoint kept, interrupted, resumable by resubmitting', async (t) => {
  const root = runsRoot(t);
  const dir = makeSlurmRun(root, tinySlurmConfig({ optim: { epochs: 5000 }, launch: { kind: 'slurm', slurm: { cpus: 1, time: '1' } } }));
  const ctx = submitContext();
  const r = await submitRun(dir, ctx);
  assert.ok(r.ok, JSON.stringify(r));
  assert.match(fs.readFileSync(path.join(dir, 'slurm-job.sh'), 'utf8'), /#SBATCH --signal=B:USR1@30\n#SBATCH --time=1\n/);
  await waitFor('running', () => readRunManifest(dir).status === 'running', 60_000);
  const started = Date.now();
  const follower = new SlurmFollower(ctx.client, { pollMs: 2000, fastPollsMs: [] });
  t.after(() => follower.dispose());
  follower.track(dir);
  await waitFor('the job to end at its limit', () => !follower.isTracked(dir), 150_000, 500);
  figure(
    'time-limit warning to job end (limit 1 min, USR1 30 s before)',
    `${((Date.now() - started) / 1000).toFixed(0)} s after the trainer started`,
  );
  const m = manifest(dir);
  const l = m.launch as SlurmLaunchRecord;
  const log = fs.readFileSync(runPaths(dir).log, 'utf8');
  assert.equal(l.timeLimit, true, `${JSON.stringify(l)}\n${log}`);
  assert.match(log, /got SIGUSR1: asking the trainer to checkpoint and stop/);
  assert.equal(m.status, 'stopped');
  assert.equal(status(dir), 'interrupted');
  const stoppedAt = m.progress.epoch;
  assert.ok(stoppedAt >= 1);
  const index = JSON.parse(fs.readFileSync(runPaths(dir).checkpointIndex, 'utf8')) as { checkpoints: { epoch: number }[] };
  assert.equal(index.checkpoints.at(-1)?.epoch, stoppedAt, 'the last checkpoint is kept');

  // Resume: a new job, same run folder, continuing from the checkpoint.
  const resume = spawnSync(process.execPath, [CLI, 'resume', dir, '--detach'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(resume.status, 0, resume.stdout + resume.stderr);
  const newJob = /submitted as Slurm job (\d+)/.exec(resume.stdout)?.[1];
  assert.ok(newJob && newJob !== r.jobId, resume.stdout);
  const again = manifest(dir);
  assert.equal((again.launch as SlurmLaunchRecord).jobId, newJob);
  assert.equal((again.launch as SlurmLaunchRecord).timeLimit, undefined);
  await waitFor(
    'the resumed trainer',
    () => /resumed from checkpoint epoch-\d+/.test(fs.readFileSync(runPaths(dir).log, 'utf8')) && readRunManifest(dir).status === 'running',
    60_000,
  );
  assert.match(fs.readFileSync(runPaths(dir).log, 'utf8'), new RegExp(`slurm job ${newJob}: starting on \\S+: .* --resume\\n`));
  await waitFor(`an epoch past ${stoppedAt}`, () => readRunManifest(dir).progress.epoch > stoppedAt, 60_000);

  const cancel = spawnSync(process.execPath, [CLI, 'cancel', dir], { encoding: 'utf8', timeout: 90_000 });
  assert.equal(cancel.status, 0, cancel.stdout + cancel.stderr);
  assert.match(cancel.stdout, new RegExp(`job ${newJob} ended: COMPLETED`));
  assert.match(cancel.stdout, /: stopped · slurm \d+ · COMPLETED/);
  assert.equal(status(dir), 'stopped');
  assert.match(fs.readFileSync(runPaths(dir).log, 'utf8'), /got SIGTERM: asking the trainer to checkpoint and stop/);
});
