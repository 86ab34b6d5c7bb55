// The trainer's weight-gradient kernel for 2-D convolutions on the wasm backend (docs/
// architecture.md, "Own wasm kernels"): dW straight from the NHWC input and output gradient, with
// no transposes, at 2-6x the speed of the same gradient as a tfjs forward convolution
// (backends/convGradient.ts), which every other case still takes.
import type * as tf from '@tensorflow/tfjs';
import { CONV2D_FILTER_GRAD_WASM } from './conv2dFilterGradWasm';
import { heapOffset, kernelModule, requireInputs, type WasmBackendView } from './wasmHeap';

export const CONV2D_FILTER_GRAD = 'GpacoConv2DFilterGrad';

interface Exports {
  conv2dFilterGrad(
    x: number,
    N: number,
    H: number,
    W: number,
    Ci: number,
    dy: number,
    Ho: number,
    Wo: number,
    Co: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    pt: number,
    pl: number,
    dw: number,
  ): void;
}

/** Attributes: the filter's spatial size, the strides and the top / left padding of the forward convolution. */
export interface Conv2dFilterGradAttrs {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
}

/** The kernel handles output-channel counts that are multiples of 16 (its register tile). */
export function conv2dFilterGradSupported(outChannels: number): boolean {
  return outChannels % 16 === 0;
}

// Inputs x [N, H, W, Ci], dy [N, Ho, Wo, Co]; attrs above. Output dW [kh, kw, Ci, Co].
export const conv2dFilterGradKernelConfig: tf.KernelConfig = {
  kernelName: CONV2D_FILTER_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const b = backend as unknown as WasmBackendView;
    const t = requireInputs(CONV2D_FILTER_GRAD, inputs, ['x', 'dy'] as const);
    const a = attrs as unknown as Conv2dFilterGradAttrs;
    const [N, H, W, Ci] = t.x.shape as [number, number, number, number];
    const [N2, Ho, Wo, Co] = t.dy.shape as [number, number, number, number];
    if (t.x.shape.length !== 4 || t.dy.shape.length !== 4 || N !== N2) {
      throw new Error(
        `${CONV2D_FILTER_GRAD}: x [${t.x.shape.join(', ')}] and dy [${t.dy.shape.join(', ')}] must be NHWC with one batch size`,
      );
    }
    if (!conv2dFilterGradSupported(Co)) throw new Error(`${CONV2D_FILTER_GRAD}: ${Co} output channels is not a multiple of 16`);
    const dw = b.makeOutput([a.kh, a.kw, Ci, Co], 'float32');
    const at = (p: tf.TensorInfo): number => heapOffset(b, p, CONV2D_FILTER_GRAD);
    kernelModule<Exports>(backend, CONV2D_FILTER_GRAD_WASM).conv2dFilterGrad(
      at(t.x),
      N,
      H,
      W,
      Ci,
      at(t.dy),
      Ho,
      Wo,
      Co,
      a.kh,
      a.kw,
      a.sh,
      a.sw,
      a.pt,
      a.pl,
      at(dw),
    );
    return dw;
  },
};
