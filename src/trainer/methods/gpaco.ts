// GPaCo (docs/method.md, "The methods"): no momentum encoder. Both augmented views go through
// the one encoder in two separate forward passes (BN statistics per view), both are anchors with
// classifier logits, the contrast set is [q; k; queue snapshot], and only k is enqueued after the
// step. loss.views = 1 gives single-view GPaCo (anchors q, contrast [q; queue], q enqueued).
import type * as tf from '@tensorflow/tfjs';
import { ProjectionHead } from '../models/heads';
import { ContrastiveMethod, type Embedding } from './contrastive';
import type { MethodContext, TrainingMethod } from './types';

export class GpacoMethod extends ContrastiveMethod implements TrainingMethod {
  readonly kind = 'gpaco';
  readonly views: 1 | 2;
  private readonly head: ProjectionHead;

  constructor(ctx: MethodContext) {
    super(ctx, ctx.config.loss.views === 1 ? 'gpaco_single_view' : 'gpaco');
    this.views = ctx.config.loss.views === 1 ? 1 : 2;
    this.head = new ProjectionHead(this.params.scope('head'), 'gpaco', ctx.network.featureSize, ctx.config.model.projectionDim, ctx.rng);
  }

  protected embed(_v: number, x: tf.Tensor4D): Embedding {
    const { features, logits } = this.ctx.network.forward(x, true);
    return { e: this.head.apply(features, true), z: logits };
  }

  protected gradientViews(): number[] {
    return this.views === 2 ? [0, 1] : [0];
  }

  describe(): string {
    const v = this.views === 2 ? 'two views, both anchors' : 'single view';
    return `gpaco (${v}; ${this.describeLoss()})`;
  }
}
