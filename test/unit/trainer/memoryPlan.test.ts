// The wasm heap plan: when a step would not fit, micro-batches are chosen (gradient caching for
// coupled losses, per-view at micro = batch first), the change is explained, and a step that
// cannot fit at all is refused with the reason - never a bare "memory access out of bounds".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planMicroBatch, stepEstimate, tapedViews } from '../../../src/trainer/memoryPlan';

const MiB = 2 ** 20;
// ResNet-32 as measured on wasm (22.25 MiB per image and view on the tape).
const resnet = { perImage: 22.25 * MiB, fixed: 5.5 * MiB };
const gpaco = { kind: 'gpaco' as const, views: 2 as const, microBatchable: false, computeGradients: () => undefined };
const paco = { ...gpaco, kind: 'paco' as const };
const ce = { kind: 'ce' as const, views: 1 as const, microBatchable: true };

test('the paper recipe (GPaCo, two views, batch 128) on wasm: one view at a time, the same step', () => {
  const p = planMicroBatch({ batchSize: 128, configured: undefined, method: gpaco, bytes: resnet });
  assert.equal(p.microBatchSize, 128);
  assert.ok(stepEstimate({ batchSize: 128, configured: undefined, method: gpaco, bytes: resnet }, undefined) > p.budget);
  assert.ok(p.estimate <= p.budget);
  assert.match(p.change!, /optim\.microBatchSize set to 128: a step of 128 images \(2 views with gradients\) needs ~5\.5\d GiB/);
  assert.match(p.change!, /gradient caching .* \(the same loss and gradient as one pass\)/);
});

test('steps that fit are left alone; PaCo keeps only its query view on the tape', () => {
  assert.equal(tapedViews(paco), 1);
  assert.equal(tapedViews(gpaco), 2);
  for (const method of [paco, ce, { ...gpaco, views: 1 as const }]) {
    const p = planMicroBatch({ batchSize: 128, configured: undefined, method, bytes: resnet });
    assert.equal(p.change, null);
    assert.equal(p.microBatchSize, undefined);
  }
  assert.equal(planMicroBatch({ batchSize: 64, configured: undefined, method: gpaco, bytes: resnet }).change, null);
});

test('larger batches get near-equal micro-batches; a configured size that does not fit is lowered', () => {
  const p = planMicroBatch({ batchSize: 256, configured: undefined, method: ce, bytes: resnet });
  assert.equal(p.microBatchSize, 128);
  assert.match(p.change!, /summed micro-batch gradients .* \(BN statistics per micro-batch of 128\)/);
  const q = planMicroBatch({ batchSize: 300, configured: 200, method: gpaco, bytes: resnet });
  assert.equal(q.microBatchSize, 100);
  assert.match(q.change!, /in micro-batches of 200/);
  const kept = planMicroBatch({ batchSize: 300, configured: 50, method: gpaco, bytes: resnet });
  assert.equal(kept.change, null);
  assert.equal(kept.microBatchSize, 50);
});

test('a step that cannot fit is refused with a reason', () => {
  const noSplit = { kind: 'ce' as const, views: 1 as const, microBatchable: false };
  assert.throws(
    () => planMicroBatch({ batchSize: 256, configured: undefined, method: noSplit, bytes: resnet }),
    /cannot be split: lower optim\.batchSize/,
  );
  assert.throws(
    () => planMicroBatch({ batchSize: 4, configured: undefined, method: gpaco, bytes: { perImage: 5e9, fixed: 0 } }),
    /does not fit the wasm heap even one image at a time/,
  );
});
