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

/** A training batch on the host: what the step (or the worker threads) receive. */
export interface HostBatch {
  /** Augmented views, float32 NHWC in [0, 1], `size` images each. */
  views: Float32Array[];
  labels: Int32Array;
  size: number;
}

/**
 * Batch `step` of an epoch's order on the host: `views` augmented views (view 1 weak, view 2
 * strong when asked) and the labels.
 */
export function makeHostBatch(
  set: ImageSet,
  geo: ImageGeometry,
  order: Int32Array,
  step: number,
  batchSize: number,
  views: 1 | 2,
  opts: ViewOptions,
  rng: Rng,
): HostBatch {
  const indices = order.subarray(step * batchSize, (step + 1) * batchSize);
  const out: Float32Array[] = [];
  for (let v = 0; v < views; v++) {
    const recipe = v === 1 && opts.strongSecondView ? 'strong' : 'weak';
    out.push(augmentView(set.images, indices, geo, recipe, opts, rng));
  }
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) labels[i] = set.labels[indices[i]!]!;
  return { views: out, labels, size: indices.length };
}

/** A host batch as tensors (the caller disposes them: disposeBatch). */
export function uploadBatch(b: HostBatch, geo: ImageGeometry, numClasses: number): TrainBatch {
  const shape: [number, number, number, number] = [b.size, geo.height, geo.width, geo.channels];
  const labels = tf.tensor1d(b.labels, 'int32');
  const oneHot = tf.tidy(() => tf.oneHot(labels, numClasses).toFloat() as tf.Tensor2D);
  return { views: b.views.map((v) => tf.tensor4d(v, shape)), labels, oneHot, size: b.size };
}

/**
 * Batch `step` of an epoch's order as tensors: `views` augmented views (view 1 weak, view 2
 * strong when asked), labels and one-hot. The caller disposes the tensors (disposeBatch).
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
  return uploadBatch(makeHostBatch(set, geo, order, step, batchSize, views, opts, rng), geo, numClasses);
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

/** uint8 pixels as float32 in [0, 1] (evaluation images: no augmentation). */
export function evalValuesOf(src: Uint8Array): Float32Array {
  const values = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) values[i] = src[i]! / 255;
  return values;
}

/** The uint8 pixels of images [start, start+n). */
export function imageBytes(set: ImageSet, geo: ImageGeometry, start: number, n: number): Uint8Array {
  const per = geo.height * geo.width * geo.channels;
  return set.images.subarray(start * per, (start + n) * per);
}

/** Unaugmented images [start, start+n) as float32 NHWC in [0, 1]. */
export function evalImages(set: ImageSet, geo: ImageGeometry, start: number, n: number): tf.Tensor4D {
  return tf.tensor4d(evalValuesOf(imageBytes(set, geo, start, n)), [n, geo.height, geo.width, geo.channels]);
}
