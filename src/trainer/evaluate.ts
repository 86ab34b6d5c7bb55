// Evaluation on the test set: raw classifier logits (no prior, no projector, no augmentation;
// docs/method.md), batch by batch into core's EvalAccumulator.
import * as tf from '@tensorflow/tfjs';
import type { EvalFile, ShotGroup } from '../core/contract';
import { EvalAccumulator } from '../core/evalMath';
import type { ImageGeometry } from './augment';
import { evalValuesOf, imageBytes } from './batches';
import { type AnySet, isStreamed } from '../data/types';
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
 * batch is still one forward pass of the same images, so the results are identical. A streamed
 * set (data.cache "disk" / "none") is read a group of batches at a time, the next group while
 * this one is computed.
 */
export async function evaluate(
  network: Network,
  set: AnySet,
  geo: ImageGeometry,
  o: EvaluateOptions,
  pool?: WorkerPool | null,
): Promise<EvalFile> {
  const acc = new EvalAccumulator(network.numClasses);
  const starts: number[] = [];
  for (let start = 0; start < set.count; start += o.batchSize) starts.push(start);
  const sizeOf = (start: number) => Math.min(o.batchSize, set.count - start);
  const threads = pool && pool.workers > 1 ? pool : null;
  // In memory every batch is at hand; streamed, one batch per thread is read at a time.
  const group = isStreamed(set) ? (threads?.workers ?? 1) : starts.length;
  const read = (from: number): Promise<Uint8Array[]> =>
    Promise.all(
      starts.slice(from, from + group).map(async (start) => {
        const n = sizeOf(start);
        if (!isStreamed(set)) return imageBytes(set, geo, start, n);
        return (await set.read(Int32Array.from({ length: n }, (_, i) => start + i))).images;
      }),
    );
  let next = starts.length > 0 ? read(0) : null;
  for (let g = 0; g < starts.length; g += group) {
    const images = await next!;
    next = g + group < starts.length ? read(g + group) : null;
    next?.catch(() => undefined);
    const batchStarts = starts.slice(g, g + group);
    if (threads) {
      const logits = await threads.evaluate(batchStarts.map((start, i) => ({ images: images[i]!, n: sizeOf(start) })));
      batchStarts.forEach((start, i) => acc.add(set.labels.subarray(start, start + sizeOf(start)), logits[i]!));
    } else {
      for (let i = 0; i < batchStarts.length; i++) {
        const start = batchStarts[i]!;
        const n = sizeOf(start);
        const logits = tf.tidy(
          () => network.forward(tf.tensor4d(evalValuesOf(images[i]!), [n, geo.height, geo.width, geo.channels]), false).logits,
        );
        const scores = await logits.data();
        logits.dispose();
        acc.add(set.labels.subarray(start, start + n), scores);
      }
    }
  }
  return acc.toEvalFile({
    tag: o.tag,
    epoch: o.epoch,
    assignment: o.assignment,
    ...(o.checkpoint !== undefined ? { checkpoint: o.checkpoint } : {}),
  });
}
