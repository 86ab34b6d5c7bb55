// Dawn for Node (npm `webgpu`): finding the package at run time, its options, and probing an
// adapter WITHOUT creating a device, so `auto` can decline a software adapter before anything
// of TensorFlow.js's WebGPU backend is loaded (docs/architecture.md, Backends).
//
// Options (environment of the trainer; the launchers pass theirs through):
//   GPACO_WEBGPU_BACKEND  vulkan | metal | d3d12 | d3d11 | opengles | opengl   Dawn's backend
//                         (default: Dawn's choice, i.e. Vulkan / Metal / D3D12 by platform)
//   GPACO_WEBGPU_ADAPTER  a substring of the adapter name, to pick one of several GPUs
//   GPACO_WEBGPU_POWER    high-performance (default) | low-power
//   GPACO_WEBGPU_DAWN_OPTIONS  further comma-separated Dawn options, passed as they are
//                         (e.g. enable-dawn-features=...; see the `webgpu` package README)
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BackendUnavailable } from './types';

export const DAWN_BACKENDS = ['vulkan', 'metal', 'd3d12', 'd3d11', 'opengles', 'opengl'] as const;
export type DawnBackend = (typeof DAWN_BACKENDS)[number];

export interface WebgpuOptions {
  backend?: DawnBackend;
  adapter?: string;
  powerPreference: 'high-performance' | 'low-power';
  extra: string[];
}

/** Reads the GPACO_WEBGPU_* variables; a wrong value is an error naming the variable. */
export function webgpuOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): WebgpuOptions {
  const backend = env.GPACO_WEBGPU_BACKEND?.trim().toLowerCase();
  if (backend && !(DAWN_BACKENDS as readonly string[]).includes(backend)) {
    throw new BackendUnavailable(`GPACO_WEBGPU_BACKEND="${env.GPACO_WEBGPU_BACKEND}" is not one of ${DAWN_BACKENDS.join(', ')}`);
  }
  const power = env.GPACO_WEBGPU_POWER?.trim() || 'high-performance';
  if (power !== 'high-performance' && power !== 'low-power') {
    throw new BackendUnavailable(`GPACO_WEBGPU_POWER="${power}" is not high-performance or low-power`);
  }
  const adapter = env.GPACO_WEBGPU_ADAPTER?.trim();
  return {
    ...(backend ? { backend: backend as DawnBackend } : {}),
    ...(adapter ? { adapter } : {}),
    powerPreference: power,
    extra: (env.GPACO_WEBGPU_DAWN_OPTIONS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

/** The strings handed to Dawn's create(). */
export function dawnCreateOptions(o: WebgpuOptions): string[] {
  return [...(o.backend ? [`backend=${o.backend}`] : []), ...(o.adapter ? [`adapter=${o.adapter}`] : []), ...o.extra];
}

/** Dawn's GL backends only offer "compatibility" adapters (WebGPU compat mode). */
export function needsCompatibilityMode(o: WebgpuOptions): boolean {
  return o.backend === 'opengles' || o.backend === 'opengl';
}

// The few WebGPU API shapes used here (the full types live in @webgpu/types; keeping them out
// of the project's global type space).
export interface GpuAdapterInfo {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}
export interface GpuLimits {
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
}
export interface GpuAdapter {
  readonly info?: GpuAdapterInfo;
  readonly isFallbackAdapter?: boolean;
  readonly limits: GpuLimits;
  readonly features: ReadonlySet<string>;
}
export interface Gpu {
  requestAdapter(options?: Record<string, unknown>): Promise<GpuAdapter | null>;
  getPreferredCanvasFormat(): string;
  readonly wgslLanguageFeatures?: unknown;
}
interface DawnModule {
  create(options: string[]): Gpu;
  globals: Record<string, unknown>;
}

export const WEBGPU_INSTALL_HINT =
  'the `webgpu` package ships with the extension (node_modules/webgpu); for a trainer run from elsewhere, `npm install webgpu@0.6.2` ' +
  'in the workspace or in the folder named by GPACO_NATIVE_MODULES (gpaco.nativeModulesPath)';

/** Loads Dawn's Node bindings from the first search folder that has the package. */
export async function loadDawn(searchDirs: readonly string[]): Promise<{ module: DawnModule; entry: string }> {
  let entry: string | null = null;
  for (const dir of searchDirs) {
    if (!fs.existsSync(dir)) continue;
    try {
      entry = createRequire(path.join(dir, '__gpaco_resolve__.js')).resolve('webgpu');
      break;
    } catch {
      // not in this folder
    }
  }
  if (!entry)
    throw new BackendUnavailable(`the webgpu package is not installed (looked in: ${searchDirs.join(', ')})`, WEBGPU_INSTALL_HINT);
  let mod: unknown;
  try {
    // An ES module: import() works from the CommonJS bundle on every Node >= 20.
    mod = await import(pathToFileURL(entry).href);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    const hint = /GLIBC|GLIBCXX/.test(msg)
      ? 'Dawn for Linux needs glibc >= 2.34 and libstdc++ from GCC 12 (Debian 12, Ubuntu 22.04 or newer)'
      : /dawn\.node|Cannot find module/.test(msg)
        ? `the webgpu package has no binary for ${process.platform}-${process.arch} (a platform-specific extension package for another platform?)`
        : WEBGPU_INSTALL_HINT;
    throw new BackendUnavailable(`the webgpu package at ${entry} failed to load: ${msg}`, hint);
  }
  const m = mod as Partial<DawnModule>;
  if (typeof m.create !== 'function' || typeof m.globals !== 'object' || m.globals === null) {
    throw new BackendUnavailable(`the webgpu package at ${entry} does not export create() and globals`, WEBGPU_INSTALL_HINT);
  }
  return { module: m as DawnModule, entry };
}

/** What the trainer records about an adapter (run.json backendInfo.adapter and the log). */
export interface AdapterFacts {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (lavapipe / llvmpipe, SwiftShader, WARP...) rather than a GPU. */
  emulated: boolean;
  /** Why it counts as emulated (empty when it does not). */
  emulationReason: string;
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number };
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic render|\bwarp\b/i;

export function describeAdapter(adapter: GpuAdapter): AdapterFacts {
  const info = adapter.info ?? {};
  const facts = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
  };
  const reasons: string[] = [];
  if (info.isFallbackAdapter === true || adapter.isFallbackAdapter === true) reasons.push('Dawn reports a fallback adapter');
  if (/^(software|swiftshader)$/i.test(facts.architecture)) reasons.push(`architecture "${facts.architecture}"`);
  const named = [facts.vendor, facts.device, facts.description].find((s) => SOFTWARE_NAMES.test(s));
  if (named) reasons.push(`"${named}" is a CPU implementation`);
  return {
    ...facts,
    emulated: reasons.length > 0,
    emulationReason: reasons.join('; '),
    limits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize },
  };
}

/** One line for the log, e.g. `mesa software "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)"`. */
export function adapterLabel(f: AdapterFacts): string {
  const name = f.description || f.device || 'unnamed adapter';
  return `${[f.vendor, f.architecture].filter(Boolean).join(' ') || 'unknown vendor'} "${name}"`;
}

/** The Vulkan loader and ICD variables that decide which drivers Dawn sees (for messages). */
export function driverEnvSummary(env: NodeJS.ProcessEnv = process.env): string {
  const keys = ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_ADD_DRIVER_FILES'].filter((k) => env[k]);
  return keys.length ? keys.map((k) => `${k}=${env[k]}`).join(' ') : 'no VK_ICD_FILENAMES / VK_DRIVER_FILES set';
}

/**
 * Linux: the Vulkan driver manifests (ICD files) the loader would find, or the variables that
 * name them. Without any, Dawn's Vulkan backend cannot find an adapter; checking first avoids
 * loading Dawn (and its "Found no drivers" warnings in the log) on machines without Vulkan.
 */
export function vulkanDriverManifests(
  env: NodeJS.ProcessEnv = process.env,
  system: { etc: string; share: string } = { etc: '/etc', share: '/usr/share' },
): { found: boolean; where: string } {
  const named = ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_ADD_DRIVER_FILES'].find((k) => env[k]);
  if (named) return { found: true, where: `${named}=${env[named]}` };
  const data = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':').filter(Boolean);
  const config = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':').filter(Boolean);
  // The loader's own search order: XDG_CONFIG_HOME, XDG_CONFIG_DIRS, /etc, XDG_DATA_HOME, XDG_DATA_DIRS.
  const configHome = env.XDG_CONFIG_HOME || (env.HOME ? path.join(env.HOME, '.config') : null);
  const dataHome = env.XDG_DATA_HOME || (env.HOME ? path.join(env.HOME, '.local/share') : null);
  const roots = [configHome, ...config, system.etc, dataHome, ...data, system.share].filter((d): d is string => !!d);
  const dirs = [...new Set(roots.map((d) => path.join(d, 'vulkan', 'icd.d')))];
  for (const d of dirs) {
    try {
      if (fs.readdirSync(d).some((f) => f.endsWith('.json'))) return { found: true, where: d };
    } catch {
      // no such folder
    }
  }
  return { found: false, where: dirs.join(', ') };
}

