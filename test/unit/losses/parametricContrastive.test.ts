// The float32 TF.js core (the code the trainer runs) against the golden file on the cpu and wasm
// backends, its exact reductions (docs/method.md), queue-permutation invariance, and the masking of an
// empty / partly filled queue, each checked against the float64 reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/trainer/backends';
import { GOLDEN_QUANTITIES, loadGoldenFile } from '../../../src/trainer/losses/goldenCases';
import {
  arrangeContrast,
  logPriorTensor,
  parametricContrastiveLoss,
  type LossHyper,
} from '../../../src/trainer/losses/parametricContrastive';
import { KeyQueue } from '../../../src/trainer/losses/queue';
import { logPrior64, methodLoss64, type MethodInput64 } from '../../../src/trainer/losses/reference64';
import { compareCase, evaluateCaseTf } from '../../../src/trainer/losses/verifyGolden';
import { Rng } from '../../../src/core/random';

const GOLDEN_FILE = path.resolve(__dirname, '../../fixtures/losses/gpaco_loss_cases.json');
const cases = loadGoldenFile(GOLDEN_FILE);

for (const backend of ['cpu', 'wasm'] as const) {
  test(`golden cases within 1e-4 on the ${backend} backend (loss, per-anchor loss, every gradient)`, async () => {
    await selectBackend(backend);
    const before = tf.memory().numTensors;
    for (const c of cases) {
      const report = compareCase(c, evaluateCaseTf(c));
      for (const q of GOLDEN_QUANTITIES) {
        const e = report.errors[q];
        if (c.expected[q] === null) assert.equal(e, null, `${c.name} ${q}`);
        else assert.ok(e !== null && e <= 1e-4, `${backend} ${c.name} ${q}: max abs error ${e}`);
      }
    }
    assert.equal(tf.memory().numTensors, before, 'the evaluation leaks no tensors');
  });
}

const HP: LossHyper = {
  alpha: 0.05,
  beta: 1,
  gamma: 1,
  temperature: 0.2,
  baseTemperature: 0.2,
  supt: 1,
  labelSmoothing: 0,
  usePrior: true,
  epsPrior: 1e-9,
  epsDen: 1e-12,
};

