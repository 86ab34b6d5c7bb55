// A whole ResNet BasicBlock (conv-BN-ReLU-conv-BN + option-A shortcut, ReLU) as ONE custom-gradient
// op with a hand-written backward pass.
//
// Why: tfjs's backward pass keeps the gradient of every taped op output alive until the whole
// backward pass ends (tape.js never frees a node's dy), and the tape saves every op's inputs, so a
// ResNet-32 step held ~22 MiB per image and view on wasm: two views of 128 images did not fit the
// 4 GiB heap. As one op per block, the tape holds one gradient per block and this op saves only
// the block's input, its two conv outputs, the first ReLU output and its own output; its
// backward temporaries are freed block by block. The same numbers as the layer-by-layer autodiff
// (checked by test/unit/trainer/fusedBlock.test.ts), the same variables and checkpoint names.
//
// Backward (g = upstream gradient, batch statistics, biased variance in the normalisation):
//   g   <- g * [out > 0]                               final ReLU
//   BN2:  dx2 = gamma2 r2 (g - mean(g) - xh2 mean(g xh2)), dgamma2 = sum(g xh2), dbeta2 = sum(g)
//   conv2: dy1 = conv_dx(dx2, W2), dW2 = conv_dW(y1, dx2)
//   BN1 + ReLU: same with g1 = dy1 * [y1 > 0]
//   conv1: dh = conv_dx(dx1, W1) + shortcut'(g), dW1 = conv_dW(h, dx1)
// Convolution gradients are written as forward convolutions (backends/convGradient.ts), which
// wasm runs with XNNPACK and every other backend runs as well.
import * as tf from '@tensorflow/tfjs';
import { filterGradViaConv, inputGradViaConv, zeroInterleave } from '../backends/convGradient';
import { shortcutDownsample, type BatchNorm, type Conv2d } from '../nn/layers';
import { bnTrainBackward, bnTrainForward, reluBackward } from './fusedBatchNorm';

export interface BlockLayers {
  conv1: Conv2d;
  bn1: BatchNorm;
  conv2: Conv2d;
  bn2: BatchNorm;
  /** Option-A shortcut (stride-2 subsample and/or zero channel padding). */
  downsample: boolean;
  outChannels: number;
}

/** Gradient of shortcutDownsample(h) w.r.t. h: drop the padded channels, put values back at even pixels. */
function shortcutBackward(g: tf.Tensor4D, hShape: [number, number, number, number]): tf.Tensor4D {
  const [N, H, W, C] = hShape;
  const before = Math.floor((g.shape[3] - C) / 2);
  const [, Ho, Wo] = g.shape;
  const sliced = tf.slice(g, [0, 0, 0, before], [N, Ho, Wo, C]);
  // x[:, ::2, ::2] of an H x W map: rows / columns 0, 2, 4, ... (Ho = ceil(H / 2)).
  const spread = zeroInterleave(sliced, [2, 2]); // rank-4 pads only (WebGPU)
  return 2 * Ho === H && 2 * Wo === W ? spread : tf.slice(spread, [0, 0, 0, 0], [N, H, W, C]);
}

type Args = (tf.Tensor | tf.GradSaveFunc)[];

function makeBlockOp(L: BlockLayers) {
  const s1 = L.conv1.stride;
  return tf.customGrad((...args: Args) => {
    const [h, w1, g1, , w2, g2] = args as unknown as [
      tf.Tensor4D,
      tf.Tensor4D,
      tf.Tensor1D,
      tf.Tensor1D,
      tf.Tensor4D,
      tf.Tensor1D,
      tf.Tensor1D,
    ];
    const save = args[7] as tf.GradSaveFunc;
    const x1 = tf.conv2d(h, w1, s1, 'same');
    const bn1 = bnTrainForward(L.bn1, x1, { relu: true });
    const y1 = bn1.y;
    const x2 = tf.conv2d(y1, w2, 1, 'same');
    const sc = L.downsample ? shortcutDownsample(h, L.outChannels) : h;
    const bn2 = bnTrainForward(L.bn2, x2, { residual: sc, relu: true });
    const out = bn2.y;
    save([h, x1, y1, x2, out, bn1.stats.mean, bn1.stats.r, bn2.stats.mean, bn2.stats.r, w1, g1, w2, g2]);
    return {
      value: out,
      // tfjs runs a custom gradient outside any per-node scope, so without this tidy every
      // temporary of every block's backward pass would live until the whole backward pass ends.
      gradFunc: (dyIn: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sh, sx1, sy1, sx2, sout, m1, r1, m2, r2, sw1, sg1, sw2, sg2] = saved as [
            tf.Tensor4D,
            tf.Tensor4D,
            tf.Tensor4D,
            tf.Tensor4D,
            tf.Tensor4D,
            tf.Tensor1D,
            tf.Tensor1D,
            tf.Tensor1D,
            tf.Tensor1D,
            tf.Tensor4D,
            tf.Tensor1D,
            tf.Tensor4D,
            tf.Tensor1D,
          ];
          const g = reluBackward(dyIn as tf.Tensor4D, sout);
          const b2 = bnTrainBackward(g, sx2, { mean: m2, r: r2 }, sg2);
          const dW2 = filterGradViaConv(sy1, b2.dx, sw2.shape, 1, 'same');
          const dy1 = inputGradViaConv(b2.dx, sw2, sy1.shape, 1, 'same');
          const b1 = bnTrainBackward(dy1, sx1, { mean: m1, r: r1 }, sg1, sy1);
          const dW1 = filterGradViaConv(sh, b1.dx, sw1.shape, s1, 'same');
          const dhConv = inputGradViaConv(b1.dx, sw1, sh.shape, s1, 'same');
          const dh = tf.add(dhConv, L.downsample ? shortcutBackward(g, sh.shape) : g);
          return [dh, dW1, b1.dgamma, b1.dbeta, dW2, b2.dgamma, b2.dbeta];
        }),
    };
  });
}

const ops = new WeakMap<BlockLayers, ReturnType<typeof makeBlockOp>>();

/** The block in training mode as one op (batch statistics; running statistics updated). */
export function basicBlockTraining(L: BlockLayers, h: tf.Tensor4D): tf.Tensor4D {
  let op = ops.get(L);
  if (!op) {
    op = makeBlockOp(L);
    ops.set(L, op);
  }
  return op(h, L.conv1.w, L.bn1.gamma, L.bn1.beta, L.conv2.w, L.bn2.gamma, L.bn2.beta);
}
