// Backend providers: each knows how to load and activate one TensorFlow.js backend, and says
// precisely why it could not (so the start banner can tell a user what to install).
import type { BackendName } from '../../core/config/schema';

/** A concrete backend (config `backend` minus `auto`). */
export type BackendId = Exclude<BackendName, 'auto'>;

/** `auto` tries these in order (docs/architecture.md, Backends). */
export const AUTO_ORDER: readonly BackendId[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

/** A backend that cannot be used here: `message` says why, `hint` how to make it work. */
export class BackendUnavailable extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'BackendUnavailable';
  }
}

export interface ProviderContext {
  /** Folders searched, in order, for optional native packages (see nativeSearchDirs()). */
  searchDirs: readonly string[];
  /** Chosen by `auto` rather than by name (webgpu then declines software adapters). */
  auto: boolean;
}

export interface ActivatedBackend {
  /** Name in tfjs's registry (`tensorflow` for both native packages). */
  tfjsName: string;
  /** Human-readable detail for run.json `backendInfo.detail`, e.g. "wasm (SIMD, 1 thread)". */
  detail: string;
  adapter?: { vendor?: string; architecture?: string; description?: string; emulated?: boolean };
  /** GPU backends with per-buffer limits (webgpu): checked against the configuration before training. */
  gpuLimits?: { maxStorageBufferBindingSize: number; maxBufferSize: number };
}

export interface BackendProvider {
  readonly id: BackendId;
  /**
   * Loads the backend and makes it tfjs's current one. Throws BackendUnavailable (or any error)
   * if it cannot; the selector then tries the next one and logs the reason.
   */
  activate(ctx: ProviderContext): Promise<ActivatedBackend>;
}

export interface BackendAttempt {
  id: BackendId;
  ok: boolean;
  /** Why it was skipped (ok = false). */
  reason?: string;
  hint?: string;
}

export interface SelectedBackend extends ActivatedBackend {
  id: BackendId;
  /** Every backend tried, in order, the chosen one last. */
  attempts: BackendAttempt[];
}
