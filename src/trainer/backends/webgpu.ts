// The WebGPU backend: TensorFlow.js's WebGPU kernels on Dawn's Node bindings (npm `webgpu`),
// so any Vulkan / Metal / D3D12 GPU trains without CUDA (docs/architecture.md, Backends).
//
// - Loaded lazily, in the trainer only: Dawn is probed for an adapter first; only then is
//   navigator.gpu defined and @tensorflow/tfjs-backend-webgpu imported (it registers itself
//   only if navigator.gpu exists at import time).
// - `auto` takes it only on a hardware adapter. A software adapter (lavapipe / llvmpipe,
//   SwiftShader: Dawn's fallback adapters) is used only when "webgpu" is named, and is then
//   reported as emulation in the log and in run.json (backendInfo.adapter.emulated).
// - GPU errors and device loss are fatal (webgpuGuard.ts); sizes over the device limits are
//   refused before training (webgpuLimits.ts, called by the trainer with the device limits
//   returned here).
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { setBackendOrThrow } from './activate';
import { type ActivatedBackend, type BackendProvider, BackendUnavailable, type ProviderContext } from './types';
import {
  type AdapterFacts,
  type Gpu,
  type GpuAdapter,
  adapterLabel,
  dawnCreateOptions,
  describeAdapter,
  loadDawn,
  needsCompatibilityMode,
  noAdapterHint,
  vulkanDriverManifests,
  webgpuOptionsFromEnv,
} from './webgpuAdapter';
import { type GuardedBackend, WebgpuGuard } from './webgpuGuard';

interface Active {
  facts: AdapterFacts;
  guard: WebgpuGuard;
  activated: ActivatedBackend;
}

/** The process-wide WebGPU state (tfjs's backend registry is process-wide too). */
let active: Active | null = null;

