// Plain CE and Balanced Softmax as training methods: one view, the network's classifier logits,
// no variables of their own. Test-time prediction is always the raw logits (the loop does it).
// Both are the parametric-contrastive core's exact reduction alpha = gamma = 0 (docs/method.md), so
// they run through that one core, without contrast columns, prior on / off.
import type * as tf from '@tensorflow/tfjs';
import { logPriorTensor, parametricContrastiveLoss, softmaxHyper, type LossHyper } from '../losses/parametricContrastive';
import { ParameterStore } from '../nn/params';
import type { MethodContext, MethodState, ShardedLoss, StepOutput, TrainBatch, TrainingMethod } from './types';

export class SoftmaxMethod implements TrainingMethod {
  readonly views = 1;
  readonly microBatchable = true;
  readonly params = new ParameterStore();
  private readonly prior: tf.Tensor1D | null;
  private readonly hp: LossHyper;

  constructor(
    readonly kind: 'ce' | 'balanced-softmax',
    private readonly ctx: MethodContext,
  ) {
    this.hp = softmaxHyper(ctx.config.loss, kind === 'balanced-softmax');
    this.prior = this.hp.usePrior ? logPriorTensor(ctx.trainCounts, this.hp.epsPrior) : null;
    this.sharded = this.shardedLoss();
  }

  computeLoss(batch: TrainBatch): StepOutput {
    const view = batch.views[0];
    if (!view) throw new Error('softmax method: the batch has no view');
    const { logits } = this.ctx.network.forward(view, true);
    const { loss } = parametricContrastiveLoss(
      { centerLogits: logits, labels: batch.labels, oneHot: batch.oneHot, logPrior: this.prior, contrast: null },
      this.hp,
    );
    return { loss, logits };
  }

  readonly sharded: ShardedLoss;

  private shardedLoss(): ShardedLoss {
    return {
      widths: [this.ctx.numClasses],
      differentiable: [true],
      outputs: (views) => {
        const view = views[0];
        if (!view) throw new Error('softmax method: the shard has no view');
        return [this.ctx.network.forward(view, true).logits];
      },
      loss: (outputs, labels, oneHot) => {
        const logits = outputs[0]!;
        const { loss } = parametricContrastiveLoss({ centerLogits: logits, labels, oneHot, logPrior: this.prior, contrast: null }, this.hp);
        return { loss, logits };
      },
    };
  }

  afterStep(): void {}

  saveState(): MethodState {
    return { json: null };
  }

  restoreState(): void {}

  describe(): string {
    const ls = this.ctx.config.loss.labelSmoothing;
    const smoothing = ls > 0 ? `, label smoothing ${ls}` : '';
    return this.kind === 'ce'
      ? `ce (plain cross-entropy${smoothing})`
      : `balanced-softmax (log class prior added to the logits in training${smoothing})`;
  }

  dispose(): void {
    this.prior?.dispose();
    this.params.dispose();
  }
}
