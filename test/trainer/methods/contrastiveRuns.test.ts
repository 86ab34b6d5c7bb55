// GPaCo and PaCo through the real trainer process: the queue is checkpointed and a resumed run
// continues with exactly the saved queue (bit-identical to an uninterrupted run); on wasm a step
// that would overflow the heap gets micro-batches chosen (and announced) before training.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CheckpointIndex } from '../../../src/core/contract';
import { runPaths } from '../../../src/core/runDirectory';
import { readCheckpoint } from '../../../src/trainer/checkpoint';
import { makeRun, metrics, readJson, runTrainer, tinyConfig } from '../harness';

for (const kind of ['gpaco', 'paco'] as const) {
  test(`${kind}: a run stopped mid-epoch resumes with the saved queue and ends bit-identical to an uninterrupted run`, async (t) => {
    // 81 training images / batch 16 = 5 steps per epoch; queue 48 = 3 batches, so it wraps.
    const config = tinyConfig({
      loss: { kind, queueSize: 48, alpha: 0.05, momentum: 0.9 },
      model: { projectionDim: 8 },
      optim: { epochs: 2 },
      checkpoint: { every: 1 },
    });
    config.backend = 'cpu';
    const a = makeRun(t, config);
    const b = makeRun(t, config);
    const ra = await runTrainer(['run', a]);
    assert.equal(ra.code, 0, ra.log);
    const stopped = await runTrainer(['run', b], { GPACO_STOP_AFTER_STEPS: '7' });
    assert.equal(stopped.code, 0, stopped.log);
    const idx = readJson<CheckpointIndex>(runPaths(b).checkpointIndex);
    const tag = idx.checkpoints[idx.checkpoints.length - 1]!.tag;
    assert.equal(tag, 'epoch-0001-step-0000007');
    // The stop checkpoint holds the queue: 7 steps x 16 keys into 48 slots -> full, pointer at 112 mod 48 = 16.
    const saved = readCheckpoint(b, tag);
    const q = saved.manifest.method as { queue: { size: number; dim: number; ptr: number; filled: number } };
    assert.deepEqual(q.queue, { size: 48, dim: 8, ptr: 16, filled: 48 });
    const feats = saved.tensors.get('extra/queue.features')!;
    const labels = saved.tensors.get('extra/queue.labels')!;
    assert.deepEqual(feats.shape, [48, 8]);
    assert.ok(Array.from(labels.values).every((l) => l >= 0 && l < 4));
    for (let i = 0; i < 48; i++)
      assert.ok(Math.abs(Math.hypot(...feats.values.subarray(i * 8, i * 8 + 8)) - 1) < 1e-5, 'queued keys are unit vectors');
    if (kind === 'paco')
      assert.ok(
        [...saved.tensors.keys()].some((k) => k.startsWith('method/keyEncoder.')),
        'the key encoder is checkpointed',
      );

    const resumed = await runTrainer(['run', b, '--resume']);
    assert.equal(resumed.code, 0, resumed.log);
    // Identical final weights, optimizer state AND queue: the resumed run used the saved queue.
    const wa = readCheckpoint(a, 'epoch-0002').tensors;
    const wb = readCheckpoint(b, 'epoch-0002').tensors;
    assert.deepEqual([...wb.keys()].sort(), [...wa.keys()].sort());
    for (const [k, v] of wa) assert.deepEqual(Array.from(wb.get(k)!.values), Array.from(v.values), k);
    assert.deepEqual(readJson(runPaths(a).evalFile('epoch-0002')), readJson(runPaths(b).evalFile('epoch-0002')));
    assert.ok(
      fs
        .readFileSync(path.join(a, 'checkpoints/epoch-0002/weights.bin'))
        .equals(fs.readFileSync(path.join(b, 'checkpoints/epoch-0002/weights.bin'))),
    );
  });
}

test('wasm: a GPaCo step over the heap budget trains in micro-batches chosen and announced before the start', async (t) => {
  const config = tinyConfig({
    loss: { kind: 'gpaco', queueSize: 32 },
    model: { projectionDim: 8 },
    optim: { epochs: 1 },
    eval: { every: 1 },
  });
  config.backend = 'wasm';
  const dir = makeRun(t, config);
  // A pretend heap so small that 2 views x 16 images on the tape do not fit.
  const r = await runTrainer(['run', dir], { GPACO_WASM_HEAP_LIMIT: String(3 * 2 ** 20) });
  assert.equal(r.code, 0, r.log);
  const m = /optim\.microBatchSize set to (\d+): a step of 16 images \(2 views with gradients\) needs ~[\d.]+ [MG]iB of wasm heap/.exec(
    r.log,
  );
  assert.ok(m, r.log);
  const micro = Number(m[1]);
  assert.ok(micro >= 1 && micro <= 16);
  assert.match(r.log, new RegExp(`micro-batches of ${micro}`));
  assert.ok(r.log.indexOf('optim.microBatchSize set to') < r.log.indexOf('epoch 1/1'), 'announced before training');
  const events = metrics(dir).filter((rec) => rec.kind === 'event');
  assert.ok(
    events.some((rec) => rec.level === 'warn' && rec.message.startsWith(`optim.microBatchSize set to ${micro}`)),
    JSON.stringify(events),
  );
  assert.ok(metrics(dir).some((rec) => rec.kind === 'eval'));
});