function quietLoaderEnv(o: ReturnType<typeof webgpuOptionsFromEnv>): void {
  // The Vulkan loader's layers complain "XDG_RUNTIME_DIR is invalid or not set" without it.
  if (process.platform === 'linux' && !process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = os.tmpdir();
  // Dawn's GL backends need an EGL platform; without a display only "surfaceless" works.
  if (needsCompatibilityMode(o) && !process.env.EGL_PLATFORM && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY)
    process.env.EGL_PLATFORM = 'surfaceless';
}

async function probeAdapter(gpu: Gpu, o: ReturnType<typeof webgpuOptionsFromEnv>): Promise<GpuAdapter> {
  let adapter: GpuAdapter | null;
  try {
    adapter = await gpu.requestAdapter({
      powerPreference: o.powerPreference,
      ...(needsCompatibilityMode(o) ? { featureLevel: 'compatibility' } : {}),
    });
  } catch (e) {
    // e.g. "unrecognised backend 'foo'" or "no suitable backends found" with the list of adapters
    throw new BackendUnavailable(
      `Dawn could not look for an adapter: ${e instanceof Error ? e.message.split('\n').slice(0, 4).join(' ') : String(e)}`,
      noAdapterHint(o),
    );
  }
  if (!adapter) throw new BackendUnavailable('no WebGPU adapter found', noAdapterHint(o));
  return adapter;
}

/** navigator.gpu for tfjs: hands out the adapter that was probed (tfjs asks for one once). */
function defineNavigatorGpu(gpu: Gpu, adapter: GpuAdapter): void {
  const navGpu = {
    requestAdapter: () => Promise.resolve(adapter),
    getPreferredCanvasFormat: () => gpu.getPreferredCanvasFormat(),
    get wgslLanguageFeatures() {
      return gpu.wgslLanguageFeatures;
    },
    // Keeps Dawn's instance alive as long as navigator.gpu is defined.
    instance: gpu,
  };
  const prior = (globalThis as { navigator?: object }).navigator;
  // Node >= 21 has a read-only global navigator: define, do not assign.
  Object.defineProperty(globalThis, 'navigator', { value: { ...(prior ?? {}), gpu: navGpu }, configurable: true, writable: true });
}

export const webgpuProvider: BackendProvider = {
  id: 'webgpu',
  async activate(ctx: ProviderContext): Promise<ActivatedBackend> {
    if (active) {
      // Already created in this process (tests switch backends): reuse the device.
      if (active.facts.emulated && ctx.auto) throw new BackendUnavailable(softwareReason(active.facts), SOFTWARE_HINT);
      await setBackendOrThrow('webgpu');
      return active.activated;
    }
    const o = webgpuOptionsFromEnv();
    if (process.platform === 'linux' && !needsCompatibilityMode(o)) {
      const icd = vulkanDriverManifests();
      if (!icd.found)
        throw new BackendUnavailable(
          `no Vulkan driver is installed (no driver manifest in ${icd.where}; VK_ICD_FILENAMES can name one)`,
          noAdapterHint(o),
        );
    }
    quietLoaderEnv(o);
    const { module: dawn } = await loadDawn(ctx.searchDirs);
    let gpu: Gpu;
    try {
      gpu = dawn.create(dawnCreateOptions(o));
    } catch (e) {
      throw new BackendUnavailable(
        `Dawn rejected its options (${dawnCreateOptions(o).join(' ') || 'none'}): ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    const adapter = await probeAdapter(gpu, o);
    const facts = describeAdapter(adapter);
    if (facts.emulated && ctx.auto) throw new BackendUnavailable(softwareReason(facts), SOFTWARE_HINT);

    // Only now: the globals tfjs-webgpu uses (GPUBufferUsage, GPUMapMode, ...), navigator.gpu,
    // then the backend module, which registers 'webgpu' on import.
    Object.assign(globalThis, dawn.globals);
    defineNavigatorGpu(gpu, adapter);
    await import('@tensorflow/tfjs-backend-webgpu');
    if (tf.findBackendFactory('webgpu') == null) {
      throw new BackendUnavailable(
        '@tensorflow/tfjs-backend-webgpu registered no "webgpu" backend (was it imported before navigator.gpu was defined?)',
      );
    }
    await setBackendOrThrow('webgpu');
    const backend = tf.backend() as unknown as GuardedBackend;
    const guard = new WebgpuGuard(backend);
    const limits = backend.device.limits;
    const name = adapterLabel(facts);
    const activated: ActivatedBackend = {
      tfjsName: 'webgpu',
      detail: facts.emulated
        ? `webgpu on ${name} (SOFTWARE EMULATION on the CPU, not a GPU)`
        : `webgpu on ${name}${o.backend ? ` (Dawn backend ${o.backend})` : ''}`,
      adapter: {
        vendor: facts.vendor,
        architecture: facts.architecture,
        description: facts.description || facts.device,
        emulated: facts.emulated,
      },
      gpuLimits: { maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize, maxBufferSize: limits.maxBufferSize },
    };
    active = { facts, guard, activated };
    return activated;
  },
};

const SOFTWARE_HINT =
  'set backend "webgpu" by name to use it anyway (it runs the real WebGPU kernels on the CPU: useful for tests, not for speed); ' +
  'for a real GPU install its Vulkan / Metal / D3D12 driver';

function softwareReason(f: AdapterFacts): string {
  return `only a software adapter was found: ${adapterLabel(f)} (${f.emulationReason}), which emulates a GPU on the CPU`;
}

/** The guard of the active WebGPU device (null when WebGPU is not active in this process). */
export function webgpuGuard(): WebgpuGuard | null {
  return active?.guard ?? null;
}

/**
 * Tears WebGPU down (tests; the trainer simply exits): removes the backend, destroys the device
 * and drops navigator.gpu so Dawn no longer keeps the process alive.
 */
export function releaseWebgpu(): void {
  if (!active) return;
  const backend = tf.findBackend('webgpu') as unknown as GuardedBackend | null;
  active.guard.release();
  if (tf.getBackend() === 'webgpu') {
    // Leave tfjs on a working backend.
    void tf.setBackend('cpu');
  }
  tf.removeBackend('webgpu');
  backend?.device.destroy();
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav && 'gpu' in nav) delete nav.gpu;
  active = null;
}
