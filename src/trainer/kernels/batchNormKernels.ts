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

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use (public members of that class). */
interface WasmBackendView {
  wasm: { asm?: { memory?: unknown } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

// The project's TypeScript libs (ES2023 + Node) declare WebAssembly's types but not its global
// object: the three constructors used here.
interface WasmGlobal {
  Memory: abstract new (...args: never[]) => object;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: { env: { memory: object } }) => { exports: object };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmGlobal }).WebAssembly;

const instances = new WeakMap<object, Exports>();
let moduleCache: object | null = null;

function kernelsFor(backend: object): Exports {
  const cached = instances.get(backend);
  if (cached) return cached;
  const memory = (backend as WasmBackendView).wasm?.asm?.memory;
  if (!(memory instanceof wasmApi.Memory)) {
    throw new Error('the wasm backend exposes no WebAssembly.Memory (tfjs-backend-wasm changed its module layout)');
  }
  moduleCache ??= new wasmApi.Module(Buffer.from(BATCH_NORM_WASM, 'base64'));
  const instance = new wasmApi.Instance(moduleCache, { env: { memory } });
  const exports = instance.exports as unknown as Exports;
  instances.set(backend, exports);
  return exports;
}

function offset(b: WasmBackendView, t: tf.TensorInfo): number {
  const d = b.dataIdMap.get(t.dataId);
  if (!d) throw new Error('a tensor given to a batch-norm kernel is not on the wasm backend');
  return d.memoryOffset;
}

function float32(t: tf.TensorInfo, what: string): void {
  if (t.dtype !== 'float32') throw new Error(`batch-norm kernel: ${what} must be float32, not ${t.dtype}`);
}

/** Runs fn with a scratch buffer of 10 * C floats (8-byte aligned: tfjs's malloc) on the backend's heap. */
function withScratch<T>(b: WasmBackendView, C: number, fn: (scratch: number) => T): T {
  const s = b.makeOutput([10 * C], 'float32');
  try {
    return fn(offset(b, s));
  } finally {
    b.disposeData(s.dataId, true);
  }
}

function channels(x: tf.TensorInfo): { rows: number; C: number } {
  const C = x.shape[x.shape.length - 1] ?? 1;
  const size = x.shape.reduce((p, v) => p * v, 1);
  return { rows: C > 0 ? size / C : 0, C };
}

// Inputs x, gamma, beta[, residual]; attrs epsilon, relu. Outputs y, mean, variance (biased), r.
const forwardKernel: tf.KernelConfig = {
  kernelName: BN_TRAIN_FORWARD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const b = backend as unknown as WasmBackendView;
    const { x, gamma, beta, residual } = inputs as Record<string, tf.TensorInfo | undefined>;
    if (!x || !gamma || !beta) throw new Error(`${BN_TRAIN_FORWARD}: x, gamma and beta are required`);
    for (const [t, what] of [
      [x, 'x'],
      [gamma, 'gamma'],
      [beta, 'beta'],
    ] as const)
      float32(t, what);
    const { rows, C } = channels(x);
    const k = kernelsFor(backend);
    const y = b.makeOutput(x.shape, 'float32');
    const mean = b.makeOutput([C], 'float32');
    const variance = b.makeOutput([C], 'float32');
    const r = b.makeOutput([C], 'float32');
    const eps = Number((attrs as { epsilon?: number }).epsilon ?? 1e-5);
    const relu = (attrs as { relu?: boolean }).relu ? 1 : 0;
    withScratch(b, C, (scratch) =>
      k.bnForward(
        offset(b, x),
        rows,
        C,
        offset(b, gamma),
        offset(b, beta),
        eps,
        residual ? offset(b, residual) : 0,
        relu,
        offset(b, y),
        offset(b, mean),
        offset(b, variance),
        offset(b, r),
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
    const { dy, x, mean, r, gamma, mask } = inputs as Record<string, tf.TensorInfo | undefined>;
    if (!dy || !x || !mean || !r || !gamma) throw new Error(`${BN_TRAIN_BACKWARD}: dy, x, mean, r and gamma are required`);
    const { rows, C } = channels(x);
    const k = kernelsFor(backend);
    const dx = b.makeOutput(x.shape, 'float32');
    const dgamma = b.makeOutput([C], 'float32');
    const dbeta = b.makeOutput([C], 'float32');
    withScratch(b, C, (scratch) =>
      k.bnBackward(
        offset(b, dy),
        mask ? offset(b, mask) : 0,
        offset(b, x),
        rows,
        C,
        offset(b, mean),
        offset(b, r),
        offset(b, gamma),
        offset(b, dx),
        offset(b, dgamma),
        offset(b, dbeta),
        scratch,
      ),
    );
    return [dx, dgamma, dbeta];
  },
};

const reluGradKernel: tf.KernelConfig = {
  kernelName: RELU_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const b = backend as unknown as WasmBackendView;
    const { dy, y } = inputs as Record<string, tf.TensorInfo | undefined>;
    if (!dy || !y) throw new Error(`${RELU_GRAD}: dy and y are required`);
    const out = b.makeOutput(dy.shape, 'float32');
    const n = dy.shape.reduce((p, v) => p * v, 1);
    kernelsFor(backend).reluGrad(offset(b, dy), offset(b, y), n, offset(b, out));
    return out;
  },
};

/** Registers the kernels on the wasm backend (once per thread; called when wasm is activated). */
export function registerWasmBatchNormKernels(): void {
  for (const k of [forwardKernel, backwardKernel, reluGradKernel]) {
    if (!tf.getKernel(k.kernelName, 'wasm')) tf.registerKernel(k);
  }
}

/** Whether the current backend runs these kernels (wasm with them registered). */
export function wasmBatchNormKernelsActive(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(BN_TRAIN_FORWARD, 'wasm') !== undefined;
}
