// The network interface every backbone implements (convnet here, ResNet-32 in resnet32.ts).
//
// A network = backbone -> pooled feature h [N,F] -> biased linear classifier z = W h + b [N,C]
// (docs/method.md: the classifier rows are the "parametric centres"). Projection heads
// are NOT part of the network: a TrainingMethod owns them (methods/types.ts), so CE and Balanced
// Softmax carry no unused variables and evaluation never touches a head.
import type * as tf from '@tensorflow/tfjs';
import type { ParameterStore } from '../nn/params';

export interface ForwardOutput {
  /** Pooled backbone feature h, [N, F], un-normalised (the classifier's input). */
  features: tf.Tensor2D;
  /** Raw classifier logits z = W h + b, [N, C]; no prior (add it in the loss, never at test). */
  logits: tf.Tensor2D;
}

export interface Network {
  /** `convnet`, `resnet32`, ... (config `model.arch`). */
  readonly arch: string;
  /** Input image shape [H, W, C] the network was built for. */
  readonly inputShape: readonly [number, number, number];
  /** F, the size of `features`. */
  readonly featureSize: number;
  readonly numClasses: number;
  /**
   * Every variable with its checkpoint name: trainable weights and the BN running statistics
   * (state). The loop checkpoints all of them under `net/<name>`; `params.trainable()` is the
   * optimizer's list (weight decay applies to all of it), `params.state()` the BN running statistics.
   */
  readonly params: ParameterStore;
  /**
   * x: float32 NHWC, already normalised. training=true uses batch statistics and updates the BN
   * running statistics (call it once per view and step, as PyTorch would); false uses them.
   * Creates tensors freely: callers run it inside tf.tidy / tf.variableGrads.
   */
  forward(x: tf.Tensor4D, training: boolean): ForwardOutput;
  dispose(): void;
}

/** What a network factory needs. `rng` draws the initial weights (same seed, same weights). */
export interface NetworkSpec {
  inputShape: readonly [number, number, number];
  numClasses: number;
}
