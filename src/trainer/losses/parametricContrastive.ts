// The one parametric-contrastive core (docs/method.md, "The loss"), float32 TF.js. GPaCo, PaCo,
// single-view GPaCo, Balanced Softmax and CE all call `parametricContrastiveLoss`; the last two
// are its exact reduction alpha = gamma = 0 (no contrast columns at all), prior on / off.
//
// Label-dependent weights (targets, positives, self exclusion) are built on the host from the
// integer labels: they carry no gradient, and building them there keeps Sum(rho) exact.
import * as tf from '@tensorflow/tfjs';
import type { LossConfig } from '../../core/config/schema';
import { EPS_DEN, EPS_PRIOR, type LossHyper } from './hyper';

export type { LossHyper } from './hyper';

/** The loss's hyper-parameters from a run config (tau_b defaults to tau; eps constants fixed). */
export function lossHyper(loss: LossConfig): LossHyper {
  return {
    alpha: loss.alpha,
    beta: loss.beta,
    gamma: loss.gamma,
    temperature: loss.temperature,
    baseTemperature: loss.baseTemperature ?? loss.temperature,
    supt: loss.supt,
    labelSmoothing: loss.labelSmoothing,
    usePrior: loss.classPrior,
    epsPrior: EPS_PRIOR,
    epsDen: EPS_DEN,
  };
}

/** The alpha = gamma = 0 reduction: Balanced Softmax (prior on) or CE (prior off). */
export function softmaxHyper(loss: LossConfig, usePrior: boolean): LossHyper {
  // tau / tau_b scales only the contrastive methods' loss; the softmax losses stay unscaled.
  return { ...lossHyper(loss), alpha: 0, gamma: 0, usePrior, baseTemperature: loss.temperature };
}

/** log(n_c / sum n + eps_pi), computed in float64 then stored as float32 (docs/method.md, Pitfalls). */
export function logPriorTensor(classCounts: readonly number[], eps = EPS_PRIOR): tf.Tensor1D {
  const total = classCounts.reduce((s, n) => s + n, 0);
  return tf.tensor1d(
    classCounts.map((n) => Math.log(n / total + eps)),
    'float32',
  );
}

export interface ContrastSet {
  /** Anchor features f_a [A, d] (unit rows; the core never normalises). */
  anchors: tf.Tensor2D;
  /**
   * Contrast features g_j [N, d] (unit rows). Row a IS anchor a for a < A (self(a) = a, as in
   * every upstream variant): that column is excluded from the positives and the denominator but
   * kept in the row max (docs/method.md, Pitfalls).
   */
  contrast: tf.Tensor2D;
  /** int32 [N]. */
  contrastLabels: tf.Tensor1D;
}

export interface CoreInputs {
  /** Raw classifier logits z [A, C] of the anchors' own views. */
  centerLogits: tf.Tensor2D;
  /** Anchor labels y_a, int32 [A]. */
  labels: tf.Tensor1D;
  /** float32 one-hot of `labels` [A, C], if the caller has it already. */
  oneHot?: tf.Tensor2D;
  /** log pi [C] when the prior is used (hp.usePrior), else null. */
  logPrior: tf.Tensor1D | null;
  /** null: no contrast columns (the alpha = gamma = 0 reduction, computed without them). */
  contrast: ContrastSet | null;
}

export interface CoreOutputs {
  loss: tf.Scalar;
  perAnchor: tf.Tensor1D;
  /** |P(a)|: same-label contrast entries other than self, per anchor (float32 [A]); zeros without contrast. */
  positives: tf.Tensor1D;
}

// The row max is a shift constant (docs/method.md, Pitfalls): no gradient flows through it. The max
// is taken inside the custom op, so the tape never holds it (its gradient would be an all-zero
// Equal mask over [A, N], which costs as much as the loss itself on wasm).
const rowMaxConstant = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor2D;
  return { value: tf.max(x, 1, true), gradFunc: () => [tf.zeros(x.shape)] };
});

