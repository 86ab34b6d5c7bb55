// Worker threads in the real trainer process: run.json records the layout; a run stopped on 2
// workers and resumed on 1 (same shards) ends bit-identical to an uninterrupted 2-worker run,
// evaluation included; a layout change on resume is refused with the reason; a worker that dies
// fails the run with a clear message and the last checkpoint stays resumable; SIGINT stops cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CheckpointIndex, RunManifest } from '../../../src/core/contract';
import { runPaths } from '../../../src/core/runDirectory';
import { makeRun, metrics, readJson, runTrainer, startTrainer, tinyConfig, waitFor } from '../harness';

const manifestOf = (dir: string) => readJson<RunManifest>(runPaths(dir).run);

// 81 training images / batch 16 = 5 steps per epoch, 2 shards of 8.
const parallelConfig = (epochs = 2) =>
  tinyConfig({
    loss: { kind: 'gpaco', queueSize: 32, alpha: 0.05 },
    model: { projectionDim: 8 },
    optim: { epochs, workers: 2, shards: 2 },
    checkpoint: { every: 1 },
  });

test('stopped on 2 workers, resumed on 1 with the same shards: bit-identical to the uninterrupted 2-worker run; run.json records the layout', async (t) => {
  const config = parallelConfig();
  config.backend = 'wasm';
  const a = makeRun(t, config);
  const b = makeRun(t, config);
  const ra = await runTrainer(['run', a]);
  assert.equal(ra.code, 0, ra.log);
  assert.match(ra.log, /parallel: 2 worker threads, 2 shards of 8 images/);
  assert.deepEqual(manifestOf(a).parallel, { workers: 2, shards: 2, shardSize: 8 });

  const stopped = await runTrainer(['run', b], { GPACO_STOP_AFTER_STEPS: '7' });
  assert.equal(stopped.code, 0, stopped.log);
  const resumed = await runTrainer(['run', b, '--resume', '--workers', '1']);
  assert.equal(resumed.code, 0, resumed.log);
  assert.match(resumed.log, /parallel: 1 worker thread \(this one\), 2 shards of 8 images/);
  assert.deepEqual(manifestOf(b).parallel, { workers: 1, shards: 2, shardSize: 8 });
  const wa = fs.readFileSync(path.join(a, 'checkpoints/epoch-0002/weights.bin'));
  const wb = fs.readFileSync(path.join(b, 'checkpoints/epoch-0002/weights.bin'));
  assert.ok(wa.equals(wb), 'final weights, optimizer state and queue identical');
  // Evaluation on 2 workers (a) and on one thread (b) gives the same file.
  assert.deepEqual(readJson(runPaths(a).evalFile('epoch-0002')), readJson(runPaths(b).evalFile('epoch-0002')));
});

test('resume refuses a layout change with the reason: more workers than shards, or other shards', async (t) => {
  const config = parallelConfig(3);
  config.backend = 'wasm';
  const dir = makeRun(t, config);
  const first = await runTrainer(['run', dir], { GPACO_STOP_AFTER_STEPS: '3' });
  assert.equal(first.code, 0, first.log);
  const more = await runTrainer(['run', dir, '--resume', '--workers', '3']);
  assert.equal(more.code, 2, more.log);
  assert.match(more.log, /2 shards of 8 images .*at most 2 workers can share that layout exactly; resume with --workers 2 or fewer/);
  const cfgFile = runPaths(dir).config;
  const edited = { ...readJson<Record<string, unknown>>(cfgFile) };
  edited.optim = { ...(edited.optim as object), shards: 4 };
  fs.writeFileSync(cfgFile, JSON.stringify(edited));
  const other = await runTrainer(['run', dir, '--resume']);
  assert.equal(other.code, 2, other.log);
  assert.match(other.log, /optim\.shards 4 would change the batch-norm statistics/);
  assert.equal(manifestOf(dir).status, 'failed');
  // Nothing was lost: the stop checkpoint is still there.
  const idx = readJson<CheckpointIndex>(runPaths(dir).checkpointIndex);
  assert.ok(idx.checkpoints.some((c) => c.tag === 'epoch-0000-step-0000003'));
});

test('a worker thread that dies fails the run with a clear message; the last checkpoint stays and resumes', async (t) => {
  const config = parallelConfig(2);
  config.backend = 'wasm';
  const dir = makeRun(t, config);
  // Worker 2 exits at its 7th step: epoch 1 (5 steps) is checkpointed by then.
  const r = await runTrainer(['run', dir], { GPACO_TEST_WORKER_EXIT: '1:7' });
  assert.equal(r.code, 1, r.log);
  const run = manifestOf(dir);
  assert.equal(run.status, 'failed');
  assert.match(
    run.error?.message ?? '',
    /worker thread 2 of 2 died during step 7 .*\(exit code 70\); the run keeps its last checkpoint epoch-0001/,
  );
  assert.doesNotMatch(r.log, /^\s+at /m, 'no stack trace in the log');
  const resumed = await runTrainer(['run', dir, '--resume']);
  assert.equal(resumed.code, 0, resumed.log);
  assert.equal(manifestOf(dir).status, 'completed');
});

test('SIGINT with worker threads: the step finishes, a checkpoint is written, status stopped, exit 0', async (t) => {
  const config = parallelConfig(200);
  config.backend = 'wasm';
  const dir = makeRun(t, config);
  const { child, done } = startTrainer(['run', dir]);
  await waitFor('the first step record', () => fs.existsSync(runPaths(dir).metrics) && metrics(dir).some((r) => r.kind === 'step'));
  child.kill('SIGINT');
  const exit = await done;
  assert.equal(exit.code, 0, exit.log);
  assert.equal(manifestOf(dir).status, 'stopped');
  const idx = readJson<CheckpointIndex>(runPaths(dir).checkpointIndex);
  assert.ok(fs.existsSync(path.join(dir, idx.checkpoints[idx.checkpoints.length - 1]!.path, 'manifest.json')));
});
