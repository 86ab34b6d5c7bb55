// Every backend trains like `cpu`: on each backend this machine has (cpu, wasm, and webgpu -
// here on the software Vulkan driver, in CI too), every model (convnet, ResNet-32 at 8x8) with
// every loss (CE, Balanced Softmax, GPaCo two-view, GPaCo single-view, PaCo) runs, from the same
// host-drawn weights and the same images:
//   1. the forward pass in evaluation mode (logits),
//   2. the training loss and the gradient of every trainable variable,
//   3. two real optimizer steps through the trainer's StepRunner (SGD momentum + weight decay,
//      the method's after-step: queue, PaCo's EMA; the second step sees the filled queue); after
//      each, every variable (weights, BN running statistics, key encoder) and the queue.
// Tolerances (err = max|x - x_cpu| / max(max|x_cpu|, 1e-3) per tensor):
//   - forward logits and the losses: 1e-4. Every backend computes in float32 but sums in its own
//     order (XNNPACK tiles on wasm, workgroup reductions on WebGPU): ~1e-7 relative per op,
//     ~1e-6 through ResNet-32 (the measured figures are printed);
//   - gradients and everything after step 1: 1e-3 per tensor. A gradient also multiplies by
//     ReLU masks, and where a ReLU input lies within round-off of 0 the mask may differ between
//     backends, which changes that gradient entry by O(1) - legitimately. So the cpu reference
//     records the smallest |ReLU input| it saw, the seeds are chosen to keep it above
//     KINK_MARGIN (1e-5, ten times the backends' differences: on wasm the trainer's own batch-norm
//     kernel sums in float64 where the cpu backend sums in float32, so a normalised activation
//     differs by up to ~1e-6 of its scale), and should a change of the models
//     bring one closer, these quantities are compared as groups (relative L2 <= 5e-2) and the
//     test says so;
//   - after step 2 (its gradient is taken at weights that already differ by round-off, so masks
//     may flip): relative L2 of all variables and the queue <= 5e-2.
// A wrong kernel (e.g. wasm's stock max-pool gradient, errors of order 1) fails all of these.
// The floor 1e-3 keeps quantities that are almost zero from turning round-off into large ratios.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { validateConfig } from '../../../src/core/config/validate';
import type { Config } from '../../../src/core/config/schema';
import { Rng } from '../../../src/core/random';
import { selectBackend } from '../../../src/trainer/backends';
import { releaseWebgpu } from '../../../src/trainer/backends/webgpu';
import { createMethod, type TrainBatch } from '../../../src/trainer/methods';
import { createNetwork } from '../../../src/trainer/models';
import { SgdMomentum } from '../../../src/trainer/optim/sgd';
import { StepRunner } from '../../../src/trainer/step';
import { requireWebgpu } from './webgpuTestEnv';

export const FORWARD_TOLERANCE = 1e-4;
export const TOLERANCE = 1e-3;
export const GLOBAL_TOLERANCE = 5e-2;
export const KINK_MARGIN = 1e-5;
const FLOOR = 1e-3;
const SIZE = 8;
const CLASSES = 4;
const BATCH = 6;
const COUNTS = [30, 12, 6, 3];
/** Seeds of the initial weights and of the two batches, chosen so that no ReLU input of any case lies within KINK_MARGIN of 0 (smallest seen: 1.8e-5). */
const SEEDS = { network: 31, method: 32, batches: [33, 34] } as const;

const MODELS = {
  convnet: { model: { arch: 'convnet', width: 4, projectionDim: 8 }, channels: 1 },
  resnet32: { model: { arch: 'resnet32', projectionDim: 8 }, channels: 3 },
} as const;
type ModelName = keyof typeof MODELS;

const LOSSES: [string, Record<string, unknown>][] = [
  ['ce', { kind: 'ce', classPrior: false }],
  ['balanced-softmax', { kind: 'balanced-softmax' }],
  ['gpaco 2-view', { kind: 'gpaco', views: 2 }],
  ['gpaco 1-view', { kind: 'gpaco', views: 1 }],
  ['paco', { kind: 'paco', momentum: 0.9 }],
];

