// The trainer's own convolution weight-gradient kernel on wasm (src/trainer/kernels) against a
// float64 reference written here, over strides, kernel sizes, paddings, odd sizes and odd input
// channel counts; and the fallback (a forward conv) for output channels it does not take.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../../src/core/random';
import { selectBackend } from '../../../src/trainer/backends';
import { filterGradViaConv } from '../../../src/trainer/backends/convGradient';
import { CONV2D_FILTER_GRAD } from '../../../src/trainer/kernels';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  x: [number, number, number, number];
  k: number;
  cout: number;
  stride: number;
  pad: Pad;
}

/** dW in float64, straight from the definition, with the forward conv's output size and padding from tfjs. */
function reference(c: Case, x: Float32Array, dy: Float32Array, Ho: number, Wo: number): Float64Array {
  const [N, H, W, Ci] = c.x;
  const { k, cout: Co, stride: s } = c;
  let pt = 0;
  let pl = 0;
  if (c.pad === 'same') {
    pt = Math.floor(Math.max((Ho - 1) * s + k - H, 0) / 2);
    pl = Math.floor(Math.max((Wo - 1) * s + k - W, 0) / 2);
  } else if (Array.isArray(c.pad)) {
    pt = c.pad[1][0];
    pl = c.pad[2][0];
  }
  const dw = new Float64Array(k * k * Ci * Co);
  for (let n = 0; n < N; n++)
    for (let ho = 0; ho < Ho; ho++)
      for (let wo = 0; wo < Wo; wo++)
        for (let a = 0; a < k; a++)
          for (let b = 0; b < k; b++) {
            const hi = ho * s + a - pt;
            const wi = wo * s + b - pl;
            if (hi < 0 || hi >= H || wi < 0 || wi >= W) continue;
            for (let ci = 0; ci < Ci; ci++) {
              const xv = x[((n * H + hi) * W + wi) * Ci + ci]!;
              for (let co = 0; co < Co; co++) dw[((a * k + b) * Ci + ci) * Co + co]! += xv * dy[((n * Ho + ho) * Wo + wo) * Co + co]!;
            }
          }
  return dw;
}

const CASES: Case[] = [
  { x: [4, 8, 8, 16], k: 3, cout: 16, stride: 1, pad: 'same' },
  { x: [3, 9, 7, 3], k: 3, cout: 16, stride: 1, pad: 'same' }, // odd sizes, odd input channels (the stem)
  { x: [4, 8, 8, 16], k: 3, cout: 32, stride: 2, pad: 'same' }, // ResNet-32's downsampling block
  { x: [2, 9, 9, 5], k: 3, cout: 32, stride: 2, pad: 'same' },
  { x: [2, 7, 6, 4], k: 1, cout: 16, stride: 2, pad: 'valid' },
  { x: [2, 10, 10, 2], k: 5, cout: 48, stride: 1, pad: 'valid' },
  {
    x: [2, 8, 8, 2],
    k: 3,
    cout: 16,
    stride: 2,
    pad: [
      [0, 0],
      [1, 0],
      [0, 1],
      [0, 0],
    ],
  },
  { x: [64, 16, 16, 8], k: 3, cout: 64, stride: 1, pad: 'same' }, // 16,384 output positions per tap
  { x: [2, 8, 8, 4], k: 3, cout: 12, stride: 1, pad: 'same' }, // not a multiple of 16: the forward-conv fallback
];

for (const c of CASES) {
  test(`conv weight gradient on wasm, ${JSON.stringify(c)} = float64 reference`, async () => {
    await selectBackend('wasm');
    const rng = new Rng(c.x.reduce((p, v) => p * 7 + v, c.cout));
    const x = Float32Array.from({ length: c.x.reduce((p, v) => p * v, 1) }, () => rng.normal());
    const xt = tf.tensor4d(x, c.x);
    const yShape = tf.tidy(() => tf.conv2d(xt, tf.zeros<tf.Rank.R4>([c.k, c.k, c.x[3], c.cout]), c.stride, c.pad).shape);
    const [, Ho, Wo] = yShape;
    const dy = Float32Array.from({ length: yShape.reduce((p, v) => p * v, 1) }, () => rng.normal());
    const dyt = tf.tensor4d(dy, yShape);
    let got: ArrayLike<number> = [];
    const before = tf.memory().numTensors;
    const profile = await tf.profile(() => {
      const dw = filterGradViaConv(xt, dyt, [c.k, c.k, c.x[3], c.cout], c.stride, c.pad);
      got = dw.dataSync();
      dw.dispose();
    });
    const ran = profile.kernels.some((k) => k.name === CONV2D_FILTER_GRAD);
    assert.equal(ran, c.cout % 16 === 0, c.cout % 16 === 0 ? 'the own kernel ran' : 'the fallback ran');
    const ref = reference(c, x, dy, Ho, Wo);
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < ref.length; i++) {
      diff = Math.max(diff, Math.abs(got[i]! - ref[i]!));
      scale = Math.max(scale, Math.abs(ref[i]!));
    }
    assert.equal(got.length, ref.length);
    assert.ok(diff / scale < 1e-5, `relative difference ${diff / scale}`);
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
    tf.dispose([xt, dyt]);
  });
}