/** Why no adapter came back, with what to check (Linux: the Vulkan loader and a driver). */
export function noAdapterHint(o: WebgpuOptions): string {
  const parts: string[] = [];
  if (process.platform === 'linux') {
    const loader = [
      '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
      '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
      '/usr/lib64/libvulkan.so.1',
      '/usr/lib/libvulkan.so.1',
    ].some((p) => fs.existsSync(p));
    if (!loader && !needsCompatibilityMode(o))
      parts.push('the Vulkan loader libvulkan.so.1 is not installed (Debian/Ubuntu: apt-get install libvulkan1)');
    parts.push(
      'install the GPU vendor\u2019s Vulkan driver (NVIDIA: the proprietary driver; AMD / Intel: Mesa radv / anv, package mesa-vulkan-drivers)',
    );
    parts.push(`check \`vulkaninfo --summary\` (package vulkan-tools); ${driverEnvSummary()}`);
  } else if (process.platform === 'darwin') {
    parts.push('Metal needs macOS 11 or newer on a Mac with a Metal GPU');
  } else if (process.platform === 'win32') {
    parts.push('D3D12 needs Windows 10 or newer and a current GPU driver');
  }
  if (o.adapter) parts.push(`GPACO_WEBGPU_ADAPTER="${o.adapter}" matches no adapter (unset it to see what Dawn offers)`);
  if (o.backend) parts.push(`GPACO_WEBGPU_BACKEND=${o.backend} is set`);
  return parts.join('; ');
}
