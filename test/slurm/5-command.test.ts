// Command runs (trainer.kind "command") as Slurm jobs on the real test cluster: the batch script
// has the trainer bundle start the run's own command, which writes the run folder through the
// Python writer; a command that exits non-zero without a status is recorded failed with its code.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import type { SlurmLaunchRecord } from '../../src/core/contract';
import { listEvalTags, runPaths } from '../../src/core/runDirectory';
import { SLURM_FILES } from '../../src/core/slurm/batchScript';
import { SlurmFollower } from '../../src/core/slurm/follow';
import { submitRun } from '../../src/core/slurm/launch';
import { findPython } from '../../test/shared/python';
import { ensureCluster } from './cluster';
import { makeSlurmRun, manifest, REPO, runsRoot, submitContext, tinySlurmConfig, waitFor } from './helpers';

before(() => {
  ensureCluster();
});

const WRITER_SCRIPT = [
  'import gpaco_lab',
  'run = gpaco_lab.Run.from_env(["a", "b", "c"], [50, 10, 2], backend="python")',
  'with run:',
  '    for epoch in (1, 2):',
  '        run.log_step(epoch, epoch, loss=1.0 / epoch, lr=0.1)',
  '        run.log_epoch(epoch, loss=1.0 / epoch, accuracy=0.5, lr=0.1)',
  '        run.log_eval(epoch, [0, 1, 2, 2], [[3, 1, 0], [0, 2, 1], [0, 1, 2], [2, 0, 1]])',
].join('\n');

async function submitAndFollow(t: Parameters<typeof runsRoot>[0], trainer: Record<string, unknown>, name: string): Promise<string> {
  const dir = makeSlurmRun(runsRoot(t), tinySlurmConfig({ trainer }), name);
  const ctx = submitContext();
  const r = await submitRun(dir, ctx);
  assert.ok(r.ok, JSON.stringify(r));
  const script = fs.readFileSync(path.join(dir, SLURM_FILES.script), 'utf8');
  assert.ok(script.includes('ARGS=(command "$RUN_DIR")'), script);
  const follower = new SlurmFollower(ctx.client, { pollMs: 500 });
  t.after(() => follower.dispose());
  follower.track(dir, { soon: true });
  await waitFor('the job to end and be recorded', () => !follower.isTracked(dir), 90_000);
  return dir;
}

test('a Python-writer command runs as a Slurm job and completes; the job stays recorded', async (t) => {
  const trainer = {
    kind: 'command',
    argv: [findPython('stdlib'), '-c', WRITER_SCRIPT],
    cwd: REPO,
    env: { PYTHONPATH: path.join(REPO, 'python') },
  };
  const dir = await submitAndFollow(t, trainer, 'py-on-slurm');
  const m = manifest(dir);
  assert.equal(m.status, 'completed', fs.readFileSync(runPaths(dir).log, 'utf8'));
  assert.equal(m.backend, 'python');
  assert.equal(m.progress.epoch, 2);
  const l = m.launch as SlurmLaunchRecord;
  assert.equal(l.kind, 'slurm');
  assert.equal(l.state, 'COMPLETED');
  assert.deepEqual(listEvalTags(dir), ['epoch-0001', 'epoch-0002']);
  assert.match(fs.readFileSync(runPaths(dir).log, 'utf8'), /the command ended \(exit code 0\); the run is completed/);
});

test('a command that exits 3 without a status is failed with exit code 3', async (t) => {
  const dir = await submitAndFollow(t, { kind: 'command', argv: [process.execPath, '-e', 'process.exit(3)'], cwd: REPO }, 'exit-3');
  const m = manifest(dir);
  assert.equal(m.status, 'failed');
  assert.equal(m.exitCode, 3);
  assert.match(m.error?.message ?? '', /^The command exited with code 3 without recording a result/);
  assert.equal((m.launch as SlurmLaunchRecord).exitCode, '3:0');
});
