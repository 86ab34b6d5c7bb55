// The trainer's own batch-norm kernels on wasm (src/trainer/kernels) and the tfjs-ops path that
// every other backend takes: forward (statistics, affine, residual, ReLU), running statistics,
// backward (with and without the ReLU mask) against a float64 reference written here, for channel
// counts with and without a SIMD tail and for more rows than one f32 partial-sum block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/trainer/backends';
import { BN_TRAIN_BACKWARD, BN_TRAIN_FORWARD, RELU_GRAD } from '../../../src/trainer/kernels/batchNormKernels';
import { bnTrainBackward, bnTrainForward, reluBackward } from '../../../src/trainer/models/fusedBatchNorm';
import { BatchNorm } from '../../../src/trainer/nn/layers';
import { ParameterStore } from '../../../src/trainer/nn/params';

interface Inputs {
  x: Float32Array;
  dy: Float32Array;
  res: Float32Array;
  mask: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  C: number;
}

function inputs(shape: number[], seed: number): Inputs {
  let s = seed;
  const next = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const size = shape.reduce((p, v) => p * v, 1);
  const C = shape[shape.length - 1]!;
  // Mean 5, spread 3: a naive one-pass variance in float32 would lose digits here.
  const x = Float32Array.from({ length: size }, () => 5 + 6 * (next() - 0.5));
  const dy = Float32Array.from({ length: size }, () => next() - 0.5);
  const res = Float32Array.from({ length: size }, () => next() - 0.5);
  const mask = Float32Array.from({ length: size }, () => next() - 0.3);
  const gamma = Float32Array.from({ length: C }, () => 0.5 + next());
  const beta = Float32Array.from({ length: C }, () => next() - 0.5);
  return { x, dy, res, mask, gamma, beta, C };
}

/** Float64 reference of the forward (with residual and ReLU when asked) and the masked backward. */
function reference(i: Inputs, o: { residual: boolean; relu: boolean; masked: boolean }, eps: number) {
  const { x, C } = i;
  const rows = x.length / C;
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  for (let k = 0; k < x.length; k++) mean[k % C]! += x[k]!;
  for (let c = 0; c < C; c++) mean[c]! /= rows;
  for (let k = 0; k < x.length; k++) variance[k % C]! += (x[k]! - mean[k % C]!) ** 2;
  for (let c = 0; c < C; c++) variance[c]! /= rows;
  const r = Array.from(variance, (v) => 1 / Math.sqrt(v + eps));
  const y = new Float64Array(x.length);
  for (let k = 0; k < x.length; k++) {
    const c = k % C;
    let v = (x[k]! - mean[c]!) * r[c]! * i.gamma[c]! + i.beta[c]!;
    if (o.residual) v += i.res[k]!;
    y[k] = o.relu ? Math.max(0, v) : v;
  }
  const g = Float64Array.from(i.dy, (d, k) => (o.masked && !(i.mask[k]! > 0) ? 0 : d));
  const dbeta = new Float64Array(C);
  const dgamma = new Float64Array(C);
  for (let k = 0; k < x.length; k++) {
    const c = k % C;
    dbeta[c]! += g[k]!;
    dgamma[c]! += g[k]! * (x[k]! - mean[c]!) * r[c]!;
  }
  const dx = new Float64Array(x.length);
  for (let k = 0; k < x.length; k++) {
    const c = k % C;
    const xhat = (x[k]! - mean[c]!) * r[c]!;
    dx[k] = i.gamma[c]! * r[c]! * (g[k]! - dbeta[c]! / rows - (xhat * dgamma[c]!) / rows);
  }
  const unbiased = rows / (rows - 1);
  return { y, mean, variance: Float64Array.from(variance, (v) => v * unbiased), dx, dgamma, dbeta, g };
}

