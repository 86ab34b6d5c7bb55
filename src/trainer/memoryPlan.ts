// Keeps a step inside the wasm heap (wasm32: at most 4 GiB; measured: ResNet-32
// at batch 128 already takes ~2.8 GiB for ONE view, and the tfjs tape keeps every saved
// activation until the backward pass). Before training starts on wasm the trainer measures the
// bytes a training forward/backward of the network needs per image, and when the configured
// step would not fit it picks optim.microBatchSize itself and says so:
//   - GPaCo / PaCo (coupled batch): gradient caching (TrainingMethod.computeGradients) - only one
//     (micro-batch, view) is on the tape at a time; micro-batch = batch keeps the step exact;
//   - CE / Balanced Softmax: per-sample micro-batches with summed gradients (exact up to BN).
import * as tf from '@tensorflow/tfjs';
import type { TrainingMethod } from './methods/types';
import type { Network } from './models/types';

export const WASM_HEAP_LIMIT = 4 * 1024 ** 3;
/**
 * Share of the heap a step may plan for: tfjs's byte count is not the heap (allocator
 * fragmentation, weights, optimizer state, evaluation batches also live there). Measured:
 * ResNet-32 batch 128 one view, 2.9 GiB planned, runs; batch 192 (4.3 GiB) fails.
 */
export const HEAP_BUDGET_SHARE = 0.8;

export interface StepBytes {
  /** Bytes per image and taped view (slope). */
  perImage: number;
  /** Bytes independent of the batch (intercept: weights in flight, gradients). */
  fixed: number;
}

/** Peak tfjs bytes of one taped training forward/backward of `network` at batch n. */
async function peakBytes(network: Network, n: number): Promise<number> {
  const [h, w, c] = network.inputShape;
  const vars = network.params.trainable();
  const info = await tf.profile(() => {
    const x = tf.randomUniform<tf.Rank.R4>([n, h, w, c]);
    const { value, grads } = tf.variableGrads(() => {
      const out = network.forward(x, true);
      return tf.add<tf.Scalar>(tf.sum(out.logits), tf.sum(out.features));
    }, vars);
    tf.dispose([x, value, ...Object.values(grads)]);
  });
  return info.peakBytes;
}

/**
 * Measures StepBytes with two small probes (2 and 4 images). The BN running statistics the probes
 * touch are restored, so training starts exactly as without the probe.
 */
export async function measureStepBytes(network: Network): Promise<StepBytes> {
  const state = network.params.state();
  const saved = state.map((v) => tf.clone(v));
  try {
    const p2 = await peakBytes(network, 2);
    const p4 = await peakBytes(network, 4);
    const perImage = Math.max(1, (p4 - p2) / 2);
    return { perImage, fixed: Math.max(0, p2 - 2 * perImage) };
  } finally {
    state.forEach((v, i) => v.assign(saved[i]!));
    tf.dispose(saved);
  }
}

/** Views whose activations stay on the tape in a plain step (PaCo's key view is a constant). */
export function tapedViews(method: Pick<TrainingMethod, 'kind' | 'views'>): number {
  return method.kind === 'paco' ? 1 : method.views;
}

export interface PlanInput {
  batchSize: number;
  /** optim.microBatchSize as configured (undefined = none). */
  configured: number | undefined;
  method: Pick<TrainingMethod, 'kind' | 'views' | 'microBatchable'> & { computeGradients?: unknown };
  bytes: StepBytes;
  heapLimit?: number;
}

export interface MemoryPlan {
  /** The micro-batch size to train with (undefined = whole batch, plain step). */
  microBatchSize: number | undefined;
  /** Estimated peak bytes of a step with that choice. */
  estimate: number;
  budget: number;
  /** What was changed and why (null = the configuration stands). */
  change: string | null;
}

const gib = (b: number) => (b >= 1024 ** 3 ? `${(b / 1024 ** 3).toFixed(2)} GiB` : `${(b / 1024 ** 2).toFixed(1)} MiB`);

/** Estimated peak bytes of one step with micro-batch `m` (undefined = plain step). */
export function stepEstimate(input: PlanInput, m: number | undefined): number {
  const { bytes, batchSize, method } = input;
  const coupled = !method.microBatchable && !!method.computeGradients;
  if (m === undefined) return bytes.fixed + bytes.perImage * batchSize * tapedViews(method);
  // Gradient caching puts one (micro-batch, view) on the tape at a time; per-sample
  // micro-batches keep all views of one micro-batch.
  return bytes.fixed + bytes.perImage * Math.min(m, batchSize) * (coupled ? 1 : tapedViews(method));
}

/** Decides the micro-batch size for the wasm heap (see the file comment). */
export function planMicroBatch(input: PlanInput): MemoryPlan {
  const limit = input.heapLimit ?? WASM_HEAP_LIMIT;
  const budget = limit * HEAP_BUDGET_SHARE;
  const B = input.batchSize;
  const configured = input.configured !== undefined && input.configured <= B ? input.configured : undefined;
  const current = stepEstimate(input, configured);
  if (current <= budget) return { microBatchSize: configured, estimate: current, budget, change: null };
  const canSplit = input.method.microBatchable || !!input.method.computeGradients;
  const what =
    `a step of ${B} images (${tapedViews(input.method)} view${tapedViews(input.method) === 1 ? '' : 's'} with gradients)` +
    (configured ? ` in micro-batches of ${configured}` : '');
  if (!canSplit) {
    throw new Error(
      `${what} needs ~${gib(current)} of wasm heap (budget ${gib(budget)}, 80% of the ${gib(limit)} cap) and loss "${input.method.kind}" cannot be split: lower optim.batchSize`,
    );
  }
  // Smallest number of near-equal micro-batches that fits (as few passes and as large BN
  // batches as possible); micro-batch = batch first, which coupled methods run exactly.
  for (let k = 1; k <= B; k++) {
    const m = Math.ceil(B / k);
    if (configured !== undefined && m >= configured) continue;
    if (k === 1 && input.method.microBatchable) continue; // no change for per-sample losses
    const est = stepEstimate(input, m);
    if (est <= budget) {
      const exact = m === B ? 'the same loss and gradient as one pass' : `BN statistics per micro-batch of ${m}`;
      return {
        microBatchSize: m,
        estimate: est,
        budget,
        change:
          `optim.microBatchSize set to ${m}: ${what} needs ~${gib(current)} of wasm heap, over the ${gib(budget)} budget (80% of the ${gib(limit)} heap cap); ` +
          `${input.method.computeGradients && !input.method.microBatchable ? 'gradient caching' : 'summed micro-batch gradients'} with ${m} images per forward pass needs ~${gib(est)} (${exact})`,
      };
    }
  }
  throw new Error(
    `${what} does not fit the wasm heap even one image at a time (~${gib(stepEstimate(input, 1))}); use a smaller model or another backend`,
  );
}
