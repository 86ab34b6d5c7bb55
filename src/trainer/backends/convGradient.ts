// Conv2D gradient override (docs/architecture.md, Backends).
//
// tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so the stock Conv2D gradient throws
// on wasm; its Conv2DBackpropInput is a plain loop (1.7-4.5 GFLOP/s against
// 28-42 for the XNNPACK forward conv). The cpu backend's Conv2DBackpropFilter runs at
// 0.02 GFLOP/s. Both gradients are therefore written as forward convolutions:
//   dW[kh,kw,ci,co] = conv2d(x^T [Ci,H,W,N], dy^T [Ho,Wo,N,Co], stride 1, dilation = stride,
//                            the forward padding) -> [Ci,kh,kw,Co] -> [kh,kw,Ci,Co]
//   dx = conv2d(dy zero-dilated by the stride, filter flipped with in/out swapped, padding
//        k-1-pad_before (negative amounts crop)).
// On wasm, dW comes from the trainer's own kernel instead whenever the output channels are a
// multiple of 16 (kernels/conv2dFilterGradKernel.ts): 2-6x faster than the forward conv and its
// transposes. Only NHWC, dilation-1 convolutions are handled (all the models use those).
import * as tf from '@tensorflow/tfjs';
import { CONV2D_FILTER_GRAD, type Conv2dFilterGradAttrs, conv2dFilterGradSupported, wasmKernelActive } from '../kernels';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type PadPair = [number, number];

function padAmounts(pad: 'valid' | 'same' | number, inSize: number, outSize: number, stride: number, k: number): PadPair {
  if (pad === 'valid') return [0, 0];
  if (pad === 'same') {
    const total = Math.max((outSize - 1) * stride + k - inSize, 0);
    const before = Math.floor(total / 2);
    return [before, total - before];
  }
  return [pad, pad];
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

function spatialPads(
  pad: Pad,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
  s: [number, number],
  kh: number,
  kw: number,
): [PadPair, PadPair] {
  if (Array.isArray(pad)) {
    const [, ph, pw] = pad;
    return [
      [ph[0], ph[1]],
      [pw[0], pw[1]],
    ];
  }
  return [padAmounts(pad, inH, outH, s[0], kh), padAmounts(pad, inW, outW, s[1], kw)];
}

/**
 * Filter gradient of conv2d(x, W, strides, pad): on wasm the trainer's own kernel when the output
 * channels allow (kernels/conv2dFilterGradKernel.ts), otherwise one forward conv.
 */
export function filterGradViaConv(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: Pad,
): tf.Tensor4D {
  const [kh, kw, ci, co] = filterShape;
  const [, H, W] = x.shape;
  const [, Ho, Wo] = dy.shape;
  const s = pair(strides);
  const [ph, pw] = spatialPads(pad, H, W, Ho, Wo, s, kh, kw);
  if (wasmKernelActive(CONV2D_FILTER_GRAD) && conv2dFilterGradSupported(co)) {
    const attrs = { kh, kw, sh: s[0], sw: s[1], pt: ph[0], pl: pw[0] } satisfies Conv2dFilterGradAttrs;
    return tf.engine().runKernel<tf.Tensor4D>(CONV2D_FILTER_GRAD, { x, dy }, attrs);
  }
  return tf.tidy(() => {
    const xt = tf.transpose(x, [3, 1, 2, 0]); // [Ci, H, W, N]
    const f = tf.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, N, Co]
    let out = tf.conv2d(xt, f, 1, [[0, 0], ph, pw, [0, 0]], 'NHWC', s); // [Ci, >=kh, >=kw, Co]
    if (out.shape[1] !== kh || out.shape[2] !== kw) out = tf.slice(out, [0, 0, 0, 0], [ci, kh, kw, co]);
    return tf.transpose(out, [1, 2, 0, 3]); // [kh, kw, Ci, Co]
  });
}

/**
 * [N, H, W, C] -> [N, H*s0, W*s1, C] with x[n, i, j] at (i*s0, j*s1) and zeros between (the
 * inverse of a strided subsample's gradient routing). Two rank-4 pads, not one rank-6 pad:
 * tfjs-backend-webgpu cannot compile Pad above rank 4 (its shader indexes a "vec6", a WGSL
 * error that the WebGPU guard reports).
 */
export function zeroInterleave(x: tf.Tensor4D, s: [number, number]): tf.Tensor4D {
  const [N, H, W, C] = x.shape;
  return tf.tidy(() => {
    const cols = tf.pad(tf.reshape(x, [N * H, W, 1, C]), [
      [0, 0],
      [0, 0],
      [0, s[1] - 1],
      [0, 0],
    ]);
    const rows = tf.pad(tf.reshape(cols, [N, H, 1, W * s[1] * C]), [
      [0, 0],
      [0, 0],
      [0, s[0] - 1],
      [0, 0],
    ]);
    return tf.reshape(rows, [N, H * s[0], W * s[1], C]);
  });
}

