// The wasm max-pool gradient defect (docs/architecture.md, Backends): tfjs-backend-wasm
// 4.22's MaxPool gradient is wrong. The trainer avoids it rather than patching the kernel: no
// model uses max pooling (convnet pools by 2x2 averages, ResNet-32's shortcut subsamples by a
// 1x1 average pool with stride 2). These tests prove the three parts of that argument:
//   1. a real training step (and evaluation) of every model on wasm runs no MaxPool kernel;
//   2. the pooling gradients the models do use (nn/layers: avgPool2 with its own gradient, the
//      ResNet shortcut, global average pooling) agree with cpu on wasm;
//   3. the stock wasm max-pool gradient really is wrong (so the avoidance is needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { validateConfig } from '../../../src/core/config/validate';
import { Rng } from '../../../src/core/random';
import { selectBackend } from '../../../src/trainer/backends';
import { createMethod } from '../../../src/trainer/methods';
import { createNetwork } from '../../../src/trainer/models';
import { avgPool2, globalAvgPool, shortcutDownsample } from '../../../src/trainer/nn/layers';
import { SgdMomentum } from '../../../src/trainer/optim/sgd';
import { StepRunner } from '../../../src/trainer/step';

function values(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

/** d sum(f(x) * w) / dx on a backend, w fixed random weights (so every output position matters). */
async function poolGradient(
  backend: 'cpu' | 'wasm',
  shape: [number, number, number, number],
  f: (x: tf.Tensor4D) => tf.Tensor4D,
): Promise<Float32Array> {
  await selectBackend(backend, { failBackends: [] });
  const n = shape.reduce((a, b) => a * b, 1);
  const x = tf.tensor4d(values(n, 7), shape);
  const outShape = f(x).shape;
  const w = tf.tensor(
    values(
      outShape.reduce((a, b) => a * b, 1),
      8,
    ),
    outShape,
  );
  const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v as tf.Tensor4D), w)))(x);
  const out = Float32Array.from(await g.data());
  tf.dispose([x, w, g]);
  return out;
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(b[i]!));
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
  }
  return d / Math.max(m, 1e-6);
}

for (const arch of ['convnet', 'resnet32'] as const) {
  test(`${arch}: a training step and an evaluation on wasm run no max-pool kernel (average pooling only)`, async () => {
    await selectBackend('wasm', { failBackends: [] });
    const size = 8;
    const channels = arch === 'resnet32' ? 3 : 1;
    const r = validateConfig(
      {
        data: { kind: 'synthetic', classes: 3, imageSize: size, channels },
        model: { arch, width: 4, projectionDim: 8 },
        loss: { kind: 'paco', queueSize: 8 },
        optim: { batchSize: 4, epochs: 1, warmupEpochs: 0 },
      },
      { checkPaths: false },
    );
    assert.ok(r.ok);
    const cfg = r.config;
    const spec = { inputShape: [size, size, channels] as const, numClasses: 3 };
    const network = createNetwork(cfg.model, spec, new Rng(1));
    // PaCo: backbone + key encoder + projection head with BN, i.e. every layer kind there is.
    const method = createMethod({
      network,
      createNetwork: (rng) => createNetwork(cfg.model, spec, rng),
      config: cfg,
      numClasses: 3,
      trainCounts: [5, 3, 2],
      rng: new Rng(2),
    });
    const trainables = [
      ...network.params.entries().map((e) => ({ ...e, name: `net/${e.name}` })),
      ...method.params.entries().map((e) => ({ ...e, name: `method/${e.name}` })),
    ].filter((v) => v.trainable);
    const optimizer = new SgdMomentum(trainables, { momentum: 0.9, weightDecay: 5e-4 });
    const runner = new StepRunner(method, trainables, optimizer);
    const x = () =>
      tf.tensor4d(
        values(4 * size * size * channels, 3).map((v) => (v + 1) / 2),
        [4, size, size, channels],
      );
    const labels = tf.tensor1d([0, 1, 2, 0], 'int32');
    const batch = { views: [x(), x()], labels, oneHot: tf.oneHot(labels, 3).toFloat() as tf.Tensor2D, size: 4 };
    const kernels = new Set<string>();
    try {
      // tf.profile returns the engine's one profile object: copy the names before the next call.
      const step = await tf.profile(async () => {
        const out = await runner.run(batch, 0.05);
        tf.dispose([out.loss, out.correct]);
      });
      for (const k of step.kernelNames) kernels.add(k);
      const evaluation = await tf.profile(() => tf.dispose(network.forward(batch.views[0]!, false).logits));
      for (const k of evaluation.kernelNames) kernels.add(k);
    } finally {
      tf.dispose([...batch.views, labels, batch.oneHot]);
      optimizer.dispose();
      method.dispose();
      network.dispose();
    }
    const maxPool = [...kernels].filter((k) => /maxpool/i.test(k));
    assert.deepEqual(maxPool, [], `max-pool kernels ran on wasm: ${maxPool.join(', ')}`);
    // The profile did see the pooling (the assertion above is not vacuous).
    assert.ok(kernels.has('AvgPool'), `pooling kernels seen: ${[...kernels].filter((k) => /pool/i.test(k)).join(', ') || 'none'}`);
    assert.ok(kernels.has('Conv2D'), 'the profile covered the convolutions');
  });
}

test('wasm: the pooling gradients the models use agree with cpu', async () => {
  const cases: [string, [number, number, number, number], (x: tf.Tensor4D) => tf.Tensor4D][] = [
    ['convnet avgPool2 (2x2, stride 2)', [4, 8, 8, 6], (x) => avgPool2(x)],
    ['convnet avgPool2, odd size', [3, 7, 7, 5], (x) => avgPool2(x)],
    ['resnet32 shortcut (1x1 average pool, stride 2, zero channels)', [4, 8, 8, 6], (x) => shortcutDownsample(x, 10)],
    ['global average pool', [4, 4, 4, 6], (x) => tf.reshape(globalAvgPool(x), [4, 1, 1, 6])],
  ];
  for (const [name, shape, f] of cases) {
    const ref = await poolGradient('cpu', shape, f);
    const got = await poolGradient('wasm', shape, f);
    assert.ok(
      ref.some((v) => v !== 0),
      `${name}: a non-trivial gradient`,
    );
    const d = relDiff(got, ref);
    assert.ok(d <= 1e-6, `${name}: wasm gradient differs from cpu by ${d.toExponential(2)}`);
  }
});

test('wasm: the stock max-pool gradient is wrong (why no model uses max pooling)', async () => {
  const shape: [number, number, number, number] = [4, 8, 8, 6];
  const f = (x: tf.Tensor4D) => tf.maxPool(x, 2, 2, 'valid');
  const ref = await poolGradient('cpu', shape, f);
  const got = await poolGradient('wasm', shape, f);
  // On cpu every pooling window routes its gradient to exactly one input (random inputs, no ties).
  assert.equal(ref.filter((v) => v !== 0).length, shape.reduce((a, b) => a * b, 1) / 4, 'cpu: one non-zero gradient per 2x2 window');
  const d = relDiff(got, ref);
  assert.ok(
    d > 0.1,
    `wasm's MaxPool gradient now agrees with cpu (difference ${d.toExponential(2)}): tfjs-backend-wasm has fixed it; max pooling could be allowed again`,
  );
});
