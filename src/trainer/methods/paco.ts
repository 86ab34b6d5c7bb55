// PaCo (docs/method.md, "The methods"): a momentum key encoder - an EMA copy of backbone +
// projector, with the (unused) copy of the classifier the papers' code also carries -
// embeds the second view as a constant k. Anchors are q only; the contrast set is
// [q; k; queue snapshot]; k is enqueued and the EMA  theta_k <- m theta_k + (1-m) theta_q  runs
// after the optimizer step (loss.momentum). Projector: Linear-BN-ReLU-Linear.
import * as tf from '@tensorflow/tfjs';
import type { Network } from '../models/types';
import { ProjectionHead } from '../models/heads';
import { ParameterStore, copyParameters } from '../nn/params';
import { ContrastiveMethod, withoutTape, type Embedding } from './contrastive';
import type { MethodContext, TrainingMethod } from './types';

export class PacoMethod extends ContrastiveMethod implements TrainingMethod {
  readonly kind = 'paco';
  readonly views = 2;
  private readonly head: ProjectionHead;
  private readonly keyNet: Network;
  private readonly keyHead: ProjectionHead;
  private readonly keyHeadStore = new ParameterStore();
  /** [query, key] pairs the EMA runs over: every trainable weight of backbone, classifier, head. */
  private readonly pairs: [tf.Variable, tf.Variable][] = [];

  constructor(ctx: MethodContext) {
    super(ctx, 'paco');
    const F = ctx.network.featureSize;
    const d = ctx.config.model.projectionDim;
    const headStore = this.params.scope('head');
    this.head = new ProjectionHead(headStore, 'paco', F, d, ctx.rng);
    this.keyNet = ctx.createNetwork(ctx.rng);
    this.keyHead = new ProjectionHead(this.keyHeadStore, 'paco', F, d, ctx.rng);
    // MoCo starts the key encoder as an exact copy of the query encoder.
    copyParameters(ctx.network.params, this.keyNet.params);
    for (const e of ctx.network.params.entries()) {
      if (e.trainable) this.pairs.push([e.variable, this.keyNet.params.get(e.name)!.variable]);
    }
    for (const e of this.params.entries()) {
      if (!e.name.startsWith('head.')) continue;
      const key = this.keyHeadStore.get(e.name.slice('head.'.length))!;
      key.variable.assign(e.variable);
      if (e.trainable) this.pairs.push([e.variable, key.variable]);
    }
    // Checkpointed with the method, never trained by the optimizer.
    this.params.adoptAsState('keyEncoder', this.keyNet.params);
    this.params.adoptAsState('keyHead', this.keyHeadStore);
  }

  protected embed(v: number, x: tf.Tensor4D): Embedding {
    if (v === 0) {
      const { features, logits } = this.ctx.network.forward(x, true);
      return { e: this.head.apply(features, true), z: logits };
    }
    // The key encoder is a constant: no tape, no gradient (its BN runs in training mode, as
    // upstream's key encoder does, and keeps its own running statistics).
    return withoutTape(() => {
      const { features, logits } = this.keyNet.forward(x, true);
      return { e: this.keyHead.apply(features, true), z: logits };
    });
  }

  protected gradientViews(): number[] {
    return [0];
  }

  /** theta_k <- m theta_k + (1 - m) theta_q for every paired weight. */
  protected override afterUpdate(): void {
    momentumUpdate(this.pairs, this.ctx.config.loss.momentum);
  }

  describe(): string {
    return `paco (momentum key encoder m ${this.ctx.config.loss.momentum}; ${this.describeLoss()})`;
  }

  override dispose(): void {
    // params owns the adopted key encoder and key head variables.
    super.dispose();
  }
}

/** The EMA of the key encoder (docs/method.md table): theta_k <- m theta_k + (1 - m) theta_q. */
export function momentumUpdate(pairs: readonly (readonly [tf.Variable, tf.Variable])[], m: number): void {
  tf.tidy(() => {
    for (const [q, k] of pairs) k.assign(tf.add(tf.mul(k, m), tf.mul(q, 1 - m)));
  });
}
