// Training-mode batch norm (optionally followed by ReLU) as ONE custom-gradient op, for the
// ResNet-32 hot path. The autodiff of the affine form (nn/layers.ts BatchNorm) keeps 3-4
// activation-sized tensors per layer on the tape (x - mean, x * a, the pre-ReLU sum, ...) and runs
// a dozen elementwise kernels backwards; this op saves only its input and its output (which the
// next convolution saves anyway) and uses the closed-form gradient
//   dx = gamma r (g - mean(g) - xhat mean(g xhat)),  dgamma = sum(g xhat),  dbeta = sum(g)
// with g = dy * [y > 0] (ReLU) or dy, xhat = (x - mu) r, r = 1 / sqrt(var + eps), biased batch
// variance (as PyTorch's forward). Same values and parameters as BatchNorm.apply (it reads and
// updates that layer's variables), so checkpoints are unchanged. bnTrainForward / bnTrainBackward are
// also the BN steps of the fused BasicBlock (fusedBlock.ts).
import * as tf from '@tensorflow/tfjs';
import { BN_TRAIN_BACKWARD, BN_TRAIN_FORWARD, RELU_GRAD, wasmKernelActive } from '../kernels';
import type { BatchNorm } from '../nn/layers';

type Args = (tf.Tensor | tf.GradSaveFunc)[];

/** Batch mean and r = 1 / sqrt(var + eps) of a training forward pass (saved for the backward). */
export interface BnStats {
  mean: tf.Tensor1D;
  r: tf.Tensor1D;
}

/** All axes but the channel axis (the last). */
function channelAxes(x: tf.Tensor): number[] {
  return x.shape.slice(0, -1).map((_, i) => i);
}

/** Options of a training forward pass: a residual added after the affine transform, then a ReLU. */
export interface BnForwardOptions {
  gamma?: tf.Tensor1D;
  beta?: tf.Tensor1D;
  residual?: tf.Tensor;
  relu?: boolean;
}

/**
 * x normalised with its batch statistics and transformed by gamma / beta (plus `residual`, then a
 * ReLU, when asked); updates bn's running statistics (unbiased variance, as PyTorch), outside any
 * gradient. On wasm one kernel does it all (kernels/batchNormKernels.ts); elsewhere tfjs ops.
 */
export function bnTrainForward<T extends tf.Tensor>(bn: BatchNorm, x: T, o: BnForwardOptions = {}): { y: T; stats: BnStats } {
  const gamma = o.gamma ?? bn.gamma;
  const beta = o.beta ?? bn.beta;
  const axes = channelAxes(x);
  const n = axes.reduce((s, a) => s * x.shape[a]!, 1);
  let y: T;
  let mean: tf.Tensor1D;
  let variance: tf.Tensor1D;
  let r: tf.Tensor1D;
  if (wasmKernelActive(BN_TRAIN_FORWARD)) {
    const inputs: tf.NamedTensorMap = { x, gamma, beta };
    if (o.residual) inputs['residual'] = o.residual;
    const attrs = { epsilon: bn.epsilon, relu: o.relu === true };
    [y, mean, variance, r] = tf.engine().runKernel<[T, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D]>(BN_TRAIN_FORWARD, inputs, attrs);
  } else {
    ({ mean, variance } = tf.moments(x, axes) as { mean: tf.Tensor1D; variance: tf.Tensor1D });
    r = tf.rsqrt(tf.add<tf.Tensor1D>(variance, bn.epsilon));
    const a = tf.mul(r, gamma);
    const b = tf.sub(beta, tf.mul(mean, a));
    let v: T = tf.add<T>(tf.mul(x, a), b);
    if (o.residual) v = tf.add<T>(v, o.residual);
    y = o.relu ? tf.relu(v) : v;
  }
  const m = bn.momentum;
  const unbiased = n > 1 ? n / (n - 1) : 1;
  bn.runningMean.assign(tf.add(tf.mul(bn.runningMean, 1 - m), tf.mul(mean, m)));
  bn.runningVar.assign(tf.add(tf.mul(bn.runningVar, 1 - m), tf.mul(variance, m * unbiased)));
  return { y, stats: { mean, r } };
}

