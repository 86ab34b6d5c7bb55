// Functional layers on tf.Variables kept in a ParameterStore. Written with the ops that have
// working (and fast) gradients on every backend, wasm included:
// - batch norm in training is `x*a + b` (tf.batchNorm's gradient tiles to the activation shape,
//   which took a third of a wasm step);
// - downsampling shortcuts use avgPool(x, 1, 2) (stridedSlice has no gradient);
// - pooling is average pooling (wasm's MaxPoolGrad is wrong; docs/architecture.md, Backends).
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/random';
import { heNormal } from './init';
import type { ParameterStore } from './params';

export interface Conv2dOptions {
  kernel: number;
  inChannels: number;
  outChannels: number;
  stride?: number;
  pad?: 'same' | 'valid';
  /** Off by default: a conv followed by batch norm needs no bias. */
  bias?: boolean;
}

/** 2-D convolution, NHWC, filter [k, k, in, out], He-normal init (fan-in = k*k*in). */
export class Conv2d {
  readonly w: tf.Variable<tf.Rank.R4>;
  readonly b: tf.Variable<tf.Rank.R1> | null;
  readonly stride: number;
  readonly pad: 'same' | 'valid';

  constructor(store: ParameterStore, o: Conv2dOptions, rng: Rng) {
    const { kernel: k, inChannels: cin, outChannels: cout } = o;
    this.w = store.addTrainable('w', heNormal([k, k, cin, cout], k * k * cin, rng)) as tf.Variable<tf.Rank.R4>;
    this.b = o.bias ? (store.addTrainable('b', tf.zeros([cout])) as tf.Variable<tf.Rank.R1>) : null;
    this.stride = o.stride ?? 1;
    this.pad = o.pad ?? 'same';
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    const y = tf.conv2d(x, this.w, this.stride, this.pad);
    return this.b ? tf.add<tf.Tensor4D>(y, this.b) : y;
  }
}

export interface BatchNormOptions {
  /** Running-statistics momentum as in PyTorch (new = (1-m)*old + m*batch). */
  momentum?: number;
  epsilon?: number;
}

/**
 * Batch normalisation over every axis but the last (works for [N,H,W,C] and [N,F]).
 * Trainable gamma/beta; running mean/variance are state variables, updated in training with
 * the unbiased batch variance (as PyTorch does) and used in evaluation.
 */
export class BatchNorm {
  readonly gamma: tf.Variable<tf.Rank.R1>;
  readonly beta: tf.Variable<tf.Rank.R1>;
  readonly runningMean: tf.Variable<tf.Rank.R1>;
  readonly runningVar: tf.Variable<tf.Rank.R1>;
  readonly momentum: number;
  readonly epsilon: number;

  constructor(store: ParameterStore, channels: number, o: BatchNormOptions = {}) {
    this.gamma = store.addTrainable('gamma', tf.ones([channels])) as tf.Variable<tf.Rank.R1>;
    this.beta = store.addTrainable('beta', tf.zeros([channels])) as tf.Variable<tf.Rank.R1>;
    this.runningMean = store.addState('runningMean', tf.zeros([channels])) as tf.Variable<tf.Rank.R1>;
    this.runningVar = store.addState('runningVar', tf.ones([channels])) as tf.Variable<tf.Rank.R1>;
    this.momentum = o.momentum ?? 0.1;
    this.epsilon = o.epsilon ?? 1e-5;
  }

  apply<T extends tf.Tensor>(x: T, training: boolean): T {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    let mean: tf.Tensor;
    let variance: tf.Tensor;
    if (training) {
      const m = tf.moments(x, axes);
      mean = m.mean;
      variance = m.variance;
      const n = axes.reduce((s, a) => s * x.shape[a]!, 1);
      const unbiased = n > 1 ? n / (n - 1) : 1;
      const mom = this.momentum;
      // Running statistics are not part of the gradient: the new values never reach the loss.
      this.runningMean.assign(tf.tidy(() => tf.add(tf.mul(this.runningMean, 1 - mom), tf.mul(mean, mom))));
      this.runningVar.assign(tf.tidy(() => tf.add(tf.mul(this.runningVar, 1 - mom), tf.mul(variance, mom * unbiased))));
    } else {
      mean = this.runningMean;
      variance = this.runningVar;
    }
    const a = tf.mul(tf.rsqrt(tf.add(variance, this.epsilon)), this.gamma);
    const b = tf.sub(this.beta, tf.mul(mean, a));
    return tf.add<T>(tf.mul(x, a), b);
  }
}

export interface DenseOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;
}

/** y = x W + b with W [in, out], He-normal init (fan-in = in), zero bias. */
export class Dense {
  readonly w: tf.Variable<tf.Rank.R2>;
  readonly b: tf.Variable<tf.Rank.R1> | null;

  constructor(store: ParameterStore, o: DenseOptions, rng: Rng) {
    this.w = store.addTrainable('w', heNormal([o.inFeatures, o.outFeatures], o.inFeatures, rng)) as tf.Variable<tf.Rank.R2>;
    this.b = o.bias === false ? null : (store.addTrainable('b', tf.zeros([o.outFeatures])) as tf.Variable<tf.Rank.R1>);
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    const y = tf.matMul<tf.Tensor2D>(x, this.w);
    return this.b ? tf.add<tf.Tensor2D>(y, this.b) : y;
  }
}

/** [N,H,W,C] -> [N,C]. */
export function globalAvgPool(x: tf.Tensor4D): tf.Tensor2D {
  return tf.mean<tf.Tensor2D>(x, [1, 2]);
}

/**
 * 2x2 average pooling, stride 2 (odd sizes drop the last row/column, as 'valid' does). The
 * gradient of non-overlapping windows is dy/4 copied to each window's four pixels; written as a
 * broadcast multiply it runs 4-8x faster than wasm's AvgPoolGrad kernel (a plain loop, 15% of a
 * convnet step) and gives the same values.
 */
export const avgPool2 = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const x = args[0] as tf.Tensor4D;
  const [N, H, W, C] = x.shape;
  return {
    value: tf.avgPool(x, 2, 2, 'valid'),
    gradFunc: (dy: tf.Tensor) => {
      const d = dy as tf.Tensor4D;
      const [, Ho, Wo] = d.shape;
      let g: tf.Tensor4D = tf.reshape(tf.mul(tf.reshape(d, [N, Ho, 1, Wo, 1, C]), tf.fill([1, 1, 2, 1, 2, 1], 0.25)), [
        N,
        2 * Ho,
        2 * Wo,
        C,
      ]);
      if (2 * Ho !== H || 2 * Wo !== W)
        g = tf.pad(g, [
          [0, 0],
          [0, H - 2 * Ho],
          [0, W - 2 * Wo],
          [0, 0],
        ]);
      return [g];
    },
  };
}) as (x: tf.Tensor4D) => tf.Tensor4D;

/**
 * Option-A shortcut of the CIFAR ResNets: x[:, ::2, ::2, :] written as avgPool(x, 1, 2)
 * (a 1x1 average pool with stride 2 selects the same pixels and has a gradient everywhere),
 * then zero channels added on both sides up to `outChannels`.
 */
export function shortcutDownsample(x: tf.Tensor4D, outChannels: number): tf.Tensor4D {
  const sub = tf.avgPool(x, 1, 2, 'valid');
  const extra = outChannels - x.shape[3];
  if (extra <= 0) return sub;
  const before = Math.floor(extra / 2);
  return tf.pad(sub, [
    [0, 0],
    [0, 0],
    [0, 0],
    [before, extra - before],
  ]);
}
