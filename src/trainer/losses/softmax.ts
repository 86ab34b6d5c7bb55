// Cross-entropy and Balanced Softmax (gpaco-spec.md section 3.5: the parametric-contrastive loss
// with alpha = gamma = 0 reduces to these). Only ops with working gradients on wasm: one-hot
// targets instead of gather.
import * as tf from '@tensorflow/tfjs';

/** log(n_c / sum n + 1e-9) per class (spec section 3.2, epsilon pi), float32 [C]. */
export function logPrior(trainCounts: readonly number[]): tf.Tensor1D {
  const total = trainCounts.reduce((a, b) => a + b, 0);
  return tf.tensor1d(trainCounts.map((n) => Math.log(n / total + 1e-9)), 'float32');
}

/** Targets with label smoothing: 1-eps on the true class, eps/(C-1) elsewhere (spec pitfall 10). */
export function smoothTargets(oneHot: tf.Tensor2D, labelSmoothing: number): tf.Tensor2D {
  if (labelSmoothing === 0) return oneHot;
  const c = oneHot.shape[1];
  return tf.add(tf.mul(oneHot, 1 - labelSmoothing), tf.mul(tf.sub(1, oneHot), labelSmoothing / (c - 1)));
}

export interface SoftmaxLossOptions {
  /** Added to the logits before the softmax (Balanced Softmax); null for plain CE. */
  logPrior: tf.Tensor1D | null;
  /** T_s: divides the (prior-adjusted) logits. */
  supt: number;
  labelSmoothing: number;
}

/** mean_a CE((z_a + log pi) / T_s, t_a). */
export function softmaxLoss(logits: tf.Tensor2D, oneHot: tf.Tensor2D, o: SoftmaxLossOptions): tf.Scalar {
  return tf.tidy(() => {
    let u: tf.Tensor2D = o.logPrior ? tf.add<tf.Tensor2D>(logits, o.logPrior) : logits;
    if (o.supt !== 1) u = tf.div(u, o.supt);
    const targets = smoothTargets(oneHot, o.labelSmoothing);
    return tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(u)), 1))) as tf.Scalar;
  });
}