function config(model: ModelName, loss: Record<string, unknown>): Config {
  const m = MODELS[model];
  const r = validateConfig(
    {
      data: { kind: 'synthetic', classes: CLASSES, imageSize: SIZE, channels: m.channels },
      model: m.model,
      loss: { queueSize: 16, temperature: 0.2, alpha: 0.05, ...loss },
      optim: { batchSize: BATCH, lr: 0.1, momentum: 0.9, weightDecay: 5e-4, epochs: 1, warmupEpochs: 0 },
    },
    { checkPaths: false },
  );
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  return r.config;
}

/** Images in [0, 1] with a class-dependent bright corner (so losses are not degenerate). */
function batch(channels: number, views: 1 | 2, seed: number): TrainBatch {
  const rng = new Rng(seed);
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % CLASSES);
  const make = () => {
    const x = new Float32Array(BATCH * SIZE * SIZE * channels);
    for (let i = 0; i < BATCH; i++) {
      const c = labels[i]!;
      for (let p = 0; p < SIZE * SIZE; p++) {
        const on = Math.floor(p / SIZE) < SIZE / 2 === c < 2 && p % SIZE < SIZE / 2 === (c % 2 === 0);
        for (let ch = 0; ch < channels; ch++) x[(i * SIZE * SIZE + p) * channels + ch] = (on ? 0.7 : 0.1) + 0.3 * rng.next();
      }
    }
    return tf.tensor4d(x, [BATCH, SIZE, SIZE, channels]);
  };
  const lt = tf.tensor1d(labels, 'int32');
  return {
    views: Array.from({ length: views }, make),
    labels: lt,
    oneHot: tf.tidy(() => tf.oneHot(lt, CLASSES).toFloat() as tf.Tensor2D),
    size: BATCH,
  };
}

type Values = Map<string, Float32Array | Int32Array>;

async function read(t: tf.Tensor): Promise<Float32Array | Int32Array> {
  const v = (await t.data()) as Float32Array | Int32Array;
  return v instanceof Int32Array ? Int32Array.from(v) : Float32Array.from(v);
}

/** Everything the agreement compares, for one model and loss on the current backend. */
async function runCase(model: ModelName, loss: Record<string, unknown>, afterStep1: () => void = () => {}): Promise<Values> {
  const cfg = config(model, loss);
  const spec = { inputShape: [SIZE, SIZE, MODELS[model].channels] as const, numClasses: CLASSES };
  const network = createNetwork(cfg.model, spec, new Rng(SEEDS.network));
  const method = createMethod({
    network,
    createNetwork: (rng) => createNetwork(cfg.model, spec, rng),
    config: cfg,
    numClasses: CLASSES,
    trainCounts: COUNTS,
    rng: new Rng(SEEDS.method),
  });
  const named = [
    ...network.params.entries().map((e) => ({ ...e, name: `net/${e.name}` })),
    ...method.params.entries().map((e) => ({ ...e, name: `method/${e.name}` })),
  ];
  const trainables = named.filter((v) => v.trainable);
  const optimizer = new SgdMomentum(trainables, { momentum: cfg.optim.momentum, weightDecay: cfg.optim.weightDecay });
  const runner = new StepRunner(method, trainables, optimizer);
  const batches = SEEDS.batches.map((seed) => batch(MODELS[model].channels, method.views, seed));
  const out: Values = new Map();
  try {
    const logits = tf.tidy(() => network.forward(batches[0]!.views[0]!, false).logits);
    out.set('forward logits (eval mode)', await read(logits));
    logits.dispose();

    const { value, grads } = tf.variableGrads(
      () => method.computeLoss(batches[0]!).loss,
      trainables.map((v) => v.variable),
    );
    out.set('loss', await read(value));
    for (const v of trainables) {
      const g = grads[v.variable.name];
      if (g) out.set(`grad ${v.name}`, await read(g));
    }
    tf.dispose([value, ...Object.values(grads)]);

    for (const [i, b] of batches.entries()) {
      const r = await runner.run(b, cfg.optim.lr);
      out.set(`step ${i + 1} loss`, await read(r.loss));
      tf.dispose([r.loss, r.correct]);
      for (const v of named) out.set(`after step ${i + 1} ${v.name}`, await read(v.variable));
      for (const [k, t] of Object.entries(method.saveState().tensors ?? {})) out.set(`state after step ${i + 1} ${k}`, await read(t));
      if (i === 0) afterStep1();
    }
  } finally {
    for (const b of batches) tf.dispose([...b.views, b.labels, b.oneHot]);
    optimizer.dispose();
    method.dispose();
    network.dispose();
  }
  return out;
}

