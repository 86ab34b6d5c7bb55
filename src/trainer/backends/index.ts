// Backend choice (docs/architecture.md, Backends): `auto` tries tensorflow-gpu, webgpu, tensorflow (native
// CPU), wasm, cpu in that order; a named backend is used or fails with the reason. Every skipped
// backend is reported with why and how to install it. After the choice, the Conv2D gradient
// override goes in for wasm (dW and dx as forward convs) and cpu (dW as a forward conv), and wasm
// gets the trainer's own kernels (batch norm, convolution weight gradient).
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../../core/config/schema';
import { registerWasmKernels } from '../kernels';
import { installConvGradient, restoreStockConvGradient } from './convGradient';
import { nativeSearchDirs, tensorflowCpuProvider, tensorflowGpuProvider } from './native';
import { AUTO_ORDER, type BackendAttempt, type BackendId, type BackendProvider, BackendUnavailable, type SelectedBackend } from './types';
import { cpuProvider, wasmProvider } from './wasm';
import { webgpuProvider } from './webgpu';

export const PROVIDERS: Readonly<Record<BackendId, BackendProvider>> = {
  'tensorflow-gpu': tensorflowGpuProvider,
  webgpu: webgpuProvider,
  tensorflow: tensorflowCpuProvider,
  wasm: wasmProvider,
  cpu: cpuProvider,
};

export interface SelectOptions {
  /** Folders searched for native packages (default nativeSearchDirs()). */
  searchDirs?: readonly string[];
  /**
   * Backends made to fail on purpose (tests of the fallback). Default: the comma-separated
   * env GPACO_FAIL_BACKENDS.
   */
  failBackends?: readonly string[];
  /** Called once per skipped backend, as it happens. */
  onSkip?: (attempt: BackendAttempt) => void;
}

/** Thrown when no backend (or not the one named) could be activated. */
export class NoBackendError extends Error {
  constructor(
    message: string,
    readonly attempts: BackendAttempt[],
  ) {
    super(message);
    this.name = 'NoBackendError';
  }
}

export function describeAttempt(a: BackendAttempt): string {
  return a.ok ? `${a.id}: ok` : `${a.id}: skipped, ${a.reason ?? 'unknown reason'}${a.hint ? ` (${a.hint})` : ''}`;
}

export async function selectBackend(requested: BackendName, opts: SelectOptions = {}): Promise<SelectedBackend> {
  const order: readonly BackendId[] = requested === 'auto' ? AUTO_ORDER : [requested];
  const failing = new Set(
    opts.failBackends ??
      (process.env.GPACO_FAIL_BACKENDS ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
  );
  const ctx = { searchDirs: opts.searchDirs ?? nativeSearchDirs(), auto: requested === 'auto' };
  const attempts: BackendAttempt[] = [];
  for (const id of order) {
    try {
      if (failing.has(id)) throw new BackendUnavailable('forced failure (GPACO_FAIL_BACKENDS)');
      const activated = await PROVIDERS[id].activate(ctx);
      attempts.push({ id, ok: true });
      afterActivation(activated.tfjsName);
      return { id, ...activated, attempts };
    } catch (e) {
      const attempt: BackendAttempt = {
        id,
        ok: false,
        reason: e instanceof Error ? e.message : String(e),
        ...(e instanceof BackendUnavailable && e.hint ? { hint: e.hint } : {}),
      };
      attempts.push(attempt);
      opts.onSkip?.(attempt);
    }
  }
  const why = attempts.map(describeAttempt).join('; ');
  throw new NoBackendError(
    requested === 'auto' ? `no TensorFlow.js backend could be loaded: ${why}` : `backend "${requested}" could not be loaded: ${why}`,
    attempts,
  );
}

function afterActivation(tfjsName: string): void {
  if (tfjsName === 'wasm') {
    installConvGradient('conv');
    registerWasmKernels();
  } else if (tfjsName === 'cpu') installConvGradient('native');
  // webgpu / tensorflow have both conv gradient kernels: tfjs's own gradient (a process that
  // switched backends, e.g. the agreement tests, must not keep another backend's override).
  else restoreStockConvGradient();
  // From here on tfjs's own console chatter (e.g. the cpu backend's "install tfjs-node" banner)
  // is noise in trainer.log; errors still throw.
  tf.enableProdMode();
}

export { AUTO_ORDER, BackendUnavailable, type BackendAttempt, type BackendId, type BackendProvider, type SelectedBackend } from './types';
export { wasmHeapBytes } from './wasm';
export { nativeSearchDirs } from './native';
