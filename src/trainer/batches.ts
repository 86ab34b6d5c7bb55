// Batches from the uint8 images of a Dataset: a shuffled order per epoch (drop_last), the
// augmented views made on the host (augment.ts) and uploaded once per step; evaluation batches
// unaugmented. Random numbers come from Rng streams the checkpoint saves.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/random';
import { type AugmentOptions, type ImageGeometry, augmentView } from './augment';
import type { ImageSet } from '../data/types';
import type { TrainBatch } from './methods/types';

/** A fresh random order of 0..count-1. */
export function epochOrder(count: number, rng: Rng): Int32Array {
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return rng.shuffle(order);
}

/** Full batches per epoch (the last partial batch is dropped, as upstream's drop_last). */
export function stepsPerEpoch(count: number, batchSize: number): number {
  return Math.floor(count / batchSize);
}

export interface ViewOptions extends AugmentOptions {
  strongSecondView: boolean;
}

/**
 * Batch `step` of an epoch's order: `views` augmented views (view 1 weak, view 2 strong when
 * asked), labels and one-hot. The caller disposes the tensors (disposeBatch).
 */
export function makeTrainBatch(
  set: ImageSet,
  geo: ImageGeometry,
  order: Int32Array,
  step: number,
  batchSize: number,
  numClasses: number,
  views: 1 | 2,
  opts: ViewOptions,
  rng: Rng,
): TrainBatch {
  const indices = order.subarray(step * batchSize, (step + 1) * batchSize);
  const shape: [number, number, number, number] = [indices.length, geo.height, geo.width, geo.channels];
  const tensors: tf.Tensor4D[] = [];
  for (let v = 0; v < views; v++) {
    const recipe = v === 1 && opts.strongSecondView ? 'strong' : 'weak';
    tensors.push(tf.tensor4d(augmentView(set.images, indices, geo, recipe, opts, rng), shape));
  }
  const labelValues = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) labelValues[i] = set.labels[indices[i]!]!;
  const labels = tf.tensor1d(labelValues, 'int32');
  const oneHot = tf.tidy(() => tf.oneHot(labels, numClasses).toFloat() as tf.Tensor2D);
  return { views: tensors, labels, oneHot, size: indices.length };
}

export function disposeBatch(b: TrainBatch): void {
  for (const v of b.views) v.dispose();
  b.labels.dispose();
  b.oneHot.dispose();
}

/** The first `n` images (rows) of a batch, as a batch of its own (micro-batches). */
export function sliceBatch(b: TrainBatch, start: number, n: number): TrainBatch {
  return {
    views: b.views.map((v) => tf.slice(v, [start, 0, 0, 0], [n, -1, -1, -1])),
    labels: tf.slice(b.labels, [start], [n]),
    oneHot: tf.slice(b.oneHot, [start, 0], [n, -1]),
    size: n,
  };
}

/** Unaugmented images [start, start+n) as float32 NHWC in [0, 1]. */
export function evalImages(set: ImageSet, geo: ImageGeometry, start: number, n: number): tf.Tensor4D {
  const per = geo.height * geo.width * geo.channels;
  const src = set.images.subarray(start * per, (start + n) * per);
  const values = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) values[i] = src[i]! / 255;
  return tf.tensor4d(values, [n, geo.height, geo.width, geo.channels]);
}