/** Input gradient of conv2d(x, W, strides, pad) as one forward conv. */
export function inputGradViaConv(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  xShape: [number, number, number, number],
  strides: number | [number, number],
  pad: Pad,
): tf.Tensor4D {
  const [N, H, W] = xShape;
  const [kh, kw, , co] = filter.shape;
  const [, Ho, Wo] = dy.shape;
  const s = pair(strides);
  const [ph, pw] = spatialPads(pad, H, W, Ho, Wo, s, kh, kw);
  return tf.tidy(() => {
    let d: tf.Tensor4D = dy;
    if (s[0] > 1 || s[1] > 1) d = zeroInterleave(d, s);
    const L = [Ho * s[0], Wo * s[1]] as const;
    const K = [kh, kw] as const;
    const P = [ph[0], pw[0]] as const;
    const S = [H, W] as const;
    const before = [K[0] - 1 - P[0], K[1] - 1 - P[1]] as const;
    const after = [S[0] + K[0] - 1 - before[0] - L[0], S[1] + K[1] - 1 - before[1] - L[1]] as const;
    // negative amounts mean crop
    const cropB = [Math.max(-before[0], 0), Math.max(-before[1], 0)] as const;
    const cropA = [Math.max(-after[0], 0), Math.max(-after[1], 0)] as const;
    if (cropB[0] || cropB[1] || cropA[0] || cropA[1]) {
      d = tf.slice(d, [0, cropB[0], cropB[1], 0], [N, L[0] - cropB[0] - cropA[0], L[1] - cropB[1] - cropA[1], co]);
    }
    const wf = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [kh, kw, Co, Ci]
    return tf.conv2d(d, wf, 1, [
      [0, 0],
      [Math.max(before[0], 0), Math.max(after[0], 0)],
      [Math.max(before[1], 0), Math.max(after[1], 0)],
      [0, 0],
    ]);
  });
}

export type InputGradMode = 'conv' | 'native';

let stockGradient: tf.GradConfig | null = null;
let mode: InputGradMode | 'stock' = 'stock';

/** Which Conv2D gradient is registered: the override ('conv' or 'native' dx) or tfjs's own. */
export function convGradientMode(): InputGradMode | 'stock' {
  return mode;
}

/**
 * Registers the override for the Conv2D kernel (a process-wide registry: call it once, for the
 * chosen backend). dx 'conv' (wasm: fast forward conv) or 'native' (tf.conv2dTranspose, which
 * the cpu backend runs well). Native TensorFlow and WebGPU backends keep the stock gradient.
 */
export function installConvGradient(dx: InputGradMode): void {
  stockGradient ??= tf.getGradient(tf.Conv2D);
  const warn = console.warn;
  // tfjs warns "Overriding the gradient for 'Conv2D'" on every registration; this one is deliberate.
  console.warn = () => {};
  try {
    tf.registerGradient({
      kernelName: tf.Conv2D,
      inputsToSave: ['x', 'filter'],
      gradFunc: (dyIn, saved, attrs) => {
        const dy = dyIn as tf.Tensor4D;
        const [x4D, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
        const a = attrs as unknown as tf.Conv2DAttrs;
        const d = a.dilations == null ? [1, 1] : pair(a.dilations);
        if (d[0] !== 1 || d[1] !== 1 || (a.dataFormat && a.dataFormat !== 'NHWC')) {
          throw new Error('conv gradient override: only NHWC convolutions with dilation 1 are supported');
        }
        if (a.dimRoundingMode != null) throw new Error('conv gradient override: dimRoundingMode is not supported');
        return {
          x: () =>
            dx === 'native'
              ? tf.conv2dTranspose(dy, filter, x4D.shape, a.strides, a.pad)
              : inputGradViaConv(dy, filter, x4D.shape, a.strides, a.pad),
          filter: () => filterGradViaConv(x4D, dy, filter.shape, a.strides, a.pad),
        };
      },
    });
    mode = dx;
  } finally {
    console.warn = warn;
  }
}

/** Puts tfjs's own Conv2D gradient back (tests compare against it). */
export function restoreStockConvGradient(): void {
  if (!stockGradient) return;
  const warn = console.warn;
  console.warn = () => {};
  try {
    tf.registerGradient(stockGradient);
    mode = 'stock';
  } finally {
    console.warn = warn;
  }
}
