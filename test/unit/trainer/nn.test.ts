// The functional layers: batch norm in affine form against tf.batchNorm (values and gradients),
// running statistics as PyTorch keeps them, evaluation from the running statistics; He init;
// dense; pooling; the option-A shortcut; the parameter registry; the convnet's shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../../src/core/random';
import { ConvNet } from '../../../src/trainer/models/convnet';
import {
  BatchNorm,
  Conv2d,
  Dense,
  ParameterStore,
  avgPool2,
  copyParameters,
  globalAvgPool,
  heNormal,
  shortcutDownsample,
} from '../../../src/trainer/nn';

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

function randomTensor(shape: number[], rng: Rng, scale = 1, shift = 0): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.normal() * scale + shift),
    shape,
  );
}

test('batch norm (training, affine form) equals tf.batchNorm in values and gradients', async () => {
  await tf.setBackend('cpu');
  const rng = new Rng(1);
  const store = new ParameterStore();
  const bn = new BatchNorm(store, 3);
  bn.gamma.assign(tf.tensor1d([0.5, 2, -1]));
  bn.beta.assign(tf.tensor1d([0.1, -0.2, 0.3]));
  const x = randomTensor([4, 5, 5, 3], rng, 2, 1);
  const w = randomTensor([4, 5, 5, 3], rng);
  const ours = (xi: tf.Tensor) => tf.sum(tf.mul(bn.apply(xi, true), w));
  const stock = (xi: tf.Tensor) => {
    const { mean, variance } = tf.moments(xi, [0, 1, 2]);
    return tf.sum(tf.mul(tf.batchNorm(xi, mean, variance, bn.beta, bn.gamma, 1e-5), w));
  };
  close(
    bn.apply(x, true).dataSync(),
    (() => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.batchNorm(x, mean, variance, bn.beta, bn.gamma, 1e-5).dataSync();
    })(),
    1e-5,
    'values',
  );
  close(tf.grad(ours)(x).dataSync(), tf.grad(stock)(x).dataSync(), 1e-4, 'dx');
  const g1 = tf.variableGrads(() => ours(x) as tf.Scalar, [bn.gamma, bn.beta]).grads;
  const g2 = tf.variableGrads(() => stock(x) as tf.Scalar, [bn.gamma, bn.beta]).grads;
  close(g1[bn.gamma.name]!.dataSync(), g2[bn.gamma.name]!.dataSync(), 1e-4, 'dgamma');
  close(g1[bn.beta.name]!.dataSync(), g2[bn.beta.name]!.dataSync(), 1e-4, 'dbeta');
  store.dispose();
});

test('batch norm keeps PyTorch running statistics and evaluates with them', async () => {
  await tf.setBackend('cpu');
  const store = new ParameterStore();
  const bn = new BatchNorm(store, 2);
  // Channel 0: values 1..4; channel 1: 10, 10, 10, 14. Shape [4, 1, 1, 2] (n = 4 per channel).
  const x = tf.tensor4d([1, 10, 2, 10, 3, 10, 4, 14], [4, 1, 1, 2]);
  tf.tidy(() => bn.apply(x, true));
  const mean = [2.5, 11];
  const unbiasedVar = [5 / 3, 4]; // sum of squared deviations / (n - 1)
  close(
    bn.runningMean.dataSync(),
    mean.map((m) => 0.9 * 0 + 0.1 * m),
    1e-6,
    'running mean',
  );
  close(
    bn.runningVar.dataSync(),
    unbiasedVar.map((v) => 0.9 * 1 + 0.1 * v),
    1e-6,
    'running var',
  );
  // Evaluation uses the running statistics, not the batch's.
  const y = bn.apply(tf.tensor4d([1, 1], [1, 1, 1, 2]), false).dataSync();
  const rm = bn.runningMean.dataSync();
  const rv = bn.runningVar.dataSync();
  close(
    y,
    [0, 1].map((c) => (1 - rm[c]!) / Math.sqrt(rv[c]! + 1e-5)),
    1e-5,
    'eval output',
  );
  // Evaluation does not move the statistics.
  close(bn.runningMean.dataSync(), rm, 0, 'unchanged');
  // A training step is normalised per channel (mean 0, biased variance 1 before gamma/beta).
  const yt = bn.apply(x, true);
  const m = tf.moments(yt, [0, 1, 2]);
  close(m.mean.dataSync(), [0, 0], 1e-5, 'normalised mean');
  close(m.variance.dataSync(), [1, 1], 1e-3, 'normalised variance');
  assert.deepEqual(
    store.entries().map((e) => [e.name, e.trainable]),
    [
      ['gamma', true],
      ['beta', true],
      ['runningMean', false],
      ['runningVar', false],
    ],
  );
  store.dispose();
});

test('He-normal init has std sqrt(2 / fan-in) and is the same for the same seed', async () => {
  await tf.setBackend('cpu');
  const a = heNormal([3, 3, 16, 32], 9 * 16, new Rng(3));
  const b = heNormal([3, 3, 16, 32], 9 * 16, new Rng(3));
  assert.deepEqual(a.dataSync(), b.dataSync());
  const v = Array.from(a.dataSync());
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
  const want = Math.sqrt(2 / (9 * 16));
  assert.ok(Math.abs(std - want) / want < 0.05, `std ${std} vs ${want}`);
  assert.ok(Math.abs(mean) < 0.01);
});

