// Streaming input in the real trainer process (data.cache "none" / "disk" on a generated JPEG
// list): the runs train on the same batches as the in-memory run (same losses, same weights), the
// disk cache is built once and reused, and a decode worker that dies mid-epoch fails the run with
// the reason while its last checkpoint stays resumable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateConfig } from '../../../src/core/config/validate';
import type { Config } from '../../../src/core/config/schema';
import type { CheckpointIndex, RunManifest } from '../../../src/core/contract';
import { runPaths } from '../../../src/core/runDirectory';
import { writeJpegList, type JpegList } from '../../../test/shared/jpegList';
import { tempDir } from '../../../test/shared/tmp';
import { makeRun, metrics, readJson, runTrainer } from '../harness';

const manifestOf = (dir: string) => readJson<RunManifest>(runPaths(dir).run);

// 44 training images / batch 8 = 5 steps per epoch.
function listConfig(list: JpegList, data: Record<string, unknown>, epochs = 2): Config {
  const r = validateConfig({
    data: { kind: 'list', root: list.root, train: list.train, test: list.test, imageSize: 12, channels: 3, ...data },
    model: { arch: 'convnet', width: 4 },
    loss: { kind: 'balanced-softmax' },
    optim: { batchSize: 8, epochs, lr: 0.05, warmupEpochs: 1 },
    eval: { every: 1, manyThreshold: 20, fewThreshold: 8 },
    checkpoint: { every: 1, keepLast: 3, keepBest: false },
    backend: 'cpu',
  });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.config;
}

const losses = (dir: string) => metrics(dir).flatMap((r) => (r.kind === 'epoch' ? [r.loss] : r.kind === 'eval' ? [r.top1] : []));

test('runs with data.cache none and disk train on the same batches as the in-memory run; the disk cache is reused', async (t) => {
  const data = tempDir(t, 'gpaco-stream-data-');
  const list = writeJpegList(data, { trainCounts: [24, 12, 8], testPer: 4 });
  const cacheDir = path.join(data, 'cache');
  const memory = makeRun(t, listConfig(list, {}));
  const none = makeRun(t, listConfig(list, { cache: 'none', decodeWorkers: 2 }));
  const disk = makeRun(t, listConfig(list, { cache: 'disk', cacheDir, decodeWorkers: 2 }));
  for (const dir of [memory, none, disk]) {
    const r = await runTrainer(['run', dir]);
    assert.equal(r.code, 0, r.log);
  }
  assert.match(fs.readFileSync(runPaths(none).log, 'utf8'), /images streamed, data\.cache "none"/);
  assert.match(fs.readFileSync(runPaths(disk).log, 'utf8'), /train images: disk cache .* built with 2 decode threads/);
  const want = losses(memory);
  assert.equal(want.length, 4, 'two epoch records and two evaluations');
  assert.deepEqual(losses(none), want, 'cache none: the same losses and accuracies, bit for bit');
  assert.deepEqual(losses(disk), want, 'cache disk: the same losses and accuracies, bit for bit');
  const weights = (dir: string) => fs.readFileSync(path.join(dir, 'checkpoints/epoch-0002/weights.bin'));
  assert.ok(weights(none).equals(weights(memory)) && weights(disk).equals(weights(memory)), 'the same final weights');

  const again = makeRun(t, listConfig(list, { cache: 'disk', cacheDir }, 1));
  const r = await runTrainer(['run', again]);
  assert.equal(r.code, 0, r.log);
  assert.match(r.log, /train images: disk cache .* reused/);
  assert.equal(fs.readdirSync(cacheDir).length, 2);
});

test('a decode worker that dies mid-epoch fails the run with the reason; the last checkpoint stays and resumes', async (t) => {
  const data = tempDir(t, 'gpaco-stream-data-');
  const list = writeJpegList(data, { trainCounts: [24, 12, 8], testPer: 4 });
  const dir = makeRun(t, listConfig(list, { cache: 'none', decodeWorkers: 1 }, 3));
  // One thread, jobs of 4 images (batches of 8): an epoch is 10 training jobs and 3 test jobs, so job 20 is in epoch 2.
  const r = await runTrainer(['run', dir], { GPACO_TEST_DECODE_WORKER_EXIT: '1:20' });
  assert.equal(r.code, 1, r.log);
  const run = manifestOf(dir);
  assert.equal(run.status, 'failed');
  assert.match(
    run.error?.message ?? '',
    /^decode worker thread 1 of 1 died while decoding images \(exit code 70\); the run keeps its last checkpoint epoch-0001 \(gpaco resume continues from it\)$/,
  );
  assert.doesNotMatch(r.log, /^\s+at /m, 'no stack trace in the log');
  const idx = readJson<CheckpointIndex>(runPaths(dir).checkpointIndex);
  assert.deepEqual(
    idx.checkpoints.map((c) => c.tag),
    ['epoch-0001'],
  );
  const resumed = await runTrainer(['run', dir, '--resume']);
  assert.equal(resumed.code, 0, resumed.log);
  assert.equal(manifestOf(dir).status, 'completed');
});

test('with two training worker threads a streamed run (its evaluation split over them) matches the in-memory run', async (t) => {
  const data = tempDir(t, 'gpaco-stream-data-');
  const list = writeJpegList(data, { trainCounts: [24, 12, 8], testPer: 4 });
  const parallel = (cache: Record<string, unknown>) => {
    const c = listConfig(list, cache, 1);
    c.backend = 'wasm';
    c.optim.workers = 2;
    c.optim.shards = 2;
    c.eval.batchSize = 4;
    return c;
  };
  const memory = makeRun(t, parallel({}));
  const none = makeRun(t, parallel({ cache: 'none', decodeWorkers: 1 }));
  for (const dir of [memory, none]) {
    const r = await runTrainer(['run', dir]);
    assert.equal(r.code, 0, r.log);
    assert.match(r.log, /parallel: 2 worker threads, 2 shards of 4 images/);
  }
  assert.deepEqual(losses(none), losses(memory));
  const evalOf = (dir: string) => fs.readFileSync(path.join(dir, 'evals/epoch-0001.json'), 'utf8').replace(/"time":"[^"]*"/g, '');
  assert.equal(evalOf(none), evalOf(memory), 'the same evaluation, image by image');
});
