// Evaluation on the test set: raw classifier logits (no prior, no projector, no augmentation;
// docs/method.md), batch by batch into core's EvalAccumulator.
import * as tf from '@tensorflow/tfjs';
import type { EvalFile, ShotGroup } from '../core/contract';
import { EvalAccumulator } from '../core/evalMath';
import type { ImageGeometry } from './augment';
import { evalImages, imageBytes } from './batches';
import type { ImageSet } from '../data/types';
import type { Network } from './models/types';
import type { WorkerPool } from './parallel/pool';

export interface EvaluateOptions {
  tag: string;
  epoch: number;
  assignment: readonly ShotGroup[];
  batchSize: number;
  checkpoint?: string;
}

/**
 * Test-set accuracy of `network`. With worker threads the batches are split over them; each
 * batch is still one forward pass of the same images, so the results are identical.
 */
export async function evaluate(
  network: Network,
  set: ImageSet,
  geo: ImageGeometry,
  o: EvaluateOptions,
  pool?: WorkerPool | null,
): Promise<EvalFile> {
  const acc = new EvalAccumulator(network.numClasses);
  const starts: number[] = [];
  for (let start = 0; start < set.count; start += o.batchSize) starts.push(start);
  const sizeOf = (start: number) => Math.min(o.batchSize, set.count - start);
  if (pool && pool.workers > 1) {
    const logits = await pool.evaluate(starts.map((start) => ({ images: imageBytes(set, geo, start, sizeOf(start)), n: sizeOf(start) })));
    starts.forEach((start, i) => acc.add(set.labels.subarray(start, start + sizeOf(start)), logits[i]!));
  } else {
    for (const start of starts) {
      const n = sizeOf(start);
      const logits = tf.tidy(() => network.forward(evalImages(set, geo, start, n), false).logits);
      const scores = await logits.data();
      logits.dispose();
      acc.add(set.labels.subarray(start, start + n), scores);
    }
  }
  return acc.toEvalFile({
    tag: o.tag,
    epoch: o.epoch,
    assignment: o.assignment,
    ...(o.checkpoint !== undefined ? { checkpoint: o.checkpoint } : {}),
  });
}
