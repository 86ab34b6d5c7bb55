// The FIFO queue of past keys with their labels (MoCo machinery, docs/method.md).
// Deliberate deviation from upstream (docs/method.md, Pitfalls): the queue starts
// EMPTY instead of holding random features with random labels; unfilled slots are not part
// of the contrast set at all, so they count neither as positives nor in the denominator.
// Storage is on the host (K x d float32 is small), which makes the state trivially saveable.
import * as tf from '@tensorflow/tfjs';
import type { QueueSnapshot } from './parametricContrastive';

/** Everything needed to restore a queue exactly (saved in checkpoints). */
export interface QueueState {
  size: number;
  dim: number;
  /** Next slot to write (ring pointer). */
  ptr: number;
  /** Slots written so far, capped at size; slots 0..filled-1 are valid. */
  filled: number;
  features: Float32Array;
  labels: Int32Array;
}

export class KeyQueue {
  private readonly features: Float32Array;
  private readonly labels: Int32Array;
  private ptr = 0;
  private count = 0;

  constructor(
    readonly size: number,
    readonly dim: number,
  ) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`queue size must be a non-negative integer, got ${size}`);
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`queue feature size must be a positive integer, got ${dim}`);
    this.features = new Float32Array(size * dim);
    this.labels = new Int32Array(size).fill(-1);
  }

  /** Valid entries (0 until the first enqueue). */
  get filled(): number {
    return this.count;
  }

  /**
   * The filled entries as a constant tensor (slot order), or null when empty. Taken BEFORE the
   * step's enqueue, so the current keys are never duplicated in the contrast set (docs/method.md, Pitfalls).
   * The caller owns (disposes) the tensors.
   */
  snapshot(): QueueSnapshot | null {
    if (this.count === 0) return null;
    const n = this.count;
    return {
      features: tf.tensor2d(this.features.subarray(0, n * this.dim), [n, this.dim]),
      labels: tf.tensor1d(this.labels.subarray(0, n), 'int32'),
    };
  }

  /** Writes B keys (row-major B x dim, already detached and normalised) at the ring pointer. */
  enqueue(keys: Float32Array, labels: Int32Array): void {
    const B = labels.length;
    if (keys.length !== B * this.dim) throw new RangeError(`enqueue: ${keys.length} values for ${B} keys of size ${this.dim}`);
    if (this.size === 0) return;
    // With more keys than slots only the newest `size` survive, as a FIFO would leave it.
    const start = Math.max(0, B - this.size);
    for (let i = start; i < B; i++) {
      this.features.set(keys.subarray(i * this.dim, (i + 1) * this.dim), this.ptr * this.dim);
      this.labels[this.ptr] = labels[i]!;
      this.ptr = (this.ptr + 1) % this.size;
    }
    this.count = Math.min(this.size, this.count + (B - start));
  }

  /** Enqueues a [B, dim] tensor (reads it back to the host). */
  enqueueTensor(keys: tf.Tensor2D, labels: Int32Array): void {
    this.enqueue(keys.dataSync() as Float32Array, labels);
  }

  state(): QueueState {
    return {
      size: this.size,
      dim: this.dim,
      ptr: this.ptr,
      filled: this.count,
      features: this.features.slice(),
      labels: this.labels.slice(),
    };
  }

  static restore(s: QueueState): KeyQueue {
    const q = new KeyQueue(s.size, s.dim);
    if (s.features.length !== s.size * s.dim || s.labels.length !== s.size) {
      throw new RangeError(`queue state: expected ${s.size} x ${s.dim} features and ${s.size} labels`);
    }
    if (!(s.ptr >= 0 && s.ptr < Math.max(1, s.size)) || !(s.filled >= 0 && s.filled <= s.size)) {
      throw new RangeError(`queue state: pointer ${s.ptr} / filled ${s.filled} out of range for size ${s.size}`);
    }
    q.features.set(s.features);
    q.labels.set(s.labels);
    q.ptr = s.ptr;
    q.count = s.filled;
    return q;
  }
}
