// The small conv net for small images (docs/method.md): three stages of
// conv3x3 - BN - ReLU - 2x2 average pool with widths w, 2w, 4w, then global average pooling
// (F = 4w) and a biased linear classifier. Average, not max, pooling: wasm's MaxPoolGrad is
// wrong (docs/architecture.md, Backends) and the network must train the same everywhere.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/random';
import { BatchNorm, Conv2d, Dense, avgPool2, globalAvgPool } from '../nn/layers';
import { ParameterStore } from '../nn/params';
import type { ForwardOutput, Network, NetworkSpec } from './types';

interface Stage {
  conv: Conv2d;
  bn: BatchNorm;
}

export class ConvNet implements Network {
  readonly arch = 'convnet';
  readonly inputShape: readonly [number, number, number];
  readonly featureSize: number;
  readonly numClasses: number;
  readonly params = new ParameterStore();
  private readonly stages: Stage[] = [];
  private readonly classifier: Dense;

  constructor(spec: NetworkSpec & { width: number }, rng: Rng) {
    this.inputShape = spec.inputShape;
    this.numClasses = spec.numClasses;
    let cin = spec.inputShape[2];
    [spec.width, spec.width * 2, spec.width * 4].forEach((cout, i) => {
      const s = this.params.scope(`stage${i + 1}`);
      this.stages.push({
        conv: new Conv2d(s.scope('conv'), { kernel: 3, inChannels: cin, outChannels: cout }, rng),
        bn: new BatchNorm(s.scope('bn'), cout),
      });
      cin = cout;
    });
    this.featureSize = cin;
    this.classifier = new Dense(this.params.scope('classifier'), { inFeatures: cin, outFeatures: spec.numClasses }, rng);
  }

  forward(x: tf.Tensor4D, training: boolean): ForwardOutput {
    let h = x;
    for (const st of this.stages) {
      h = tf.relu(st.bn.apply(st.conv.apply(h), training));
      // A 1-pixel map cannot be pooled further; the global average below takes over.
      if (h.shape[1] >= 2 && h.shape[2] >= 2) h = avgPool2(h);
    }
    const features = globalAvgPool(h);
    return { features, logits: this.classifier.apply(features) };
  }

  dispose(): void {
    this.params.dispose();
  }
}