// s = a c^T with explicit transposes: tfjs-wasm's BatchMatMul is ~10x slower with transposeA /
// transposeB set (measured 45 ms vs 4 ms at [128,64] x [64,1152]), and its stock gradient sets
// them. Here: forward a (c^T), da = dy c, dc = dy^T a.
const similarity = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const a = args[0] as tf.Tensor2D;
  const c = args[1] as tf.Tensor2D;
  const save = args[2] as tf.GradSaveFunc;
  save([a, c]);
  return {
    value: tf.matMul(a, tf.transpose(c)),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor2D;
      const [sa, sc] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(g, sc), tf.matMul(tf.transpose(g), sa)];
    },
  };
});

// 1 - [j = a] for the self column (row a of the anchors is column a of the contrast set). Built
// on the host (tf.eye is slow on wasm) and cached per shape: the shape only changes while the
// queue fills.
const notSelfCache = new Map<string, Float32Array>();
function notSelfMask(A: number, N: number): tf.Tensor2D {
  const key = `${A}x${N}`;
  let v = notSelfCache.get(key);
  if (!v) {
    v = new Float32Array(A * N).fill(1);
    for (let a = 0; a < A; a++) v[a * N + a] = 0;
    if (notSelfCache.size > 8) notSelfCache.clear();
    notSelfCache.set(key, v);
  }
  return tf.tensor2d(v, [A, N]);
}

/**
 * L = mean_a L_a with L_a = -(tau/tau_b) * sum_k rho_ak (l_ak - m_a - log D_a) / sum_k rho_ak,
 * l_a = [ (z_a + log pi)/T_s ; <f_a, g_j>/tau ], D_a = sum_k delta_ak exp(l_ak - m_a) + eps_D.
 * Differentiable w.r.t. centerLogits, anchors and contrast (the caller decides what is constant).
 * The class block and the contrast block are kept apart (no [A, C+N] concat): same sums, less
 * copying.
 */
export function parametricContrastiveLoss(inputs: CoreInputs, hp: LossHyper): CoreOutputs {
  const { centerLogits, labels, logPrior, contrast } = inputs;
  const [A, C] = centerLogits.shape;
  if (labels.shape[0] !== A) throw new RangeError(`labels: ${labels.shape[0]} labels for ${A} anchors`);
  if (hp.usePrior && !logPrior) throw new Error('usePrior needs the log prior');
  if (!(hp.beta > 0)) throw new RangeError('beta must be > 0 (beta = 0 gives NaN for anchors without positives; docs/method.md, Pitfalls)');
  if (contrast) {
    const N = contrast.contrast.shape[0];
    if (contrast.anchors.shape[0] !== A) throw new RangeError(`anchors: ${contrast.anchors.shape[0]} rows for ${A} anchors`);
    if (contrast.contrastLabels.shape[0] !== N)
      throw new RangeError(`contrastLabels: ${contrast.contrastLabels.shape[0]} labels for ${N} rows`);
    if (N < A) throw new RangeError(`contrast set (${N} rows) must start with the ${A} anchors`);
  }
  const scale = hp.temperature / hp.baseTemperature;
  return tf.tidy(() => {
    // Class block: u = (z + log pi) / T_s, positive weights beta * t (label-smoothed targets).
    let u: tf.Tensor2D = hp.usePrior && logPrior ? tf.add(centerLogits, logPrior) : centerLogits;
    if (hp.supt !== 1) u = tf.div(u, hp.supt);
    const oneHot = inputs.oneHot ?? (tf.oneHot(labels, C).toFloat() as tf.Tensor2D);
    let posC: tf.Tensor2D = oneHot;
    if (hp.labelSmoothing > 0)
      posC = tf.add(tf.mul(oneHot, 1 - hp.labelSmoothing), tf.mul(tf.sub(1, oneHot), hp.labelSmoothing / Math.max(C - 1, 1)));
    if (hp.beta !== 1) posC = tf.mul(posC, hp.beta);

    if (!contrast) {
      const m = rowMaxConstant(u) as tf.Tensor2D;
      const shifted = tf.sub(u, m);
      const logD = tf.log(tf.add(tf.sum(tf.exp(shifted), 1, true), hp.epsDen));
      const weighted = tf.sum(tf.mul(posC, tf.sub(shifted, logD)), 1);
      const perAnchor = tf.mul<tf.Tensor1D>(tf.div(weighted, tf.sum(posC, 1)), -scale);
      return { loss: tf.mean<tf.Scalar>(perAnchor), perAnchor, positives: tf.zeros<tf.Rank.R1>([A]) };
    }

    // Contrast block: s = <f, g> / tau; self column out of positives and denominator.
    const N = contrast.contrast.shape[0];
    const s = tf.div<tf.Tensor2D>(similarity(contrast.anchors, contrast.contrast), hp.temperature);
    const notSelf = notSelfMask(A, N);
    // [y_j = y_a] as a product of one-hots (exact 0/1; a broadcast Equal is slow on wasm).
    const contrastOneHot = tf.oneHot(contrast.contrastLabels, C).toFloat();
    const same = tf.mul<tf.Tensor2D>(tf.matMul(oneHot, tf.transpose(contrastOneHot)), notSelf);
    const positives = tf.sum<tf.Tensor1D>(same, 1);

    const m = tf.maximum<tf.Tensor2D>(rowMaxConstant(u), rowMaxConstant(s)); // self included
    const shiftedU = tf.sub(u, m);
    const shiftedS = tf.sub(s, m);
    const denS = tf.sum(tf.mul(tf.exp(shiftedS), notSelf), 1, true);
    const den = tf.add(tf.sum(tf.exp(shiftedU), 1, true), hp.gamma === 1 ? denS : tf.mul(denS, hp.gamma));
    const logD = tf.log(tf.add(den, hp.epsDen));
    const weightedC = tf.sum(tf.mul(posC, tf.sub(shiftedU, logD)), 1);
    const weightedS = tf.mul(tf.sum(tf.mul(same, tf.sub(shiftedS, logD)), 1), hp.alpha);
    const posSum = tf.add(tf.sum(posC, 1), tf.mul(positives, hp.alpha));
    const perAnchor = tf.mul<tf.Tensor1D>(tf.div(tf.add(weightedC, weightedS), posSum), -scale);
    return { loss: tf.mean<tf.Scalar>(perAnchor), perAnchor, positives };
  });
}

