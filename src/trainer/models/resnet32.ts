// The CIFAR ResNet-32 of the papers (the papers' models/resnet_cifar.py):
// conv3x3(16)-BN-ReLU, then 3 stages x 5 BasicBlocks with 16/32/64 channels (the first block of
// stages 2 and 3 has stride 2), option-A shortcuts (stride-2 subsample + zero channel padding,
// no parameters), global average pooling (F = 64) and a biased linear classifier. Conv and
// linear weights Kaiming-normal (fan-in), no conv biases (every conv is followed by BN).
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/random';
import { BatchNorm, Conv2d, Dense, globalAvgPool, shortcutDownsample } from '../nn/layers';
import { ParameterStore } from '../nn/params';
import { batchNormFused } from './fusedBatchNorm';
import { basicBlockTraining, type BlockLayers } from './fusedBlock';
import type { ForwardOutput, Network, NetworkSpec } from './types';

import { RESNET32_WIDTHS } from '../../core/memory/tensorEstimates';

export { RESNET32_WIDTHS };
export const RESNET32_BLOCKS_PER_STAGE = 5;

/** A BasicBlock's layers (the fused training op and the layer-by-layer path share them). */
type BasicBlock = BlockLayers;

export class ResNet32 implements Network {
  readonly arch = 'resnet32';
  readonly inputShape: readonly [number, number, number];
  readonly featureSize = RESNET32_WIDTHS[2];
  readonly numClasses: number;
  readonly params = new ParameterStore();
  private readonly stem: { conv: Conv2d; bn: BatchNorm };
  private readonly blocks: BasicBlock[] = [];
  private readonly classifier: Dense;

  /**
   * fused (default): in training, each BasicBlock is one custom-gradient op (fusedBlock.ts) and the
   * stem's BN + ReLU another (fusedBatchNorm.ts): the same numbers with a fraction of the tape
   * memory. false: layer-by-layer autodiff of the nn/layers.ts primitives (the reference).
   */
  constructor(
    spec: NetworkSpec,
    rng: Rng,
    private readonly opts: { fused?: boolean } = {},
  ) {
    this.inputShape = spec.inputShape;
    this.numClasses = spec.numClasses;
    const stem = this.params.scope('stem');
    this.stem = {
      conv: new Conv2d(stem.scope('conv'), { kernel: 3, inChannels: spec.inputShape[2], outChannels: RESNET32_WIDTHS[0] }, rng),
      bn: new BatchNorm(stem.scope('bn'), RESNET32_WIDTHS[0]),
    };
    let cin: number = RESNET32_WIDTHS[0];
    RESNET32_WIDTHS.forEach((planes, s) => {
      for (let i = 0; i < RESNET32_BLOCKS_PER_STAGE; i++) {
        const stride = s > 0 && i === 0 ? 2 : 1;
        const b = this.params.scope(`stage${s + 1}.block${i + 1}`);
        this.blocks.push({
          conv1: new Conv2d(b.scope('conv1'), { kernel: 3, inChannels: cin, outChannels: planes, stride }, rng),
          bn1: new BatchNorm(b.scope('bn1'), planes),
          conv2: new Conv2d(b.scope('conv2'), { kernel: 3, inChannels: planes, outChannels: planes }, rng),
          bn2: new BatchNorm(b.scope('bn2'), planes),
          downsample: stride !== 1 || cin !== planes,
          outChannels: planes,
        });
        cin = planes;
      }
    });
    this.classifier = new Dense(this.params.scope('classifier'), { inFeatures: cin, outFeatures: spec.numClasses }, rng);
  }

  private get fused(): boolean {
    return this.opts.fused ?? true;
  }

  private bn(bn: BatchNorm, x: tf.Tensor4D, training: boolean, relu: boolean): tf.Tensor4D {
    if (this.fused) return batchNormFused(bn, x, training, relu);
    const y = bn.apply(x, training);
    return relu ? tf.relu(y) : y;
  }

  forward(x: tf.Tensor4D, training: boolean): ForwardOutput {
    let h = this.bn(this.stem.bn, this.stem.conv.apply(x), training, true);
    for (const b of this.blocks) {
      if (training && this.fused) {
        h = basicBlockTraining(b, h);
        continue;
      }
      const o = this.bn(b.bn2, b.conv2.apply(this.bn(b.bn1, b.conv1.apply(h), training, true)), training, false);
      const sc = b.downsample ? shortcutDownsample(h, b.outChannels) : h;
      h = tf.relu(tf.add<tf.Tensor4D>(o, sc));
    }
    const features = globalAvgPool(h);
    return { features, logits: this.classifier.apply(features) };
  }

  dispose(): void {
    this.params.dispose();
  }
}