/** dy where y > 0, else 0: the gradient through a ReLU whose output was y. */
export function reluBackward<T extends tf.Tensor>(dy: T, y: tf.Tensor): T {
  if (wasmKernelActive(RELU_GRAD)) return tf.engine().runKernel<T>(RELU_GRAD, { dy, y });
  return tf.mul<T>(dy, tf.step(y));
}

/**
 * The closed-form gradient above for upstream gradient dy; with `reluOutput`, dy first goes
 * through the ReLU that produced it (g = dy [reluOutput > 0]).
 */
export function bnTrainBackward<T extends tf.Tensor>(
  dy: T,
  x: T,
  s: BnStats,
  gamma: tf.Tensor1D,
  reluOutput?: tf.Tensor,
): { dx: T; dgamma: tf.Tensor1D; dbeta: tf.Tensor1D } {
  if (wasmKernelActive(BN_TRAIN_BACKWARD)) {
    const inputs: tf.NamedTensorMap = { dy, x, mean: s.mean, r: s.r, gamma };
    if (reluOutput) inputs['mask'] = reluOutput;
    const [dx, dgamma, dbeta] = tf.engine().runKernel<[T, tf.Tensor1D, tf.Tensor1D]>(BN_TRAIN_BACKWARD, inputs);
    return { dx, dgamma, dbeta };
  }
  const g = reluOutput ? reluBackward(dy, reluOutput) : dy;
  const axes = channelAxes(x);
  const n = axes.reduce((p, a) => p * x.shape[a]!, 1);
  const xhat = tf.mul(tf.sub(x, s.mean), s.r);
  const dbeta = tf.sum<tf.Tensor1D>(g, axes);
  const dgamma = tf.sum<tf.Tensor1D>(tf.mul(g, xhat), axes);
  const inner = tf.sub(tf.sub(g, tf.div(dbeta, n)), tf.mul(xhat, tf.div(dgamma, n)));
  return { dx: tf.mul<T>(inner, tf.mul(gamma, s.r)), dgamma, dbeta };
}

function makeOp(bn: BatchNorm, relu: boolean) {
  return tf.customGrad((...args: Args) => {
    const x = args[0] as tf.Tensor;
    const gamma = args[1] as tf.Tensor1D;
    const beta = args[2] as tf.Tensor1D;
    const save = args[3] as tf.GradSaveFunc;
    const { y, stats } = bnTrainForward(bn, x, { gamma, beta, relu });
    save(relu ? [x, stats.mean, stats.r, gamma, y] : [x, stats.mean, stats.r, gamma]);
    return {
      value: y,
      // Inside a tidy: tfjs runs custom gradients outside any per-node scope.
      gradFunc: (dyIn: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const dy = dyIn as tf.Tensor;
          const [sx, smean, sr, sgamma, sy] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor?];
          const b = bnTrainBackward(dy, sx, { mean: smean, r: sr }, sgamma, sy);
          return [b.dx, b.dgamma, b.dbeta];
        }),
    };
  });
}

const ops = new WeakMap<BatchNorm, { relu: ReturnType<typeof makeOp>; plain: ReturnType<typeof makeOp> }>();

/** bn(x) (and relu) in training mode with batch statistics; evaluation uses the running ones. */
export function batchNormFused<T extends tf.Tensor>(bn: BatchNorm, x: T, training: boolean, relu: boolean): T {
  if (!training) {
    const y = bn.apply(x, false);
    return relu ? tf.relu(y) : y;
  }
  let o = ops.get(bn);
  if (!o) {
    o = { relu: makeOp(bn, true), plain: makeOp(bn, false) };
    ops.set(bn, o);
  }
  return (relu ? o.relu : o.plain)(x, bn.gamma, bn.beta) as T;
}