/** Quantities that are continuous functions of the inputs (no ReLU-mask sensitivity). */
const isForward = (q: string) => q === 'forward logits (eval mode)' || q === 'loss' || q === 'step 1 loss' || q === 'step 2 loss';
/** After the second step: its gradient is taken at weights that already differ by round-off. */
const isSecondStep = (q: string) => q.startsWith('after step 2 ') || q.startsWith('state after step 2 ');

interface Reference {
  values: Values;
  /** Smallest |ReLU input| the cpu run saw (kernel 'Relu'). */
  kinkMargin: number;
}

interface Verdict {
  failures: string[];
  /** Largest per-tensor error and where. */
  worst: { err: number; absErr: number; quantity: string };
  mode: 'per tensor' | 'as groups (ReLU mask flips possible)';
  global: number;
}

function perTensor(r: Float32Array | Int32Array, g: Float32Array | Int32Array): { err: number; absErr: number } {
  let maxAbs = 0;
  let maxDiff = 0;
  for (let i = 0; i < r.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(r[i]!));
    const d = Math.abs(g[i]! - r[i]!);
    if (!(d <= maxDiff)) maxDiff = d; // NaN becomes the difference
  }
  return { err: maxDiff / Math.max(maxAbs, FLOOR), absErr: maxDiff };
}

/** Relative L2 error of a group of tensors (NaN if any value is NaN). */
function groupL2(ref: Values, got: Values, qs: string[]): number {
  let num = 0;
  let den = 0;
  for (const q of qs) {
    const r = ref.get(q)!;
    const g = got.get(q)!;
    for (let i = 0; i < r.length; i++) {
      num += (g[i]! - r[i]!) ** 2;
      den += r[i]! ** 2;
    }
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), FLOOR);
}

function judge(ref: Reference, got: Values): Verdict {
  assert.deepEqual([...got.keys()].sort(), [...ref.values.keys()].sort(), 'same quantities on both backends');
  const failures: string[] = [];
  let worst = { err: 0, absErr: 0, quantity: '' };
  const flipsPossible = ref.kinkMargin < KINK_MARGIN;
  for (const [q, r] of ref.values) {
    const g = got.get(q)!;
    assert.equal(g.length, r.length, `${q}: length`);
    const d = perTensor(r, g);
    if (!isSecondStep(q) && !(d.err <= worst.err)) worst = { ...d, quantity: q };
    if (r instanceof Int32Array) {
      if (d.absErr !== 0) failures.push(`${q} (integers) differ`);
    } else if (isForward(q)) {
      if (!(d.err <= FORWARD_TOLERANCE)) failures.push(`${q} ${d.err.toExponential(2)} > ${FORWARD_TOLERANCE}`);
    } else if (!isSecondStep(q) && !flipsPossible && !(d.err <= TOLERANCE)) {
      failures.push(`${q} ${d.err.toExponential(2)} > ${TOLERANCE}`);
    }
  }
  const floats = (pred: (q: string) => boolean) =>
    [...ref.values.keys()].filter((q) => pred(q) && ref.values.get(q) instanceof Float32Array);
  const groups: [string, string[], boolean][] = [
    ['gradients', floats((q) => q.startsWith('grad ')), flipsPossible],
    [
      'variables and queue after step 1',
      floats((q) => q.startsWith('after step 1 ') || q.startsWith('state after step 1 ')),
      flipsPossible,
    ],
    ['variables and queue after step 2', floats(isSecondStep), true],
  ];
  let global = 0;
  for (const [name, qs, checked] of groups) {
    if (!qs.length) continue;
    const e = groupL2(ref.values, got, qs);
    global = Math.max(global, e);
    if (checked && !(e <= GLOBAL_TOLERANCE)) failures.push(`${name}: relative L2 error ${e.toExponential(2)} > ${GLOBAL_TOLERANCE}`);
  }
  return { failures, worst, mode: flipsPossible ? 'as groups (ReLU mask flips possible)' : 'per tensor', global };
}

