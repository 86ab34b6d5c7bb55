// Messages between the trainer's main thread and its worker threads. Images, outputs and
// gradients travel as typed arrays (structured clone, transferred where possible; no JSON);
// the weights sit in one SharedArrayBuffer the main thread rewrites after each update, and the
// output gradients of a step in a per-worker SharedArrayBuffer the worker waits on (Atomics),
// so a worker keeps its taped forward pass while the main thread computes the loss.
import type { Config } from '../../core/config/schema';
import type { BackendId } from '../backends/types';
import type { ShardData, ShardForward, ShardGradients } from './shardWork';

/** control[CONTROL_GRADIENTS]: what the worker waiting for output gradients finds. */
export const CONTROL_GRADIENTS = 0;
export const GRADIENTS_WAITING = 0;
export const GRADIENTS_READY = 1;
export const GRADIENTS_ABORT = 2;

export interface WorkerInit {
  index: number;
  config: Config;
  inputShape: [number, number, number];
  numClasses: number;
  trainCounts: number[];
  backend: BackendId;
  /** Every variable (trainable, then state) in the main thread's order, float32, flattened. */
  weights: SharedArrayBuffer;
  /** Names of those variables, in order (a replica that disagrees refuses to start). */
  names: string[];
  control: SharedArrayBuffer;
  /** Output gradients of the worker's shards, written by the main thread. */
  exchange: SharedArrayBuffer;
  /** Test hook: the worker exits with code 70 when it receives this step (1-based count of its steps). */
  exitAtStep?: number;
}

export type ToWorker =
  | { kind: 'step'; seq: number; version: number; shards: ShardData[] }
  | { kind: 'eval'; seq: number; version: number; batches: { images: Uint8Array; n: number }[] };

export type FromWorker =
  | { kind: 'ready'; detail: string }
  | { kind: 'forward'; seq: number; forwards: ShardForward[] }
  | {
      kind: 'gradients';
      seq: number;
      grads: ShardGradients[];
      /** The worker's wasm heap (null on other backends). */ heapBytes: number | null;
    }
  | { kind: 'logits'; seq: number; logits: Float32Array[] }
  | { kind: 'failed'; message: string };
