// Faults on the real test cluster: a rejected job, a job that can never start, scancel of a
// running job, a job Slurm no longer knows, and the controller stopped and started again.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import type { SlurmLaunchRecord } from '../../src/core/contract';
import { readRunManifest, runPaths, updateRunManifest } from '../../src/core/runDirectory';
import { SlurmClient } from '../../src/core/slurm/exec';
import { SlurmFollower } from '../../src/core/slurm/follow';
import { cancelRun, submitRun } from '../../src/core/slurm/launch';
import { LOST_STATE } from '../../src/core/slurm/states';
import { ensureCluster, startController, stopController } from './cluster';
import { CLI, figure, makeSlurmRun, manifest, runsRoot, status, submitContext, tinySlurmConfig, waitFor } from './helpers';

let conf = '';
before(() => {
  conf = ensureCluster();
});

function allJobIds(): string[] {
  const r = spawnSync('squeue', ['-h', '-t', 'all', '-o', '%i'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).sort();
}

test('sbatch rejects an invalid partition: the error is shown, the run is marked failed, nothing else changes', (t) => {
  const root = runsRoot(t);
  const bystander = makeSlurmRun(root, tinySlurmConfig(), 'bystander');
  const bystanderBefore = fs.readFileSync(runPaths(bystander).run, 'utf8');
  const jobsBefore = allJobIds();
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      'train',
      '--preset',
      'synthetic-lt',
      '--runs-dir',
      root,
      '--name',
      'nosuch',
      '--set',
      'launch.kind=slurm',
      '--set',
      'launch.slurm.partition=nosuch',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /sbatch rejected the job: Batch job submission failed: Invalid partition name specified/);
  const dir = path.join(root, /^run (\S+)$/m.exec(r.stdout)![1]!);
  const m = manifest(dir);
  assert.equal(m.status, 'failed');
  assert.equal(m.error?.message, 'sbatch rejected the job: Batch job submission failed: Invalid partition name specified');
  assert.equal((m.launch as SlurmLaunchRecord).jobId, null);
  assert.ok(fs.existsSync(path.join(dir, 'slurm-job.sh')), 'the script stays, to fix and submit by hand');
  assert.deepEqual(allJobIds(), jobsBefore, 'no job was created');
  assert.equal(fs.readFileSync(runPaths(bystander).run, 'utf8'), bystanderBefore, 'other runs untouched');
  assert.deepEqual(fs.readdirSync(root).sort(), [path.basename(bystander), path.basename(dir)].sort());
});

test('a job that can never start shows its pending reason; cancelling it ends the run stopped', async (t) => {
  const dir = makeSlurmRun(runsRoot(t), tinySlurmConfig({ launch: { kind: 'slurm', slurm: { cpus: 99 } } }));
  const ctx = submitContext();
  const r = await submitRun(dir, ctx);
  assert.ok(r.ok, JSON.stringify(r));
  const follower = new SlurmFollower(ctx.client, { pollMs: 300, fastPollsMs: [] });
  t.after(() => follower.dispose());
  follower.track(dir, { soon: true });
  await waitFor('PartitionConfig recorded', () => (manifest(dir).launch as SlurmLaunchRecord).reason === 'PartitionConfig', 20_000);
  assert.equal(status(dir), 'queued');
  const jobs = spawnSync(process.execPath, [CLI, 'jobs', '--runs-dir', path.dirname(dir)], { encoding: 'utf8' });
  assert.match(
    jobs.stdout,
    /queued\s+0\/2\s+slurm \d+ · PENDING \(PartitionConfig\)\s+the request \(CPUs, GPUs, memory or nodes\) exceeds what the partition offers: it will never start/,
  );
  const c = await cancelRun(dir, ctx.client, { pollMs: 200 });
  assert.ok(c.ok && c.confirmed && c.state === 'CANCELLED', JSON.stringify(c));
  await follower.pollNow();
  assert.equal(manifest(dir).status, 'stopped');
  assert.equal((manifest(dir).launch as SlurmLaunchRecord).state, 'CANCELLED');
});

test('scancel of a running job: the trainer checkpoints and stops; the run is stopped and resumable', async (t) => {
  const dir = makeSlurmRun(runsRoot(t), tinySlurmConfig({ optim: { epochs: 400 } }));
  const ctx = submitContext();
  const r = await submitRun(dir, ctx);
  assert.ok(r.ok, JSON.stringify(r));
  await waitFor('an epoch trained on the cluster', () => readRunManifest(dir).progress.epoch >= 1, 60_000);
  // What a user at a terminal does: plain scancel (SIGTERM to every process of the job).
  const sc = spawnSync('scancel', [r.jobId], { encoding: 'utf8' });
  assert.equal(sc.status, 0, sc.stderr);
  const follower = new SlurmFollower(ctx.client, { pollMs: 300, fastPollsMs: [] });
  t.after(() => follower.dispose());
  follower.track(dir, { soon: true });
  await waitFor('the end recorded', () => !follower.isTracked(dir), 60_000);
  const m = manifest(dir);
  assert.equal((m.launch as SlurmLaunchRecord).state, 'CANCELLED');
  assert.equal(m.status, 'stopped', fs.readFileSync(runPaths(dir).log, 'utf8'));
  assert.equal(status(dir), 'stopped');
  const index = JSON.parse(fs.readFileSync(runPaths(dir).checkpointIndex, 'utf8')) as { checkpoints: { epoch: number }[] };
  assert.equal(index.checkpoints.at(-1)?.epoch, m.progress.epoch, 'a checkpoint of the last finished epoch');
  assert.match(fs.readFileSync(runPaths(dir).log, 'utf8'), /SIGTERM: finishing the current step, then checkpointing and stopping/);
});