// ---- how each method fills the core (docs/method.md) ----

export type ContrastVariant = 'paco' | 'gpaco' | 'gpaco_single_view';

export interface QueueSnapshot {
  /** [K', d] filled queue entries only (unfilled slots are simply absent: masked out). */
  features: tf.Tensor2D;
  /** int32 [K']. */
  labels: tf.Tensor1D;
}

/**
 * Anchors and contrast set of one method. `k` is the second view's (or the key encoder's)
 * normalised features; PaCo callers pass it as a constant. Creates tensors: call inside a tidy
 * or gradient scope.
 *   gpaco:             anchors [q; k], contrast [q; k; queue]
 *   paco:              anchors q,      contrast [q; k; queue]
 *   gpaco_single_view: anchors q,      contrast [q; queue]
 */
export function arrangeContrast(
  variant: ContrastVariant,
  q: tf.Tensor2D,
  k: tf.Tensor2D | null,
  labels: tf.Tensor1D,
  queue: QueueSnapshot | null,
): { contrast: ContrastSet; anchorLabels: tf.Tensor1D } {
  const parts: tf.Tensor2D[] = [q];
  const partLabels: tf.Tensor1D[] = [labels];
  if (variant !== 'gpaco_single_view') {
    if (!k) throw new Error(`${variant} needs the second view`);
    parts.push(k);
    partLabels.push(labels);
  }
  if (queue && queue.labels.shape[0] > 0) {
    parts.push(queue.features);
    partLabels.push(queue.labels);
  }
  const two = variant === 'gpaco';
  return {
    contrast: {
      anchors: two ? tf.concat([q, k!], 0) : q,
      contrast: parts.length === 1 ? q : tf.concat(parts, 0),
      contrastLabels: partLabels.length === 1 ? labels : tf.concat(partLabels, 0),
    },
    anchorLabels: two ? tf.concat([labels, labels], 0) : labels,
  };
}
