// Projection heads of the contrastive term (docs/method.md, "The methods"). They act on the pooled
// backbone feature h and end with L2 normalisation; the classifier never sees their output
// (docs/method.md, Pitfalls) and evaluation never uses them.
//   PaCo:  Linear(F,F) - BatchNorm1d(F) - ReLU - Linear(F,d)
//   GPaCo: Linear(F,F) - ReLU - Linear(F,F) - ReLU - Linear(F,d)   (no BN)
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/random';
import { BatchNorm, Dense } from '../nn/layers';
import type { ParameterStore } from '../nn/params';

export type HeadKind = 'paco' | 'gpaco';

/** e = v / max(||v||, 1e-12) per row (PyTorch F.normalize). */
export function l2Normalize(v: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div<tf.Tensor2D>(v, tf.maximum(tf.norm(v, 'euclidean', 1, true), 1e-12)));
}

export class ProjectionHead {
  private readonly layers: Dense[] = [];
  private readonly bn: BatchNorm | null;

  constructor(
    store: ParameterStore,
    readonly kind: HeadKind,
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Rng,
  ) {
    const F = inFeatures;
    const hidden = kind === 'paco' ? 1 : 2;
    for (let i = 0; i < hidden; i++) this.layers.push(new Dense(store.scope(`fc${i + 1}`), { inFeatures: F, outFeatures: F }, rng));
    this.layers.push(new Dense(store.scope(`fc${hidden + 1}`), { inFeatures: F, outFeatures: outFeatures }, rng));
    this.bn = kind === 'paco' ? new BatchNorm(store.scope('bn'), F) : null;
  }

  /** Unit-norm projection [N, d] of the pooled features h [N, F]. */
  apply(h: tf.Tensor2D, training: boolean): tf.Tensor2D {
    let x = h;
    const last = this.layers.length - 1;
    this.layers.forEach((layer, i) => {
      x = layer.apply(x);
      if (i === last) return;
      if (this.bn) x = this.bn.apply(x, training);
      x = tf.relu(x);
    });
    return l2Normalize(x);
  }
}
