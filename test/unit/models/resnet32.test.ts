// ResNet-32 as the spec describes it (3 x 5 BasicBlocks, 16/32/64, option-A shortcuts, F = 64,
// Kaiming-normal init), and its fused training path (one custom-gradient op per block) against the
// layer-by-layer autodiff of the same weights: loss, every gradient and the BN running statistics,
// on cpu and wasm, for even and odd feature-map sizes; plus the projection heads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../../src/core/random';
import { selectBackend } from '../../../src/trainer/backends';
import { ProjectionHead, l2Normalize } from '../../../src/trainer/models/heads';
import { ResNet32 } from '../../../src/trainer/models/resnet32';
import { ParameterStore } from '../../../src/trainer/nn/params';

test('ResNet-32: 31 convolutions in 3 stages of 5 blocks, 16/32/64 channels, F = 64, option-A shortcuts without parameters', async () => {
  await selectBackend('cpu');
  const net = new ResNet32({ inputShape: [32, 32, 3], numClasses: 100 }, new Rng(1));
  const convs = net.params.entries().filter((e) => e.name.endsWith('.w') && e.variable.rank === 4);
  assert.equal(convs.length, 31);
  assert.equal(net.featureSize, 64);
  const widths = convs.map((c) => c.variable.shape[3]);
  assert.deepEqual(widths, [16, ...new Array<number>(10).fill(16), ...new Array<number>(10).fill(32), ...new Array<number>(10).fill(64)]);
  // The papers' model: 0.46M conv/BN parameters + the 64 x 100 classifier = 470,004.
  assert.equal(net.params.trainableCount(), 470004);
  assert.ok(!net.params.entries().some((e) => /shortcut|downsample/.test(e.name)), 'no shortcut parameters');
  // Kaiming normal (fan-in): the 3x3x64x64 convolutions have std sqrt(2 / 576).
  const w = Array.from(convs[convs.length - 1]!.variable.dataSync() as Float32Array);
  const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
  assert.ok(Math.abs(std - Math.sqrt(2 / 576)) < 0.004, `std ${std}`);
  const out = tf.tidy(() => {
    const o = net.forward(tf.zeros([2, 32, 32, 3]), false);
    return [o.features.shape, o.logits.shape];
  });
  assert.deepEqual(out, [
    [2, 64],
    [2, 100],
  ]);
  net.dispose();
});

// (The pure-JS cpu backend is slow: one odd-size case there.)
for (const [backend, size] of [
  ['wasm', 16],
  ['wasm', 18],
  ['cpu', 14],
] as const) {
  {
    test(`fused training path = layer-by-layer autodiff on ${backend}, ${size}x${size} inputs (loss, gradients, BN statistics)`, async () => {
      await selectBackend(backend);
      const spec = { inputShape: [size, size, 3] as const, numClasses: 10 };
      const nets = [true, false].map((fused) => new ResNet32(spec, new Rng(3), { fused }));
      const x = tf.randomUniform<tf.Rank.R4>([4, size, size, 3], 0, 1, 'float32', 5);
      const target = tf.randomNormal([4, 10], 0, 1, 'float32', 6);
      const results = nets.map((net) => {
        const { value, grads } = tf.variableGrads(() => {
          const o = net.forward(x, true);
          return tf.add<tf.Scalar>(tf.sum(tf.mul(o.logits, target)), tf.mul(tf.sum(tf.square(o.features)), 0.1));
        }, net.params.trainable());
        const r = {
          loss: value.dataSync()[0]!,
          grads: net.params
            .entries()
            .filter((e) => e.trainable)
            .map((e) => [e.name, Float32Array.from(grads[e.variable.name]!.dataSync())] as const),
          state: net.params.state().map((v) => Float32Array.from(v.dataSync())),
        };
        tf.dispose([value, ...Object.values(grads)]);
        return r;
      });
      const [fused, ref] = results as [(typeof results)[0], (typeof results)[0]];
      assert.ok(Math.abs(fused.loss - ref.loss) <= 1e-4 * Math.abs(ref.loss), `${fused.loss} vs ${ref.loss}`);
      assert.equal(fused.grads.length, ref.grads.length);
      ref.grads.forEach(([name, g], i) => {
        const f = fused.grads[i]![1];
        const scale = Math.max(...g.map(Math.abs), 1e-3);
        g.forEach((v, j) => assert.ok(Math.abs(v - f[j]!) <= 2e-4 * scale, `${name}[${j}]: ${f[j]} vs ${v} (scale ${scale})`));
      });
      ref.state.forEach((s, i) => s.forEach((v, j) => assert.ok(Math.abs(v - fused.state[i]![j]!) < 1e-5)));
      // Evaluation shares the weights and running statistics.
      const evals = nets.map((net) => tf.tidy(() => Array.from(net.forward(x, false).logits.dataSync())));
      evals[0]!.forEach((v, i) => assert.ok(Math.abs(v - evals[1]![i]!) < 1e-4));
      tf.dispose([x, target]);
      for (const n of nets) n.dispose();
    });
  }
}

test('projection heads: PaCo Linear-BN-ReLU-Linear, GPaCo Linear-ReLU-Linear-ReLU-Linear, unit-norm output', async () => {
  await selectBackend('cpu');
  const store = new ParameterStore();
  const paco = new ProjectionHead(store.scope('paco'), 'paco', 64, 32, new Rng(1));
  const gpaco = new ProjectionHead(store.scope('gpaco'), 'gpaco', 64, 32, new Rng(2));
  const names = store.entries().map((e) => e.name);
  assert.deepEqual(names.filter((n) => n.startsWith('paco.')).sort(), [
    'paco.bn.beta',
    'paco.bn.gamma',
    'paco.bn.runningMean',
    'paco.bn.runningVar',
    'paco.fc1.b',
    'paco.fc1.w',
    'paco.fc2.b',
    'paco.fc2.w',
  ]);
  assert.deepEqual(names.filter((n) => n.startsWith('gpaco.')).sort(), [
    'gpaco.fc1.b',
    'gpaco.fc1.w',
    'gpaco.fc2.b',
    'gpaco.fc2.w',
    'gpaco.fc3.b',
    'gpaco.fc3.w',
  ]);
  assert.deepEqual(store.get('gpaco.fc3.w')!.variable.shape, [64, 32]);
  const h = tf.randomNormal<tf.Rank.R2>([8, 64]);
  for (const head of [paco, gpaco]) {
    const e = head.apply(h, true);
    assert.deepEqual(e.shape, [8, 32]);
    const norms = tf.tidy(() => Array.from(tf.norm(e, 'euclidean', 1).dataSync()));
    norms.forEach((n) => assert.ok(Math.abs(n - 1) < 1e-5));
    e.dispose();
  }
  const z = tf.zeros<tf.Rank.R2>([2, 4]);
  assert.ok(
    tf.tidy(() =>
      l2Normalize(z)
        .dataSync()
        .every((v) => v === 0),
    ),
    'a zero vector stays finite',
  );
  store.dispose();
});
