// End to end on the real test cluster: a Slurm run of the synthetic preset (shrunk to seconds)
// completes, and its run directory passes the same checks as the same config trained locally,
// with the same results (the trainer is deterministic for a config and a backend).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import type { SlurmLaunchRecord } from '../../src/core/contract';
import { TRAINER_NODE_FLAGS } from '../../src/core/trainerFlags';
import { createRunDirectory, runPaths } from '../../src/core/runDirectory';
import { SLURM_FILES } from '../../src/core/slurm/batchScript';
import { readExitMarker, SlurmFollower } from '../../src/core/slurm/follow';
import { submitRun } from '../../src/core/slurm/launch';
import { ensureCluster } from './cluster';
import {
  checkCompletedRun,
  figure,
  makeSlurmRun,
  manifest,
  runsRoot,
  status,
  submitContext,
  tinySlurmConfig,
  TRAINER,
  waitFor,
} from './helpers';

before(() => {
  ensureCluster();
});

function trainLocally(dir: string): Promise<number | null> {
  const log = fs.openSync(runPaths(dir).log, 'a');
  const child = spawn(process.execPath, [TRAINER, 'run', dir], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  return new Promise((r) => child.once('exit', r));
}

test('a Slurm run completes; its run directory passes the checks of a local run, with the same results', async (t) => {
  const root = runsRoot(t);
  const config = tinySlurmConfig();
  const local = createRunDirectory(root, { config, name: 'local', launch: { kind: 'local' } }).dir;
  assert.equal(await trainLocally(local), 0, fs.readFileSync(runPaths(local).log, 'utf8'));

  const dir = makeSlurmRun(root, config, 'on-slurm');
  const ctx = submitContext();
  const t0 = performance.now();
  const r = await submitRun(dir, ctx);
  assert.ok(r.ok, JSON.stringify(r));
  // The job id is in run.json as soon as sbatch returns; the batch script is in the run folder.
  const l = manifest(dir).launch as SlurmLaunchRecord;
  assert.equal(l.jobId, r.jobId);
  assert.equal(l.state, 'PENDING');
  const script = fs.readFileSync(path.join(dir, SLURM_FILES.script), 'utf8');
  assert.ok(script.includes(`#SBATCH --output=${runPaths(dir).log}\n`));
  assert.ok(script.includes(`#SBATCH --chdir=${dir}\n`));
  assert.ok(script.includes(`NODE='${process.execPath}'`) && script.includes(`TRAINER='${TRAINER}'`));
  assert.ok(fs.statSync(path.join(dir, SLURM_FILES.script)).mode & 0o100, 'executable');

  await waitFor(
    'the first metrics line',
    () => fs.existsSync(runPaths(dir).metrics) && fs.readFileSync(runPaths(dir).metrics, 'utf8').includes('\n'),
    60_000,
    20,
  );
  figure('submit -> first metrics line (test cluster, tiny run)', `${((performance.now() - t0) / 1000).toFixed(2)} s`);

  const follower = new SlurmFollower(ctx.client, { pollMs: 500 });
  t.after(() => follower.dispose());
  follower.track(dir, { soon: true });
  await waitFor('the job to end and be recorded', () => !follower.isTracked(dir), 90_000);
  const { evals } = checkCompletedRun(dir, config);
  const localChecks = checkCompletedRun(local, config);
  assert.deepEqual(
    evals.map((e) => e.confusion),
    localChecks.evals.map((e) => e.confusion),
    'the same config gives the same confusion matrices on the cluster',
  );
  const done = manifest(dir).launch as SlurmLaunchRecord;
  assert.equal(done.state, 'COMPLETED');
  assert.equal(done.exitCode, '0:0');
  assert.equal(status(dir), 'completed');
  const log = fs.readFileSync(runPaths(dir).log, 'utf8');
  assert.match(
    log,
    new RegExp(`slurm job ${r.jobId}: starting on \\S+: ${process.execPath} ${TRAINER_NODE_FLAGS.join(' ')} ${TRAINER} run ${dir}\\n`),
  );
  assert.match(log, new RegExp(`flags: ${TRAINER_NODE_FLAGS.join(' ')}\\n`), 'the trainer on the node runs with its Node flags');
  assert.match(log, /\bcompleted\n/);
  assert.match(log, new RegExp(`slurm job ${r.jobId}: trainer exited with code 0\\n`));
  assert.deepEqual({ jobId: readExitMarker(dir)?.jobId, exitCode: readExitMarker(dir)?.exitCode }, { jobId: r.jobId, exitCode: 0 });
  // Following cost: a handful of batched squeue calls for the whole run.
  assert.ok(ctx.client.counts.squeue <= 20, `squeue calls: ${ctx.client.counts.squeue}`);
  assert.equal(ctx.client.counts.sbatch, 1);
});

test('a run already submitted is not submitted twice', async (t) => {
  const dir = makeSlurmRun(runsRoot(t), tinySlurmConfig({ launch: { kind: 'slurm', slurm: { cpus: 99 } } }));
  const ctx = submitContext();
  const r = await submitRun(dir, ctx);
  assert.ok(r.ok);
  t.after(() => ctx.client.call('scancel', [r.jobId]));
  const again = await submitRun(dir, ctx);
  assert.ok(!again.ok && again.reason === 'not-submittable', JSON.stringify(again));
  assert.match(again.message, new RegExp(`already has Slurm job ${r.jobId}`));
  assert.equal(ctx.client.counts.sbatch, 1);
});
