// Training batches for the loop, from either kind of set (docs/architecture.md, Data loading):
// in memory, a batch is cut from the images at once; streamed (data.cache "disk" / "none"), the
// images of the next PREFETCH_BATCHES batches are being read (decode threads or the cache file)
// while the step runs, so memory holds at most that many batches of uint8 images. Augmentation
// always runs here, in step order, from the loop's Rng, on the same pixels: the batches are the
// same bit for bit whichever way the images are stored.
import type { Rng } from '../core/random';
import { type AnySet, type StreamedImageSet, isStreamed } from '../data/types';
import { type ImageGeometry, augmentView } from './augment';
import { type HostBatch, type ViewOptions, makeHostBatch } from './batches';

/** Batches read ahead of the step (streamed sets): the bound on the prefetch queue. */
export const PREFETCH_BATCHES = 3;

type Read = { images: Uint8Array; failed: number[] };

export class BatchFeed {
  private order: Int32Array | null = null;
  private readonly pending = new Map<number, Promise<Read>>();

  constructor(
    private readonly set: AnySet,
    private readonly geo: ImageGeometry,
    private readonly batchSize: number,
    private readonly views: 1 | 2,
    private readonly opts: ViewOptions,
    private readonly depth = PREFETCH_BATCHES,
  ) {}

  /** Batch `step` of the epoch `order` (drop_last), its views augmented from `rng`. */
  async next(order: Int32Array, step: number, rng: Rng): Promise<HostBatch> {
    const set = this.set;
    if (!isStreamed(set)) return makeHostBatch(set, this.geo, order, step, this.batchSize, this.views, this.opts, rng);
    if (order !== this.order) this.clear();
    this.order = order;
    const steps = Math.floor(order.length / this.batchSize);
    for (let s = step; s < Math.min(step + this.depth, steps); s++) {
      if (this.pending.has(s)) continue;
      const read = set.read(this.indices(order, s));
      // Awaited when its step comes; a run that ends first must not see an unhandled rejection.
      read.catch(() => undefined);
      this.pending.set(s, read);
    }
    const read = this.pending.get(step) ?? set.read(this.indices(order, step));
    this.pending.delete(step);
    return this.augment(set, this.indices(order, step), await read, rng);
  }

  /** Forgets batches read ahead (an epoch's end, a stop). */
  clear(): void {
    this.pending.clear();
    this.order = null;
  }

  private indices(order: Int32Array, step: number): Int32Array {
    return order.subarray(step * this.batchSize, (step + 1) * this.batchSize);
  }

  private augment(set: StreamedImageSet, indices: Int32Array, got: Read, rng: Rng): HostBatch {
    const n = indices.length;
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) labels[i] = set.labels[indices[i]!]!;
    if (got.failed.length > 0) fillFailed(got, labels, this.geo);
    const local = new Int32Array(n);
    for (let i = 0; i < n; i++) local[i] = i;
    const out: Float32Array[] = [];
    for (let v = 0; v < this.views; v++) {
      const recipe = v === 1 && this.opts.strongSecondView ? 'strong' : 'weak';
      out.push(augmentView(got.images, local, this.geo, recipe, this.opts, rng));
    }
    return { views: out, labels, size: n };
  }
}

/**
 * data.cache "none": an image that did not decode (warned about and counted by the data layer)
 * is replaced by the batch's first image that did, with its label, so the batch stays full and
 * the random stream stays in step.
 */
function fillFailed(got: Read, labels: Int32Array, geo: ImageGeometry): void {
  const per = geo.height * geo.width * geo.channels;
  const bad = new Set(got.failed);
  let donor = -1;
  for (let i = 0; i < labels.length && donor < 0; i++) if (!bad.has(i)) donor = i;
  if (donor < 0) throw new Error(`none of the ${labels.length} images of a training batch could be decoded`);
  for (const k of bad) {
    got.images.copyWithin(k * per, donor * per, (donor + 1) * per);
    labels[k] = labels[donor]!;
  }
}
