// The WebAssembly backend (bundled, works offline): loads its .wasm from the folder of
// dist/trainer.js (the build copies the binaries there) or, when run from sources, from the
// package. Threads stay off: tfjs disables them in Node; the experimental shim of
// that makes threads work (scripts/wasm-threads-shim.cjs) patches Blob / URL / os.cpus globally and is not used.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { setBackendOrThrow } from './activate';
import { type ActivatedBackend, type BackendProvider, BackendUnavailable } from './types';

const WASM_FILE = 'tfjs-backend-wasm-simd.wasm';

/** The folder holding the tfjs .wasm binaries. */
export function wasmDir(ownDir = __dirname): string {
  const candidates = [ownDir];
  try {
    candidates.push(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist');
  } catch {
    // not resolvable from here (a packaged extension has only dist/)
  }
  const found = candidates.find((d) => fs.existsSync(path.join(d, WASM_FILE)));
  if (!found) {
    throw new BackendUnavailable(
      `the wasm binaries (${WASM_FILE}) are missing (looked in: ${candidates.join(', ')})`,
      'run `npm run build`, which copies them next to dist/trainer.js',
    );
  }
  return found;
}

export const wasmProvider: BackendProvider = {
  id: 'wasm',
  async activate(): Promise<ActivatedBackend> {
    setWasmPaths(wasmDir() + path.sep);
    await setBackendOrThrow('wasm');
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = getThreadsCount();
    return { tfjsName: 'wasm', detail: `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})` };
  },
};

export const cpuProvider: BackendProvider = {
  id: 'cpu',
  async activate(): Promise<ActivatedBackend> {
    await setBackendOrThrow('cpu');
    return { tfjsName: 'cpu', detail: 'cpu (plain JavaScript; slow, a last resort)' };
  },
};

/** Size of the wasm heap in bytes (its growth is the memory that counts against the 4 GiB cap). */
export function wasmHeapBytes(): number | null {
  if (tf.getBackend() !== 'wasm') return null;
  const b = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return b.wasm?.HEAPU8?.buffer.byteLength ?? null;
}