test('conv, dense, pools and the option-A shortcut compute what they say', async () => {
  await tf.setBackend('cpu');
  const rng = new Rng(5);
  const store = new ParameterStore();
  const conv = new Conv2d(store.scope('c'), { kernel: 3, inChannels: 2, outChannels: 4, stride: 2 }, rng);
  const dense = new Dense(store.scope('d'), { inFeatures: 4, outFeatures: 3 }, rng);
  assert.deepEqual(
    store.entries().map((e) => e.name),
    ['c.w', 'd.w', 'd.b'],
  );
  const x = randomTensor([2, 6, 6, 2], rng) as tf.Tensor4D;
  const y = conv.apply(x);
  assert.deepEqual(y.shape, [2, 3, 3, 4]);
  close(y.dataSync(), tf.conv2d(x, conv.w, 2, 'same').dataSync(), 0, 'conv');
  const h = globalAvgPool(y);
  close(h.dataSync(), tf.mean(y, [1, 2]).dataSync(), 1e-6, 'gap');
  close(dense.apply(h).dataSync(), tf.add(tf.matMul(h, dense.w), dense.b!).dataSync(), 1e-6, 'dense');
  assert.deepEqual(avgPool2(x).shape, [2, 3, 3, 2]);
  // avgPool2's own gradient equals tfjs's AvgPoolGrad, on even and odd sizes
  for (const shape of [
    [2, 6, 6, 3],
    [2, 7, 5, 3],
  ] as const) {
    const xi = randomTensor([...shape], rng) as tf.Tensor4D;
    const wy = randomTensor([2, Math.floor(shape[1] / 2), Math.floor(shape[2] / 2), 3], rng);
    close(avgPool2(xi).dataSync(), tf.avgPool(xi, 2, 2, 'valid').dataSync(), 0, 'avgPool2 value');
    const ours = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(avgPool2(v as tf.Tensor4D), wy)))(xi);
    const stock = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(v as tf.Tensor4D, 2, 2, 'valid'), wy)))(xi);
    assert.deepEqual(ours.shape, [...shape]);
    close(ours.dataSync(), stock.dataSync(), 1e-7, `avgPool2 gradient ${shape.join('x')}`);
  }
  // shortcut == x[:, ::2, ::2, :] zero-padded from 2 to 6 channels (2 on each side)
  const s = shortcutDownsample(x, 6);
  assert.deepEqual(s.shape, [2, 3, 3, 6]);
  const xv = x.arraySync();
  const sv = s.arraySync();
  for (let n = 0; n < 2; n++)
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) assert.deepEqual(sv[n]![i]![j], [0, 0, xv[n]![2 * i]![2 * j]![0]!, xv[n]![2 * i]![2 * j]![1]!, 0, 0]);
  // ... and it has a gradient (stridedSlice has none): 1 on the kept pixels, 0 elsewhere.
  const g = tf
    .grad((xi: tf.Tensor) => tf.sum(shortcutDownsample(xi as tf.Tensor4D, 6)))(x)
    .arraySync() as number[][][][];
  assert.equal(g[0]![0]![0]![0], 1);
  assert.equal(g[0]![1]![0]![0], 0);
  store.dispose();
});

test('the parameter registry refuses duplicates, scopes names and copies values', async () => {
  await tf.setBackend('cpu');
  const a = new ParameterStore();
  a.scope('layer').addTrainable('w', tf.ones([2]));
  assert.throws(() => a.scope('layer').addTrainable('w', tf.ones([2])), /registered twice/);
  a.addState('s', tf.zeros([1]));
  assert.deepEqual(a.trainable().length, 1);
  assert.deepEqual(a.state().length, 1);
  assert.equal(a.trainableCount(), 2);
  const b = new ParameterStore();
  b.scope('layer').addTrainable('w', tf.zeros([2]));
  b.addState('s', tf.ones([1]));
  copyParameters(a, b);
  assert.deepEqual(b.get('layer.w')!.variable.dataSync(), Float32Array.from([1, 1]));
  assert.deepEqual(b.get('s')!.variable.dataSync(), Float32Array.from([0]));
  const before = tf.memory().numTensors;
  a.dispose();
  assert.ok(tf.memory().numTensors < before);
  b.dispose();
});

test('the convnet: F = 4 x width, logits [N, C], same seed same weights, training moves BN statistics', async () => {
  await tf.setBackend('cpu');
  const spec = { inputShape: [12, 12, 1] as const, numClasses: 5 };
  const a = new ConvNet({ ...spec, width: 4 }, new Rng(9));
  const b = new ConvNet({ ...spec, width: 4 }, new Rng(9));
  assert.equal(a.featureSize, 16);
  const x = randomTensor([3, 12, 12, 1], new Rng(2)) as tf.Tensor4D;
  const out = a.forward(x, false);
  assert.deepEqual(out.features.shape, [3, 16]);
  assert.deepEqual(out.logits.shape, [3, 5]);
  assert.deepEqual(out.logits.dataSync(), b.forward(x, false).logits.dataSync());
  // 3 x (conv w + BN gamma/beta) + classifier w/b trainable; 3 x 2 BN statistics.
  assert.equal(a.params.trainable().length, 3 * 3 + 2);
  assert.equal(a.params.state().length, 6);
  const rm = a.params.state()[0]!.dataSync().slice();
  tf.tidy(() => a.forward(x, true).logits);
  assert.notDeepEqual(a.params.state()[0]!.dataSync(), rm);
  // No max pooling anywhere: wasm's MaxPoolGrad is wrong.
  const kernels = new Set<string>();
  const profile = await tf.profile(() => tf.grad((xi: tf.Tensor) => tf.sum(a.forward(xi as tf.Tensor4D, true).logits))(x));
  for (const k of profile.kernels) kernels.add(k.name);
  assert.ok(!kernels.has('MaxPool') && !kernels.has('MaxPoolGrad'), [...kernels].join(','));
  assert.ok(kernels.has('AvgPool'));
  a.dispose();
  b.dispose();
});
