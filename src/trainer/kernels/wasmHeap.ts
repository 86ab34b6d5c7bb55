// What the trainer's own wasm kernels share (docs/architecture.md, "Own wasm kernels"): each
// kernel module is instantiated once per wasm backend (per thread) on that backend's
// WebAssembly.Memory, and reads and writes tensors where tfjs keeps them, by byte offset.
import type * as tf from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm's BackendWasm the kernels use (public members of that class). */
export interface WasmBackendView {
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

const compiled = new Map<string, object>();
const instances = new WeakMap<object, Map<string, object>>();

/** The exports of the kernel module `base64` instantiated on `backend`'s memory (cached). */
export function kernelModule<T>(backend: object, base64: string): T {
  let mine = instances.get(backend);
  const cached = mine?.get(base64);
  if (cached) return cached as T;
  const memory = (backend as WasmBackendView).wasm?.asm?.memory;
  if (!(memory instanceof wasmApi.Memory)) {
    throw new Error('the wasm backend exposes no WebAssembly.Memory (tfjs-backend-wasm changed its module layout)');
  }
  let module = compiled.get(base64);
  if (!module) {
    module = new wasmApi.Module(Buffer.from(base64, 'base64'));
    compiled.set(base64, module);
  }
  const exports = new wasmApi.Instance(module, { env: { memory } }).exports;
  if (!mine) {
    mine = new Map();
    instances.set(backend, mine);
  }
  mine.set(base64, exports);
  return exports as T;
}

/** Byte offset of a tensor's data in the backend's memory. */
export function heapOffset(b: WasmBackendView, t: tf.TensorInfo, kernel: string): number {
  if (t.dtype !== 'float32') throw new Error(`${kernel}: inputs must be float32, not ${t.dtype}`);
  const d = b.dataIdMap.get(t.dataId);
  if (!d) throw new Error(`${kernel}: an input is not on the wasm backend`);
  return d.memoryOffset;
}

/** Runs fn with a scratch buffer of `floats` floats (8-byte aligned: tfjs's malloc) on the backend's heap. */
export function withScratch<T>(b: WasmBackendView, floats: number, kernel: string, fn: (scratch: number) => T): T {
  const s = b.makeOutput([floats], 'float32');
  try {
    return fn(heapOffset(b, s, kernel));
  } finally {
    b.disposeData(s.dataId, true);
  }
}

/** The named inputs of a kernel call, each required. */
export function requireInputs<K extends string>(
  kernel: string,
  inputs: tf.NamedTensorInfoMap,
  names: readonly K[],
): Record<K, tf.TensorInfo> {
  const out = {} as Record<K, tf.TensorInfo>;
  for (const n of names) {
    const t = inputs[n];
    if (!t) throw new Error(`${kernel}: input "${n}" is missing`);
    out[n] = t;
  }
  return out;
}