function unitRows(rng: Rng, n: number, d: number): number[][] {
  return Array.from({ length: n }, () => {
    const v = Array.from({ length: d }, () => rng.normal());
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

/** A random GPaCo-shaped problem (in the golden file's input format). */
function randomProblem(seed: number, B = 6, K = 10, C = 4, D = 8, F = 5): MethodInput64 {
  const rng = new Rng(seed);
  const mat = (r: number, c: number, s: number) => Array.from({ length: r }, () => Array.from({ length: c }, () => s * rng.normal()));
  return {
    q: unitRows(rng, B, D),
    k: unitRows(rng, B, D),
    queue: unitRows(rng, K, D),
    labels: Array.from({ length: B }, () => rng.int(C)),
    queueLabels: Array.from({ length: K }, () => rng.int(C)),
    hQ: mat(B, F, 1),
    hK: mat(B, F, 1),
    W: mat(C, F, 0.5),
    b: Array.from({ length: C }, () => 0.1 * rng.normal()),
    classCounts: [200, 60, 15, 4].slice(0, C),
  };
}

/** GPaCo loss of a problem through the TF.js core with `queue` as the contrast queue. */
function tfGpacoLoss(x: MethodInput64, hp: LossHyper, queue: { features: tf.Tensor2D; labels: tf.Tensor1D } | null): number {
  return tf.tidy(() => {
    const labels = tf.tensor1d(x.labels, 'int32');
    const z = tf.add<tf.Tensor2D>(
      tf.matMul(tf.concat([tf.tensor2d(x.hQ), tf.tensor2d(x.hK!)], 0), tf.tensor2d(x.W), false, true),
      tf.tensor1d(x.b),
    );
    const { contrast, anchorLabels } = arrangeContrast('gpaco', tf.tensor2d(x.q), tf.tensor2d(x.k!), labels, queue);
    const logPrior = hp.usePrior ? logPriorTensor(x.classCounts) : null;
    return parametricContrastiveLoss({ centerLogits: z, labels: anchorLabels, logPrior, contrast }, hp).loss.dataSync()[0]!;
  });
}

test('alpha = gamma = 0 reduces exactly to Balanced Softmax (prior on) and CE (prior off)', async () => {
  await selectBackend('cpu');
  const rng = new Rng(11);
  const A = 16;
  const C = 7;
  const counts = [500, 300, 120, 60, 20, 8, 3];
  const zv = Array.from({ length: A }, () => Array.from({ length: C }, () => 3 * rng.normal()));
  const yv = Array.from({ length: A }, () => rng.int(C));
  const feats = unitRows(rng, A + 5, 8);
  for (const usePrior of [true, false]) {
    const hp: LossHyper = { ...HP, alpha: 0, gamma: 0, usePrior };
    const [withContrast, without, independent] = tf.tidy(() => {
      const z = tf.tensor2d(zv);
      const y = tf.tensor1d(yv, 'int32');
      const lp = logPriorTensor(counts);
      const prior = usePrior ? lp : null;
      // With the contrast columns present but switched off by alpha = gamma = 0...
      const contrast = {
        anchors: tf.tensor2d(feats.slice(0, A)),
        contrast: tf.tensor2d(feats),
        contrastLabels: tf.tensor1d([...yv, 0, 1, 2, 3, 4], 'int32'),
      };
      const a = parametricContrastiveLoss({ centerLogits: z, labels: y, logPrior: prior, contrast }, hp).loss;
      // ... and without them (what the ce / balanced-softmax methods run) ...
      const b = parametricContrastiveLoss({ centerLogits: z, labels: y, logPrior: prior, contrast: null }, hp).loss;
      // ... against tfjs's own softmax cross-entropy.
      const oneHot = tf.oneHot(y, C).toFloat() as tf.Tensor2D;
      const u = prior ? tf.add(z, prior) : z;
      const c = tf.losses.softmaxCrossEntropy(oneHot, u);
      return [a, b, c].map((t) => t.dataSync()[0]!);
    });
    const float64 =
      zv.reduce((s, row, i) => {
        const u = row.map((v, c) => v + (usePrior ? logPrior64(counts)[c]! : 0));
        const m = Math.max(...u);
        return s + (m + Math.log(u.reduce((t, v) => t + Math.exp(v - m), 0)) - u[yv[i]!]!);
      }, 0) / A;
    for (const [name, v] of [
      ['core with contrast', withContrast],
      ['core without contrast', without],
      ['tf.losses.softmaxCrossEntropy', independent],
    ] as const) {
      assert.ok(Math.abs(v! - float64) < 2e-6, `prior ${usePrior}: ${name} ${v} vs float64 ${float64}`);
    }
    assert.ok(Math.abs(withContrast! - without!) < 1e-6);
  }
});

test('gamma = 1 with alpha = 0 is not Balanced Softmax (docs/method.md, Pitfalls)', async () => {
  await selectBackend('cpu');
  const x = randomProblem(5);
  const a = tfGpacoLoss(x, { ...HP, alpha: 0, gamma: 1 }, null);
  const b = tfGpacoLoss(x, { ...HP, alpha: 0, gamma: 0 }, null);
  assert.ok(Math.abs(a - b) > 1e-3, `${a} vs ${b}`);
});

test('permuting the queue rows together with their labels leaves loss and gradients unchanged', async () => {
  await selectBackend('cpu');
  const x = randomProblem(21, 6, 12);
  const perm = new Rng(3).shuffle(Array.from({ length: 12 }, (_, i) => i));
  const permuted = { ...x, queue: perm.map((i) => x.queue[i]!), queueLabels: perm.map((i) => x.queueLabels[i]!) };
  assert.notDeepEqual(permuted.queueLabels, x.queueLabels);
  const run = (p: MethodInput64) =>
    tf.tidy(() => {
      const queue = { features: tf.tensor2d(p.queue), labels: tf.tensor1d(p.queueLabels, 'int32') };
      const labels = tf.tensor1d(p.labels, 'int32');
      const hz = tf.concat([tf.tensor2d(p.hQ), tf.tensor2d(p.hK!)], 0);
      const W = tf.tensor2d(p.W);
      const { value, grads } = tf.valueAndGrads((q: tf.Tensor, k: tf.Tensor) => {
        const { contrast, anchorLabels } = arrangeContrast('gpaco', q as tf.Tensor2D, k as tf.Tensor2D, labels, queue);
        const z = tf.matMul<tf.Tensor2D>(hz, W, false, true);
        return parametricContrastiveLoss({ centerLogits: z, labels: anchorLabels, logPrior: logPriorTensor(p.classCounts), contrast }, HP)
          .loss;
      })([tf.tensor2d(p.q), tf.tensor2d(p.k!)]);
      return [value.dataSync()[0]!, Array.from(grads[0]!.dataSync()), Array.from(grads[1]!.dataSync())] as const;
    });
  const [l0, gq0, gk0] = run(x);
  const [l1, gq1, gk1] = run(permuted);
  assert.ok(Math.abs(l0 - l1) < 1e-6, `${l0} vs ${l1}`);
  gq0.forEach((v, i) => assert.ok(Math.abs(v - gq1[i]!) < 1e-6));
  gk0.forEach((v, i) => assert.ok(Math.abs(v - gk1[i]!) < 1e-6));
});

test('an empty and a partly filled queue contribute exactly their filled entries', async () => {
  await selectBackend('cpu');
  const x = randomProblem(33, 6, 10);
  const hp = { ...HP, alpha: 0.3 };
  const queue = new KeyQueue(16, 8);
  // Empty: no snapshot at all; equals the reference with K = 0.
  assert.equal(queue.snapshot(), null);
  const empty = tfGpacoLoss(x, hp, null);
  const ref0 = methodLoss64('gpaco', { ...x, queue: [], queueLabels: [] }, hp).loss;
  assert.ok(Math.abs(empty - ref0) < 1e-5, `${empty} vs ${ref0}`);
  // Partly filled: 10 of 16 slots; the 6 unfilled slots are neither positives nor in the denominator.
  queue.enqueue(Float32Array.from(x.queue.flat()), Int32Array.from(x.queueLabels));
  assert.equal(queue.filled, 10);
  const snap = queue.snapshot()!;
  assert.deepEqual(snap.features.shape, [10, 8]);
  const partly = tfGpacoLoss(x, hp, snap);
  tf.dispose([snap.features, snap.labels]);
  const ref10 = methodLoss64('gpaco', x, hp).loss;
  assert.ok(Math.abs(partly - ref10) < 1e-5, `${partly} vs ${ref10}`);
  // Counting the unfilled slots as zero features of some class would change the loss.
  const withJunk = methodLoss64(
    'gpaco',
    {
      ...x,
      queue: [...x.queue, ...Array.from({ length: 6 }, () => new Array<number>(8).fill(0))],
      queueLabels: [...x.queueLabels, 0, 0, 0, 0, 0, 0],
    },
    hp,
  ).loss;
  assert.ok(Math.abs(withJunk - ref10) > 1e-3);
});

test('the queue is a FIFO ring: wraps at K, keeps the newest keys, restores exactly', () => {
  const q = new KeyQueue(5, 2);
  const keys = (from: number, n: number) => Float32Array.from({ length: 2 * n }, (_, i) => from + Math.floor(i / 2));
  q.enqueue(keys(0, 3), Int32Array.from([0, 1, 2]));
  q.enqueue(keys(3, 3), Int32Array.from([3, 4, 5]));
  let s = q.state();
  assert.equal(s.filled, 5);
  assert.equal(s.ptr, 1);
  assert.deepEqual(Array.from(s.labels), [5, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(s.features.subarray(0, 2)), [5, 5]);
  // More keys than slots: only the newest 5 remain.
  q.enqueue(keys(10, 7), Int32Array.from([10, 11, 12, 13, 14, 15, 16]));
  s = q.state();
  assert.deepEqual(
    [...s.labels].sort((a, b) => a - b),
    [12, 13, 14, 15, 16],
  );
  const r = KeyQueue.restore(s);
  assert.deepEqual(r.state(), s);
  assert.throws(() => KeyQueue.restore({ ...s, ptr: 9 }), /out of range/);
  assert.throws(() => q.enqueue(new Float32Array(3), Int32Array.from([1, 2])), /3 values for 2 keys/);
  // K = 0 (batch-only contrast) never holds anything.
  const none = new KeyQueue(0, 4);
  none.enqueue(new Float32Array(8), Int32Array.from([1, 2]));
  assert.equal(none.snapshot(), null);
});
