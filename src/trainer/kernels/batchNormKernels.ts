// The trainer's own batch-norm kernels on the wasm backend (docs/architecture.md, "Own wasm
// kernels"). tfjs-backend-wasm runs a training-mode batch norm as a dozen separate kernels, and
// its per-channel means and sums transpose the whole activation first; these do the statistics,
// the normalisation, the residual add and the ReLU in one pass each (kernels/batchNorm.ts,
// AssemblyScript with 128-bit SIMD). They work in place on tfjs's heap: the module imports the
// backend's WebAssembly.Memory and gets tensors' byte offsets from the backend.
//
// They are registered as tfjs kernels of the wasm backend under names of their own, so they run
// through tf.engine() (scopes, tidy, profiling) like any other kernel.
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_WASM } from './batchNormWasm';
import { heapOffset, kernelModule, requireInputs, type WasmBackendView, withScratch } from './wasmHeap';

export const BN_TRAIN_FORWARD = 'GpacoBatchNormTrain';
export const BN_TRAIN_BACKWARD = 'GpacoBatchNormTrainGrad';
export const RELU_GRAD = 'GpacoReluGrad';

interface Exports {
  bnForward(
    x: number,
    rows: number,
    C: number,
    gamma: number,
    beta: number,
    eps: number,
    res: number,
    relu: number,
    y: number,
    mean: number,
    variance: number,
    r: number,
    scratch: number,
  ): void;
  bnBackward(
    dy: number,
    mask: number,
    x: number,
    rows: number,
    C: number,
    mean: number,
    r: number,
    gamma: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    scratch: number,
  ): void;
  reluGrad(dy: number, y: number, n: number, out: number): void;
}

/** Floats of scratch per channel (kernels/batchNorm.ts lays them out). */
const SCRATCH_PER_CHANNEL = 10;

function channels(x: tf.TensorInfo): { rows: number; C: number } {
  const C = x.shape[x.shape.length - 1] ?? 1;
  return { rows: C > 0 ? tf.util.sizeFromShape(x.shape) / C : 0, C };
}

// Inputs x, gamma, beta[, residual]; attrs epsilon, relu. Outputs y, mean, variance (biased), r.
const forwardKernel: tf.KernelConfig = {
  kernelName: BN_TRAIN_FORWARD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const b = backend as unknown as WasmBackendView;
    const t = requireInputs(BN_TRAIN_FORWARD, inputs, ['x', 'gamma', 'beta'] as const);
    const residual = inputs['residual'];
    const at = (p: tf.TensorInfo): number => heapOffset(b, p, BN_TRAIN_FORWARD);
    const { rows, C } = channels(t.x);
    const y = b.makeOutput(t.x.shape, 'float32');
    const mean = b.makeOutput([C], 'float32');
    const variance = b.makeOutput([C], 'float32');
    const r = b.makeOutput([C], 'float32');
    const a = attrs as { epsilon?: number; relu?: boolean } | undefined;
    const k = kernelModule<Exports>(backend, BATCH_NORM_WASM);
    withScratch(b, SCRATCH_PER_CHANNEL * C, BN_TRAIN_FORWARD, (scratch) =>
      k.bnForward(
        at(t.x),
        rows,
        C,
        at(t.gamma),
        at(t.beta),
        a?.epsilon ?? 1e-5,
        residual ? at(residual) : 0,
        a?.relu ? 1 : 0,
        at(y),
        at(mean),
        at(variance),
        at(r),
        scratch,
      ),
    );
    return [y, mean, variance, r];
  },
};

// Inputs dy, x, mean, r, gamma[, mask]. Outputs dx, dgamma, dbeta.
const backwardKernel: tf.KernelConfig = {
  kernelName: BN_TRAIN_BACKWARD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const b = backend as unknown as WasmBackendView;
    const t = requireInputs(BN_TRAIN_BACKWARD, inputs, ['dy', 'x', 'mean', 'r', 'gamma'] as const);
    const mask = inputs['mask'];
    const at = (p: tf.TensorInfo): number => heapOffset(b, p, BN_TRAIN_BACKWARD);
    const { rows, C } = channels(t.x);
    const dx = b.makeOutput(t.x.shape, 'float32');
    const dgamma = b.makeOutput([C], 'float32');
    const dbeta = b.makeOutput([C], 'float32');
    const k = kernelModule<Exports>(backend, BATCH_NORM_WASM);
    withScratch(b, SCRATCH_PER_CHANNEL * C, BN_TRAIN_BACKWARD, (scratch) =>
      k.bnBackward(
        at(t.dy),
        mask ? at(mask) : 0,
        at(t.x),
        rows,
        C,
        at(t.mean),
        at(t.r),
        at(t.gamma),
        at(dx),
        at(dgamma),
        at(dbeta),
        scratch,
      ),
    );
    return [dx, dgamma, dbeta];
  },
};

// Inputs dy, y. Output dy where y > 0, else 0.
const reluGradKernel: tf.KernelConfig = {
  kernelName: RELU_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const b = backend as unknown as WasmBackendView;
    const t = requireInputs(RELU_GRAD, inputs, ['dy', 'y'] as const);
    const at = (p: tf.TensorInfo): number => heapOffset(b, p, RELU_GRAD);
    const out = b.makeOutput(t.dy.shape, 'float32');
    kernelModule<Exports>(backend, BATCH_NORM_WASM).reluGrad(at(t.dy), at(t.y), tf.util.sizeFromShape(t.dy.shape), at(out));
    return out;
  },
};

export const batchNormKernelConfigs: readonly tf.KernelConfig[] = [forwardKernel, backwardKernel, reluGradKernel];
