// The webgpu backend on this machine's adapter (in CI: lavapipe, a software Vulkan driver; see
// webgpuTestEnv.ts for what happens without one): `auto` declines a software adapter and says
// why; by name it is used and reported as emulation in the log and run.json; a real training
// run completes on it (GPaCo: the key queue and checkpoints read the GPU asynchronously); a
// configuration whose largest tensor exceeds the device limit is refused before training with
// the numbers; and the size estimate behind that check covers what a step really allocates.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { RunManifest } from '../../../src/core/contract';
import { validateConfig } from '../../../src/core/config/validate';
import { Rng } from '../../../src/core/random';
import { runPaths } from '../../../src/core/runDirectory';
import { selectBackend } from '../../../src/trainer/backends';
import { releaseWebgpu } from '../../../src/trainer/backends/webgpu';
import { estimateLargestTensors } from '../../../src/trainer/backends/webgpuLimits';
import { createMethod } from '../../../src/trainer/methods';
import { createNetwork } from '../../../src/trainer/models';
import { SgdMomentum } from '../../../src/trainer/optim/sgd';
import { StepRunner } from '../../../src/trainer/step';
import { makeRun, readJson, runTrainer, tinyConfig } from '../harness';
import { requireWebgpu } from './webgpuTestEnv';

after(() => releaseWebgpu());

test('auto: a software adapter is declined with the reason, and the next backend is used', async (t) => {
  // auto first, in a fresh process: the probe the trainer does (nothing of WebGPU activated yet)
  const s = await selectBackend('auto', { failBackends: [] });
  const b = await requireWebgpu(t);
  if (!b) return;
  const webgpu = s.attempts.find((a) => a.id === 'webgpu');
  assert.ok(webgpu, 'auto tried webgpu');
  if (!b.adapter?.emulated) {
    // A machine with a real GPU: auto takes it (unless tensorflow-gpu came first).
    assert.ok(webgpu.ok || s.id === 'tensorflow-gpu', JSON.stringify(s.attempts));
    return;
  }
  assert.equal(webgpu.ok, false);
  assert.match(webgpu.reason!, /only a software adapter was found: .+ which emulates a GPU on the CPU/);
  assert.match(webgpu.hint!, /backend "webgpu" by name/);
  assert.notEqual(s.id, 'webgpu');
  // Once WebGPU is active in the process, auto still declines it.
  const again = await selectBackend('auto', { failBackends: [] });
  assert.notEqual(again.id, 'webgpu');
});

test('by name: the adapter is used and reported (vendor, architecture, description, emulation, limits)', async (t) => {
  const b = await requireWebgpu(t);
  if (!b) return;
  assert.equal(b.id, 'webgpu');
  assert.equal(tf.getBackend(), 'webgpu');
  const a = b.adapter!;
  assert.ok(a.vendor || a.description, 'the adapter is named');
  assert.equal(typeof a.emulated, 'boolean');
  if (a.emulated) assert.match(b.detail, /SOFTWARE EMULATION on the CPU, not a GPU/);
  assert.ok(
    b.gpuLimits!.maxStorageBufferBindingSize >= 128 * 2 ** 20 && b.gpuLimits!.maxBufferSize >= b.gpuLimits!.maxStorageBufferBindingSize / 2,
  );
  // A sum on the device agrees with the host.
  const x = tf.range(0, 1000);
  assert.equal((await tf.sum(x).data())[0], 499500);
  x.dispose();
});

test('a GPaCo run trains on webgpu: completed, adapter in run.json, emulation in the log', async (t) => {
  if (!(await requireWebgpu(t))) return;
  const config = tinyConfig({
    loss: { kind: 'gpaco', queueSize: 16 },
    model: { projectionDim: 8 },
    optim: { epochs: 1, warmupEpochs: 0 },
    eval: { every: 1 },
  });
  const dir = makeRun(t, { ...config, backend: 'webgpu' });
  const exit = await runTrainer(['run', dir]);
  assert.equal(exit.code, 0, exit.log);
  const run = readJson<RunManifest>(runPaths(dir).run);
  assert.equal(run.status, 'completed');
  assert.equal(run.backend, 'webgpu');
  const adapter = run.backendInfo?.adapter;
  assert.ok(adapter && (adapter.vendor || adapter.description), `backendInfo.adapter recorded: ${JSON.stringify(run.backendInfo)}`);
  assert.match(exit.log, /backend order \(webgpu\): webgpu; using webgpu/);
  assert.match(exit.log, /adapter: vendor "[^"]*", architecture "[^"]*", description "[^"]*"/);
  if (adapter.emulated) {
    assert.match(exit.log, /SOFTWARE EMULATION on the CPU, not a GPU/);
    assert.match(run.backendInfo!.detail!, /SOFTWARE EMULATION/);
  }
  // The checkpoint (read back from the GPU asynchronously) and the evaluation exist.
  assert.ok(fs.existsSync(path.join(dir, 'checkpoints', 'epoch-0001', 'manifest.json')), 'checkpoint written');
  assert.ok(fs.existsSync(path.join(dir, 'evals', 'epoch-0001.json')), 'evaluation written');
});