/** Records the smallest |x| the cpu 'Relu' kernel sees (its gradient mask flips at 0). */
function trackReluMargin(): { stop(): number } {
  const kernel = tf.getKernel('Relu', 'cpu');
  assert.ok(kernel, 'cpu has a Relu kernel');
  let min = Number.POSITIVE_INFINITY;
  tf.unregisterKernel('Relu', 'cpu');
  tf.registerKernel({
    ...kernel,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      const values = (args.backend as unknown as { readSync(id: object): Float32Array }).readSync(x.dataId);
      for (let i = 0; i < values.length; i++) min = Math.min(min, Math.abs(values[i]!));
      return kernel.kernelFunc(args);
    },
  });
  return {
    stop() {
      tf.unregisterKernel('Relu', 'cpu');
      tf.registerKernel(kernel);
      return min;
    },
  };
}

const CASES = (Object.keys(MODELS) as ModelName[]).flatMap((m) =>
  LOSSES.map(([name, loss]) => ({ model: m, name, loss, label: `${m} / ${name}` })),
);
const reference = new Map<string, Reference>();
const summary: string[] = [];

async function agreementOn(t: TestContext, backend: string): Promise<void> {
  let worstHere = { err: 0, absErr: 0, where: '' };
  let worstGlobal = { err: 0, where: '' };
  for (const c of CASES) {
    await t.test(c.label, async (st) => {
      const ref = reference.get(c.label);
      assert.ok(ref, `no cpu reference for ${c.label} (the cpu test failed?)`);
      const got = await runCase(c.model, c.loss);
      const v = judge(ref, got);
      if (v.worst.err > worstHere.err || Number.isNaN(v.worst.err))
        worstHere = { err: v.worst.err, absErr: v.worst.absErr, where: `${c.label}: ${v.worst.quantity}` };
      if (v.global > worstGlobal.err || Number.isNaN(v.global)) worstGlobal = { err: v.global, where: c.label };
      st.diagnostic(
        `compared ${v.mode}; smallest |ReLU input| on cpu ${ref.kinkMargin.toExponential(1)}; largest per-tensor error ${v.worst.err.toExponential(2)} (${v.worst.quantity}); group L2 ${v.global.toExponential(2)}`,
      );
      assert.equal(v.failures.length, 0, `${backend} differs from cpu: ${v.failures.join('; ')}`);
    });
  }
  const line =
    `${backend}: largest per-tensor relative difference from cpu ${worstHere.err.toExponential(2)} (absolute ${worstHere.absErr.toExponential(2)}) at ${worstHere.where}; ` +
    `largest group L2 ${worstGlobal.err.toExponential(2)} at ${worstGlobal.where}`;
  summary.push(line);
  t.diagnostic(line);
}

after(() => {
  releaseWebgpu();
  for (const l of summary) console.log(`AGREEMENT ${l}`);
});

test('cpu: the reference values of every model and loss', async () => {
  await selectBackend('cpu', { failBackends: [] });
  for (const c of CASES) {
    // The margin that matters: every ReLU up to the first step's update (see KINK_MARGIN).
    const tracker = trackReluMargin();
    let margin: number | null = null;
    let values: Values;
    try {
      values = await runCase(c.model, c.loss, () => (margin = tracker.stop()));
    } finally {
      if (margin === null) tracker.stop();
    }
    reference.set(c.label, { values, kinkMargin: margin ?? 0 });
    for (const [q, x] of values) assert.ok(x.every(Number.isFinite), `${c.label}: ${q} is finite on cpu`);
  }
});

test('wasm trains like cpu (every model and loss)', async (t) => {
  await selectBackend('wasm', { failBackends: [] });
  await agreementOn(t, 'wasm');
});

test('webgpu trains like cpu (every model and loss)', async (t) => {
  const b = await requireWebgpu(t);
  if (!b) return;
  t.diagnostic(`webgpu adapter: ${b.detail}`);
  await agreementOn(t, 'webgpu');
});
