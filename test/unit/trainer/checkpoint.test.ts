// Checkpoint folders, the latest-complete search, the retention policy, and the session's
// tensors: a reloaded checkpoint predicts exactly what the network predicted before saving,
// training steps leak no tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { validateConfig } from '../../../src/core/config/validate';
import type { Config } from '../../../src/core/config/schema';
import { Rng } from '../../../src/core/random';
import { readCheckpointIndex } from '../../../src/core/runDirectory';
import { disposeBatch, epochOrder, evalImages, makeTrainBatch } from '../../../src/trainer/batches';
import {
  type HostTensor,
  type ManifestInput,
  findLatestCheckpoint,
  indexEntryOf,
  readCheckpoint,
  recordCheckpoint,
  writeCheckpoint,
} from '../../../src/trainer/checkpoint';
import { makeSyntheticDataset } from '../../../src/data/synthetic';
import { TrainingSession } from '../../../src/trainer/session';
import { StepRunner } from '../../../src/trainer/step';
import { tempDir } from '../../../test/shared/tmp';

function tinyConfig(over: Record<string, unknown> = {}): Config {
  const r = validateConfig({
    data: { kind: 'synthetic', classes: 4, imageSize: 12, maxPerClass: 32, imbalanceFactor: 8, testPerClass: 4 },
    model: { arch: 'convnet', width: 4 },
    loss: { kind: 'balanced-softmax' },
    optim: { batchSize: 8, epochs: 2, warmupEpochs: 0 },
    ...over,
  });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.config;
}

function manifestInput(tag: string, epoch: number, step: number, stepInEpoch = 0, top1: number | null = null): ManifestInput {
  return {
    tag,
    epoch,
    step,
    stepInEpoch,
    time: new Date().toISOString(),
    arch: 'convnet',
    backend: 'cpu',
    trainer: { rng: { shuffle: [1, 2, 3, 4], augment: [5, 6, 7, 8] }, partialEpoch: null },
    method: { queue: 3 },
    records: [],
    eval: top1 === null ? null : { top1, many: top1, medium: top1, few: top1 },
  };
}

test('a checkpoint folder round-trips every tensor byte for byte', (t) => {
  const dir = tempDir(t);
  const tensors = new Map<string, HostTensor>([
    ['net/a', { dtype: 'float32', shape: [2, 3], values: Float32Array.from([1, -2, 3.5, 1e-30, NaN, 7]) }],
    ['trainer/order', { dtype: 'int32', shape: [3], values: Int32Array.from([2, 0, 1]) }],
  ]);
  const bytes = writeCheckpoint(dir, manifestInput('epoch-0001', 1, 10), tensors);
  assert.ok(bytes > 6 * 4 + 3 * 4);
  const { manifest, tensors: back } = readCheckpoint(dir, 'epoch-0001');
  assert.equal(manifest.schema, 'gpaco-checkpoint/1');
  assert.deepEqual(manifest.method, { queue: 3 });
  assert.deepEqual(back.get('net/a')!.shape, [2, 3]);
  assert.deepEqual(Buffer.from(back.get('net/a')!.values.buffer), Buffer.from(tensors.get('net/a')!.values.buffer));
  assert.deepEqual(back.get('trainer/order')!.values, Int32Array.from([2, 0, 1]));
  // a truncated weights file is refused, not half-loaded
  fs.truncateSync(path.join(dir, 'checkpoints/epoch-0001/weights.bin'), 8);
  assert.throws(() => readCheckpoint(dir, 'epoch-0001'), /has 8 bytes, the manifest says/);
});

test('the latest complete checkpoint is found from the folders; incomplete ones are ignored', (t) => {
  const dir = tempDir(t);
  const one = new Map<string, HostTensor>([['x', { dtype: 'float32', shape: [1], values: Float32Array.from([1]) }]]);
  writeCheckpoint(dir, manifestInput('epoch-0001', 1, 5), one);
  writeCheckpoint(dir, manifestInput('epoch-0002-step-0000007', 2, 7, 2), one);
  // killed while writing epoch 3: weights but no manifest
  fs.mkdirSync(path.join(dir, 'checkpoints/epoch-0003'));
  fs.writeFileSync(path.join(dir, 'checkpoints/epoch-0003/weights.bin'), Buffer.alloc(4));
  // a folder whose manifest is not a checkpoint manifest
  fs.mkdirSync(path.join(dir, 'checkpoints/junk'));
  fs.writeFileSync(path.join(dir, 'checkpoints/junk/manifest.json'), '{"tag":"junk"}');
  const skipped: string[] = [];
  const latest = findLatestCheckpoint(dir, (tag) => skipped.push(tag));
  assert.equal(latest?.tag, 'epoch-0002-step-0000007');
  assert.deepEqual(skipped.sort(), ['epoch-0003', 'junk']);
  assert.equal(findLatestCheckpoint(path.join(dir, 'nowhere')), undefined);
});

