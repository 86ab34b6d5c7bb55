// The trainer's own wasm kernels (docs/architecture.md, "Own wasm kernels"): registered on the
// wasm backend when it is activated; callers check `wasmKernelActive` and otherwise use tfjs ops.
import * as tf from '@tensorflow/tfjs';
import { batchNormKernelConfigs } from './batchNormKernels';
import { conv2dFilterGradKernelConfig } from './conv2dFilterGradKernel';

export { BN_TRAIN_BACKWARD, BN_TRAIN_FORWARD, RELU_GRAD } from './batchNormKernels';
export { CONV2D_FILTER_GRAD, type Conv2dFilterGradAttrs, conv2dFilterGradSupported } from './conv2dFilterGradKernel';

/** Registers every kernel on the wasm backend (once per thread: tfjs's registry is per thread). */
export function registerWasmKernels(): void {
  for (const k of [...batchNormKernelConfigs, conv2dFilterGradKernelConfig]) {
    if (!tf.getKernel(k.kernelName, 'wasm')) tf.registerKernel(k);
  }
}

/** Whether the current backend runs the kernel `name` (wasm, with the kernels registered). */
export function wasmKernelActive(name: string): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(name, 'wasm') !== undefined;
}
