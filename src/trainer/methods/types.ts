// The interface the training loop drives. One TrainingMethod = one loss recipe (CE, Balanced
// Softmax, GPaCo, PaCo...) with whatever it owns besides the network (heads, queue, key encoder).
//
// How a method plugs in (see softmax.ts for the smallest complete example):
//  1. Implement TrainingMethod and add a case to createMethod() in methods/index.ts.
//  2. `views`: how many augmented views of each image the loop builds per step (GPaCo 2 or 1,
//     PaCo 2: view 1 for the query encoder, view 2 for the key encoder).
//  3. Put every variable you own in `params` (a ParameterStore): trainable ones (projection head)
//     are updated by the loop's SGD together with the network's (same LR, momentum, weight decay);
//     state ones (PaCo key encoder copy, queue features/labels) are only checkpointed. Build a
//     second copy of the backbone with ctx.createNetwork() (PaCo's key encoder) and register its
//     variables in your store as state (e.g. via its own store + copyParameters).
//  4. computeLoss() runs INSIDE tf.variableGrads (and a tidy): call ctx.network.forward(view, true)
//     once per view (GPaCo: two separate passes, so BN statistics stay per view), build the loss,
//     return it with the first view's logits (used for the training accuracy). Never read values
//     back to the host here. Tensors needed after the update (e.g. detached keys to enqueue) must be
//     tf.keep()-ed and then disposed by you in afterStep().
//  5. afterStep() runs after the optimizer update, outside the tape: EMA update of a key encoder,
//     enqueue. Wrap your work in tf.tidy.
//  6. saveState()/restoreState(): anything not in `params` that an exact resume needs (queue
//     pointer and fill count...) as JSON, plus optional extra tensors. Variables in `params` are
//     saved and restored by the loop itself.
import type * as tf from '@tensorflow/tfjs';
import type { Config, LossKind } from '../../core/config/schema';
import type { Rng } from '../../core/random';
import type { NamedVariable, ParameterStore } from '../nn/params';
import type { Network } from '../models/types';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One training step's input, built by the loop from uint8 images. */
export interface TrainBatch {
  /** Augmented views, float32 NHWC normalised to [0,1]; length === method.views. */
  readonly views: readonly tf.Tensor4D[];
  /** int32 [B] class indices. */
  readonly labels: tf.Tensor1D;
  /** float32 [B, C] one-hot of labels (use instead of gather: wasm has no gather gradient). */
  readonly oneHot: tf.Tensor2D;
  /** B. */
  readonly size: number;
}

export interface StepOutput {
  /** Scalar loss the gradient is taken of. */
  loss: tf.Scalar;
  /** Classifier logits of the first view, [B, C] (training accuracy). */
  logits: tf.Tensor2D;
}

/** What TrainingMethod.computeGradients returns (all owned by the caller). */
export interface GradientOutput {
  loss: tf.Scalar;
  /** Classifier logits of the first view, [B, C]. */
  logits: tf.Tensor2D;
  /** d loss / d variable, keyed by checkpoint name. */
  grads: Map<string, tf.Tensor>;
}

/** Non-variable state of a method, for checkpoints. */
export interface MethodState {
  json: JsonValue;
  /** Extra tensors; owned by the method when saved, owned by the loop when passed to restore. */
  tensors?: Record<string, tf.Tensor>;
}

export interface MethodContext {
  /** The network being trained (its variables are the loop's, not the method's). */
  network: Network;
  /** Builds another network of the same architecture and shape, e.g. a PaCo key encoder. */
  createNetwork(rng: Rng): Network;
  config: Config;
  numClasses: number;
  /** Training images per class of the whole training split (the prior of docs/method.md). */
  trainCounts: readonly number[];
  /** Draws the method's own initial weights (derived from the run seed). */
  rng: Rng;
}

/**
 * How a step is split over shards (worker threads, or ghost batch norm on one thread): each shard
 * computes `outputs` of its images (the tensors the loss couples across the batch), the main
 * thread concatenates them in shard order, computes `loss` and its gradient with respect to the
 * differentiable outputs, and each shard back-propagates that gradient through its own pass.
 * The loss is the exact whole-batch loss; only batch-norm statistics are per shard.
 */
export interface ShardedLoss {
  /** Columns of each output, in order (e.g. [d, C, d, C] for two contrastive views). */
  readonly widths: readonly number[];
  /** Which outputs receive gradients (PaCo's key view does not). */
  readonly differentiable: readonly boolean[];
  /** One shard's outputs, [n, widths[i]] each; runs with or without a tape, in a worker or on the main thread. */
  outputs(views: readonly tf.Tensor4D[]): tf.Tensor2D[];
  /** The step loss of the whole batch from its outputs (main thread, inside tf.valueAndGrads); logits of the first view. */
  loss(outputs: readonly tf.Tensor2D[], labels: tf.Tensor1D, oneHot: tf.Tensor2D): StepOutput;
}

export interface TrainingMethod {
  readonly kind: LossKind;
  /** Augmented views per image per step. */
  readonly views: 1 | 2;
  /**
   * true if splitting a batch into micro-batches and summing their weighted gradients gives the
   * same update (per-sample losses). Batch-level losses (contrast over the batch) say false.
   */
  readonly microBatchable: boolean;
  /** The method's own variables (checkpointed under `method/<name>`); may be empty. */
  readonly params: ParameterStore;
  /** The step loss; runs inside tf.variableGrads. */
  computeLoss(batch: TrainBatch): StepOutput;
  /**
   * Optional (added for GPaCo/PaCo): a method whose loss couples the whole batch
   * (microBatchable false) computes the step's loss and gradients itself when the loop asks for
   * micro-batches of at most `microBatchSize` images per forward pass (gradient caching: every
   * feature first without a tape, the loss and its gradient w.r.t. the features, then each
   * micro-batch again with a tape, back-propagating the cached feature gradients). Runs OUTSIDE
   * any tape; the caller owns (disposes) everything returned. Gradients are keyed by checkpoint
   * name; a variable without a gradient is absent.
   */
  computeGradients?(batch: TrainBatch, variables: readonly NamedVariable[], microBatchSize: number): GradientOutput;
  /**
   * After the optimizer update (queue, EMA). May return a promise (backends without synchronous
   * reads, i.e. WebGPU, read the keys asynchronously); the caller awaits it before the next step.
   */
  afterStep(batch: TrainBatch): void | Promise<void>;
  /** The split of the step over shards (docs/architecture.md, "Worker threads and shards"). */
  readonly sharded: ShardedLoss;
  saveState(): MethodState;
  restoreState(state: MethodState): void;
  /** Short description for the start banner, e.g. "balanced-softmax (log prior on the logits)". */
  describe(): string;
  dispose(): void;
}