test('a configuration over the device limit is refused before training, with the numbers and what to change', async (t) => {
  const b = await requireWebgpu(t);
  if (!b) return;
  const limit = b.gpuLimits!.maxStorageBufferBindingSize;
  // convnet width 256 on 64x64 images: the first stage's activation is 4 MiB per image.
  const perImage = 64 * 64 * 256 * 4;
  const batch = Math.min(4096, Math.floor(limit / perImage) + 8);
  assert.ok(batch * perImage > limit, 'the test configuration exceeds the device limit');
  const config = tinyConfig({ data: { imageSize: 64 }, model: { width: 256 }, optim: { batchSize: batch }, eval: { batchSize: 8 } });
  const dir = makeRun(t, { ...config, backend: 'webgpu' });
  const exit = await runTrainer(['run', dir]);
  assert.equal(exit.code, 2, exit.log);
  const run = readJson<RunManifest>(runPaths(dir).run);
  assert.equal(run.status, 'failed');
  const msg = run.error!.message;
  assert.match(msg, /does not fit the WebGPU device/);
  assert.match(msg, new RegExp(`maxStorageBufferBindingSize ${limit} bytes`));
  assert.match(
    msg,
    new RegExp(
      `convnet stage 1 activation \\(training\\) \\[${batch}, 64, 64, 256\\] float32 = ${((batch * perImage) / 2 ** 20).toFixed(1)} MiB`,
    ),
  );
  assert.match(msg, new RegExp(`lower optim.batchSize to ${Math.floor(limit / perImage)} or less`));
  assert.doesNotMatch(exit.log, /epoch 1\//, 'no training step ran');
  assert.ok(
    !fs.existsSync(path.join(dir, 'checkpoints', 'index.json')) ||
      readJson<{ entries?: unknown[] }>(path.join(dir, 'checkpoints', 'index.json')).entries?.length === 0,
  );
});

test('the size estimate covers the largest tensor a training step and an evaluation really make', async () => {
  await selectBackend('cpu', { failBackends: [] });
  // Every loss on the small convnet; ResNet-32 (slow on cpu) with the plain and the largest contrastive step.
  const cases: ['convnet' | 'resnet32', number, 1 | 3, Record<string, unknown>][] = [
    ['convnet', 12, 1, { kind: 'ce' }],
    ['convnet', 12, 1, { kind: 'gpaco', views: 2 }],
    ['convnet', 12, 1, { kind: 'gpaco', views: 1 }],
    ['convnet', 12, 1, { kind: 'paco' }],
    ['resnet32', 8, 3, { kind: 'ce' }],
    ['resnet32', 8, 3, { kind: 'gpaco', views: 2 }],
  ];
  for (const [arch, size, channels, loss] of cases) {
    const r = validateConfig(
      {
        data: { kind: 'synthetic', classes: 3, imageSize: size, channels },
        model: { arch, width: 6, projectionDim: 8 },
        loss: { queueSize: 256, ...loss },
        optim: { batchSize: 6, epochs: 1, warmupEpochs: 0 },
        eval: { batchSize: 10 },
      },
      { checkPaths: false },
    );
    assert.ok(r.ok);
    const cfg = r.config;
    const spec = { inputShape: [size, size, channels] as const, numClasses: 3 };
    const network = createNetwork(cfg.model, spec, new Rng(1));
    const method = createMethod({
      network,
      createNetwork: (rng) => createNetwork(cfg.model, spec, rng),
      config: cfg,
      numClasses: 3,
      trainCounts: [9, 5, 2],
      rng: new Rng(2),
    });
    const trainables = [
      ...network.params.entries().map((e) => ({ ...e, name: `net/${e.name}` })),
      ...method.params.entries().map((e) => ({ ...e, name: `method/${e.name}` })),
    ].filter((v) => v.trainable);
    const optimizer = new SgdMomentum(trainables, { momentum: 0.9, weightDecay: 5e-4 });
    const runner = new StepRunner(method, trainables, optimizer);
    const rng = new Rng(3);
    const img = (n: number) =>
      tf.tensor4d(
        Float32Array.from({ length: n * size * size * channels }, () => rng.next()),
        [n, size, size, channels],
      );
    const labels = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
    const views = Array.from({ length: method.views }, () => img(6));
    const batch = { views, labels, oneHot: tf.oneHot(labels, 3).toFloat() as tf.Tensor2D, size: 6 };
    let measured = 0;
    let where = '';
    const note = (kernels: { name: string; outputShapes: number[][] }[]) => {
      for (const k of kernels)
        for (const s of k.outputShapes) {
          const bytes = s.reduce((a, b) => a * b, 1) * 4;
          if (bytes > measured) [measured, where] = [bytes, `${k.name} [${s.join(', ')}]`];
        }
    };
    try {
      // Two steps (the second with a full queue: queueSize 256 > 2 batches, so it grows).
      for (let i = 0; i < 2; i++) {
        const p = await tf.profile(async () => {
          const out = await runner.run(batch, 0.05);
          tf.dispose([out.loss, out.correct]);
        });
        note(p.kernels);
      }
      const x = img(cfg.eval.batchSize);
      note((await tf.profile(() => tf.dispose(network.forward(x, false).logits))).kernels);
      x.dispose();
    } finally {
      tf.dispose([...views, labels, batch.oneHot]);
      optimizer.dispose();
      method.dispose();
      network.dispose();
    }
    const est = estimateLargestTensors({ config: cfg, inputShape: spec.inputShape, numClasses: 3 });
    const label = `${arch} ${JSON.stringify(loss)}`;
    assert.ok(
      est[0]!.bytes >= measured,
      `${label}: estimated largest ${est[0]!.what} ${est[0]!.bytes} B < measured ${measured} B (${where})`,
    );
    assert.ok(est[0]!.bytes <= 2 * measured, `${label}: estimate ${est[0]!.bytes} B is far above the measured ${measured} B (${where})`);
  }
});