test('a job Slurm no longer knows: the run\u2019s own files decide', async (t) => {
  const root = runsRoot(t);
  // An id far beyond this cluster's counter: squeue answers exactly as for a purged job.
  const jobId = String(900_000 + Math.floor(Math.random() * 90_000));
  const make = (name: string, patch: Parameters<typeof updateRunManifest>[1]) => {
    const dir = makeSlurmRun(root, tinySlurmConfig(), name);
    updateRunManifest(dir, { ...patch, launch: { kind: 'slurm', jobId, state: 'RUNNING', reason: 'None' } });
    return dir;
  };
  const completed = make('completed', { status: 'completed', exitCode: 0, endedAt: new Date().toISOString() });
  const running = make('running', { status: 'running', pid: 999_999_999, host: 'some-compute-node' });
  const queued = make('queued', {});
  const follower = new SlurmFollower(new SlurmClient(), { pollMs: 60_000 });
  t.after(() => follower.dispose());
  for (const d of [completed, running, queued]) follower.track(d);
  await follower.pollNow();
  assert.equal(status(completed), 'completed');
  assert.equal(manifest(completed).error, null);
  assert.equal(status(running), 'interrupted', 'its trainer is gone with the job: resumable');
  assert.equal((manifest(running).launch as SlurmLaunchRecord).state, LOST_STATE);
  assert.equal(status(queued), 'failed');
  assert.match(manifest(queued).error?.message ?? '', new RegExp(`Slurm no longer knows job ${jobId} and the trainer never started`));
  assert.deepEqual(follower.tracked, []);
});

test('the controller stopped: calls time out, runs show unknown (not failed) and recover when it is back', async (t) => {
  const root = runsRoot(t);
  const pending = makeSlurmRun(root, tinySlurmConfig({ launch: { kind: 'slurm', slurm: { cpus: 99 } } }), 'pending');
  const ctx = submitContext(new SlurmClient({ timeoutMs: 4000 }));
  const r = await submitRun(pending, ctx);
  assert.ok(r.ok, JSON.stringify(r));
  const follower = new SlurmFollower(ctx.client, { pollMs: 60_000 });
  t.after(() => follower.dispose());
  follower.track(pending);
  await follower.pollNow();
  assert.equal((manifest(pending).launch as SlurmLaunchRecord).reason, 'PartitionConfig');
  const before = fs.readFileSync(runPaths(pending).run, 'utf8');

  await stopController(conf);
  let restarted = false;
  t.after(() => {
    if (!restarted) startController(conf);
  });
  const t0 = performance.now();
  await follower.pollNow();
  figure('status poll with the controller down (client timeout 4 s)', `${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const obs = follower.observation(pending)!;
  assert.equal(obs.reachable, false);
  assert.match(obs.message ?? '', /Unable to contact slurm controller|did not answer within 4 s/);
  assert.equal(follower.displayStatus(pending, manifest(pending), status(pending)), 'unknown');
  assert.equal(fs.readFileSync(runPaths(pending).run, 'utf8'), before, 'nothing is written while Slurm cannot be asked');
  const jobs = spawnSync(process.execPath, [CLI, 'jobs', '--runs-dir', root], {
    encoding: 'utf8',
    env: { ...process.env, GPACO_SLURM_TIMEOUT_S: '3' },
    timeout: 60_000,
  });
  assert.equal(jobs.status, 0, jobs.stderr);
  assert.match(jobs.stdout, /unknown\s+0\/2\s+slurm \d+ · PENDING \(PartitionConfig\)\s+Slurm cannot be asked: /);
  const cancel = await cancelRun(pending, ctx.client);
  assert.ok(!cancel.ok && cancel.reason === 'unreachable', JSON.stringify(cancel));

  startController(conf);
  restarted = true;
  await follower.pollNow();
  assert.equal(follower.observation(pending)?.reachable, true);
  assert.equal(follower.displayStatus(pending, manifest(pending), status(pending)), 'queued');
  const c = await cancelRun(pending, ctx.client, { pollMs: 200 });
  assert.ok(c.ok && c.confirmed, JSON.stringify(c));
  await follower.pollNow();
  assert.equal(status(pending), 'stopped');
});
