// Evaluation on the test set: raw classifier logits (no prior, no projector, no augmentation;
// gpaco-spec.md section 7), batch by batch into core's EvalAccumulator.
import * as tf from '@tensorflow/tfjs';
import type { EvalFile, ShotGroup } from '../core/contract';
import { EvalAccumulator } from '../core/evalMath';
import type { ImageGeometry } from './augment';
import { evalImages } from './batches';
import type { ImageSet } from '../data/types';
import type { Network } from './models/types';

export interface EvaluateOptions {
  tag: string;
  epoch: number;
  assignment: readonly ShotGroup[];
  batchSize: number;
  checkpoint?: string;
}

export async function evaluate(network: Network, set: ImageSet, geo: ImageGeometry, o: EvaluateOptions): Promise<EvalFile> {
  const acc = new EvalAccumulator(network.numClasses);
  for (let start = 0; start < set.count; start += o.batchSize) {
    const n = Math.min(o.batchSize, set.count - start);
    const logits = tf.tidy(() => network.forward(evalImages(set, geo, start, n), false).logits);
    const scores = await logits.data();
    logits.dispose();
    acc.add(set.labels.subarray(start, start + n), scores);
  }
  return acc.toEvalFile({ tag: o.tag, epoch: o.epoch, assignment: o.assignment, ...(o.checkpoint !== undefined ? { checkpoint: o.checkpoint } : {}) });
}