/** Largest |a - b| over the largest |b|. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  let m = 0;
  for (let k = 0; k < b.length; k++) {
    d = Math.max(d, Math.abs(a[k]! - b[k]!));
    m = Math.max(m, Math.abs(b[k]!));
  }
  return d / (m || 1);
}

const SHAPES: number[][] = [
  [3, 5, 7, 6], // C = 6: one SIMD group and a scalar tail of 2
  [4, 8, 8, 16],
  [32, 16, 16, 32], // 8,192 rows: many f32 partial-sum blocks
  [2, 3, 3, 5], // C < 4: scalar only
];

for (const backend of ['wasm', 'cpu'] as const) {
  for (const shape of SHAPES) {
    for (const o of [
      { residual: false, relu: false, masked: false },
      { residual: true, relu: true, masked: true },
      { residual: false, relu: true, masked: true },
    ]) {
      test(`batch norm on ${backend}, ${shape.join('x')}, ${JSON.stringify(o)}: forward, running statistics and backward = float64 reference`, async () => {
        await selectBackend(backend);
        const data = inputs(
          shape,
          shape.reduce((p, v) => p * 31 + v, 7),
        );
        const bn = new BatchNorm(new ParameterStore(`bn${backend}${shape.join('x')}${o.relu}${o.residual}`), data.C);
        bn.gamma.assign(tf.tensor1d(data.gamma));
        bn.beta.assign(tf.tensor1d(data.beta));
        const ref = reference(data, o, bn.epsilon);
        const before = tf.memory().numTensors;
        const profile = await tf.profile(() => {
          const out = tf.tidy(() => {
            const x = tf.tensor(data.x, shape);
            const residual = o.residual ? tf.tensor(data.res, shape) : undefined;
            const f = bnTrainForward(bn, x, { relu: o.relu, ...(residual ? { residual } : {}) });
            const b = bnTrainBackward(tf.tensor(data.dy, shape), x, f.stats, bn.gamma, o.masked ? tf.tensor(data.mask, shape) : undefined);
            const g = reluBackward(tf.tensor(data.dy, shape), tf.tensor(data.mask, shape));
            return [f.y, b.dx, b.dgamma, b.dbeta, g].map((t) => t.dataSync().slice());
          });
          const [y, dx, dgamma, dbeta, g] = out as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
          const tol = 2e-6;
          assert.ok(relErr(y, ref.y) < tol, `y: ${relErr(y, ref.y)}`);
          assert.ok(relErr(dx, ref.dx) < tol, `dx: ${relErr(dx, ref.dx)}`);
          assert.ok(relErr(dgamma, ref.dgamma) < tol, `dgamma: ${relErr(dgamma, ref.dgamma)}`);
          assert.ok(relErr(dbeta, ref.dbeta) < tol, `dbeta: ${relErr(dbeta, ref.dbeta)}`);
          const refMasked = Float64Array.from(data.dy, (d, k) => (data.mask[k]! > 0 ? d : 0));
          assert.equal(relErr(g, refMasked), 0, 'the ReLU gradient is exact');
          // Running statistics after one step from (0, 1) with momentum m.
          const m = bn.momentum;
          const rm = bn.runningMean.dataSync();
          const rv = bn.runningVar.dataSync();
          assert.ok(
            relErr(
              rm,
              Float64Array.from(ref.mean, (v) => m * v),
            ) < tol,
            'running mean',
          );
          assert.ok(
            relErr(
              rv,
              Float64Array.from(ref.variance, (v) => 1 - m + m * v),
            ) < tol,
            'running variance',
          );
        });
        const names = new Set(profile.kernels.map((k) => k.name));
        const own = [BN_TRAIN_FORWARD, BN_TRAIN_BACKWARD, RELU_GRAD];
        if (backend === 'wasm') for (const n of own) assert.ok(names.has(n), `${n} ran on wasm`);
        else for (const n of own) assert.ok(!names.has(n), `${n} is wasm only`);
        assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
        bn.gamma.dispose();
        bn.beta.dispose();
        bn.runningMean.dispose();
        bn.runningVar.dispose();
      });
    }
  }
}

test('the wasm kernels keep working after the backend heap grows, and leave no scratch buffer behind', async () => {
  await selectBackend('wasm');
  const shape = [4, 8, 8, 16];
  const data = inputs(shape, 11);
  const bn = new BatchNorm(new ParameterStore('bngrow'), data.C);
  bn.gamma.assign(tf.tensor1d(data.gamma));
  bn.beta.assign(tf.tensor1d(data.beta));
  const ref = reference(data, { residual: false, relu: true, masked: false }, bn.epsilon);
  const run = (): Float32Array =>
    tf.tidy(() => bnTrainForward(bn, tf.tensor(data.x, shape), { relu: true }).y.dataSync().slice() as Float32Array);
  assert.ok(relErr(run(), ref.y) < 2e-6);
  const backend = tf.backend() as unknown as { numDataIds(): number; wasm: { HEAPU8: Uint8Array } };
  const heapBefore = backend.wasm.HEAPU8.buffer.byteLength;
  const big = tf.zeros([heapBefore / 4 + 1024]); // more than the heap had: it must grow
  assert.ok(backend.wasm.HEAPU8.buffer.byteLength > heapBefore, 'the heap grew');
  const ids = backend.numDataIds();
  assert.ok(relErr(run(), ref.y) < 2e-6, 'same values after the growth');
  assert.equal(backend.numDataIds(), ids, 'the scratch buffers are freed');
  big.dispose();
});