test('retention keeps the latest, the last K on the checkpoint grid and the best', (t) => {
  const dir = tempDir(t);
  const one = new Map<string, HostTensor>([['x', { dtype: 'float32', shape: [1], values: Float32Array.from([1]) }]]);
  const policy = { every: 2, keepLast: 2, keepBest: true, epochs: 9 };
  const top1 = [0.1, 0.5, 0.2, 0.3, 0.25, 0.26, 0.27, 0.28, 0.29];
  for (let e = 1; e <= 9; e++) {
    const m = manifestInput(`epoch-000${e}`, e, e * 10, 0, top1[e - 1]);
    const bytes = writeCheckpoint(dir, m, one);
    recordCheckpoint(
      dir,
      indexEntryOf({ ...m, schema: 'gpaco-checkpoint/1', weightsFile: 'weights.bin', bytes, tensors: [] }, bytes),
      policy,
    );
  }
  const kept = readCheckpointIndex(dir).checkpoints;
  // grid = 2, 4, 6, 8 and the final epoch 9; last two of them: 8, 9; best: epoch 2 (0.5)
  assert.deepEqual(
    kept.map((e) => e.tag),
    ['epoch-0002', 'epoch-0008', 'epoch-0009'],
  );
  assert.deepEqual(
    kept.map((e) => e.best),
    [true, false, false],
  );
  const folders = fs
    .readdirSync(path.join(dir, 'checkpoints'))
    .filter((f) => f.startsWith('epoch-'))
    .sort();
  assert.deepEqual(folders, ['epoch-0002', 'epoch-0008', 'epoch-0009']);
  // a mid-epoch (stop) checkpoint is kept while it is the latest, and pruned by the next one
  const stop = manifestInput('epoch-0009-step-0000095', 9, 95, 5);
  const b1 = writeCheckpoint(dir, stop, one);
  recordCheckpoint(dir, indexEntryOf({ ...stop, schema: 'gpaco-checkpoint/1', weightsFile: 'weights.bin', bytes: b1, tensors: [] }, b1), {
    ...policy,
    epochs: 12,
  });
  assert.ok(readCheckpointIndex(dir).checkpoints.some((e) => e.tag === stop.tag));
  const next = manifestInput('epoch-0010', 10, 100);
  const b2 = writeCheckpoint(dir, next, one);
  recordCheckpoint(dir, indexEntryOf({ ...next, schema: 'gpaco-checkpoint/1', weightsFile: 'weights.bin', bytes: b2, tensors: [] }, b2), {
    ...policy,
    epochs: 12,
  });
  const after = readCheckpointIndex(dir).checkpoints.map((e) => e.tag);
  assert.ok(!after.includes(stop.tag));
  assert.ok(!fs.existsSync(path.join(dir, 'checkpoints', stop.tag)));
});

test('a reloaded checkpoint predicts exactly the same logits; steps leak no tensors', async (t) => {
  await tf.setBackend('cpu');
  const dir = tempDir(t);
  const config = tinyConfig();
  const ds = makeSyntheticDataset(config.data, 0);
  const a = new TrainingSession(config, ds);
  const runner = new StepRunner(a.method, a.trainables, a.optimizer);
  const order = epochOrder(ds.train.count, new Rng(1));
  const rng = new Rng(2);
  const opts = { padding: 2, flip: true, strongSecondView: false };
  const counts: number[] = [];
  for (let s = 0; s < 4; s++) {
    const batch = makeTrainBatch(ds.train, a.geo, order, s, 8, 4, 1, opts, rng);
    const out = await runner.run(batch, 0.05);
    disposeBatch(batch);
    tf.dispose([out.loss, out.correct]);
    counts.push(tf.memory().numTensors);
  }
  assert.deepEqual(counts.slice(1), [counts[1], counts[1], counts[1]], `tensor counts ${counts.join(',')}`);
  const x = evalImages(ds.test, a.geo, 0, ds.test.count);
  const before = a.network.forward(x, false).logits.dataSync().slice();
  writeCheckpoint(dir, manifestInput('epoch-0001', 1, 4), await a.collectTensors());
  // A session with other initial weights, then the checkpoint loaded into it.
  const b = new TrainingSession({ ...config, seed: 99 }, ds);
  assert.notDeepEqual(b.network.forward(x, false).logits.dataSync(), before);
  const { manifest, tensors } = readCheckpoint(dir, 'epoch-0001');
  b.applyTensors(tensors, manifest.method);
  assert.deepEqual(b.network.forward(x, false).logits.dataSync(), before);
  // ... including the BN running statistics and the momentum buffers
  for (const [name, buf] of a.optimizer.state()) assert.deepEqual(b.optimizer.state().get(name)!.dataSync(), buf.dataSync(), name);
  a.dispose();
  b.dispose();
});
