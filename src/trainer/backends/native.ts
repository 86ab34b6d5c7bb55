// The optional native packages @tensorflow/tfjs-node-gpu and @tensorflow/tfjs-node: never
// bundled (they carry a platform-specific addon and libtensorflow), resolved at run time from
// the folder named by GPACO_NATIVE_MODULES, the workspace (cwd), or the trainer's own folder.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setBackendOrThrow } from './activate';
import { type ActivatedBackend, type BackendProvider, BackendUnavailable, type ProviderContext } from './types';

/** Where optional native packages are looked for, in order, without duplicates. */
export function nativeSearchDirs(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), ownDir = __dirname): string[] {
  const dirs: string[] = [];
  const fromEnv = env.GPACO_NATIVE_MODULES;
  if (fromEnv) for (const d of fromEnv.split(path.delimiter)) if (d) dirs.push(path.resolve(d));
  dirs.push(cwd, ownDir);
  return [...new Set(dirs)];
}

const INSTALL_HINT = {
  '@tensorflow/tfjs-node-gpu':
    'install it with `npm install @tensorflow/tfjs-node-gpu@4.22.0` in the workspace or in a folder named by GPACO_NATIVE_MODULES; ' +
    'it needs Linux x86_64 or Windows x64, an NVIDIA driver >= 450, CUDA 11.2 and cuDNN 8.1 on the library path, and network access to ' +
    'storage.googleapis.com at install time (or a mirror via TFJS_NODE_CDN_STORAGE / TFJS_NODE_BASE_URI)',
  '@tensorflow/tfjs-node':
    'install it with `npm install @tensorflow/tfjs-node@4.22.0` in the workspace or in a folder named by GPACO_NATIVE_MODULES; ' +
    'its install script downloads libtensorflow 2.9.1 from storage.googleapis.com (or a mirror via TFJS_NODE_CDN_STORAGE / TFJS_NODE_BASE_URI)',
} as const;

type NativePackage = keyof typeof INSTALL_HINT;

/** Resolves the package's entry file from the first search folder that has it. */
export function resolveNative(pkg: NativePackage, searchDirs: readonly string[]): string {
  for (const dir of searchDirs) {
    if (!fs.existsSync(dir)) continue;
    try {
      return createRequire(path.join(dir, '__gpaco_resolve__.js')).resolve(pkg);
    } catch {
      // not in this folder
    }
  }
  throw new BackendUnavailable(`${pkg} is not installed (looked in: ${searchDirs.join(', ')})`, INSTALL_HINT[pkg]);
}

function loadNative(pkg: NativePackage, ctx: ProviderContext): void {
  const entry = resolveNative(pkg, ctx.searchDirs);
  try {
    createRequire(entry)(entry);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/tfjs_binding\.node/.test(msg)) {
      throw new BackendUnavailable(
        `${pkg} is installed at ${entry} but its native addon is missing (its install script failed)`,
        INSTALL_HINT[pkg],
      );
    }
    if (/lib(tensorflow|cudart|cublas|cudnn)[\w.]*\.so/.test(msg)) {
      throw new BackendUnavailable(`${pkg} could not load a native library: ${msg.split('\n')[0]}`, INSTALL_HINT[pkg]);
    }
    throw new BackendUnavailable(`${pkg} failed to load: ${msg.split('\n')[0]}`, INSTALL_HINT[pkg]);
  }
  if (tf.findBackend('tensorflow') == null && tf.findBackendFactory('tensorflow') == null) {
    throw new BackendUnavailable(
      `${pkg} loaded but registered no "tensorflow" backend (a different @tensorflow/tfjs-core version?)`,
      INSTALL_HINT[pkg],
    );
  }
}

/** The node backend exposes whether libtensorflow created a GPU device. */
function usesGpu(): boolean | undefined {
  const b = tf.backend() as unknown as { isUsingGpuDevice?: unknown };
  return typeof b.isUsingGpuDevice === 'boolean' ? b.isUsingGpuDevice : undefined;
}

export const tensorflowGpuProvider: BackendProvider = {
  id: 'tensorflow-gpu',
  async activate(ctx): Promise<ActivatedBackend> {
    loadNative('@tensorflow/tfjs-node-gpu', ctx);
    await setBackendOrThrow('tensorflow');
    const gpu = usesGpu();
    if (gpu === false) {
      // TensorFlow falls back to the CPU when CUDA libraries are missing: say so.
      throw new BackendUnavailable(
        '@tensorflow/tfjs-node-gpu loaded but TensorFlow created no GPU device (CUDA 11.2 / cuDNN 8.1 libraries not found, or no NVIDIA GPU)',
        INSTALL_HINT['@tensorflow/tfjs-node-gpu'],
      );
    }
    return {
      tfjsName: 'tensorflow',
      detail: `tensorflow-gpu (libtensorflow, CUDA${gpu === undefined ? ', GPU device not verified' : ''})`,
    };
  },
};

export const tensorflowCpuProvider: BackendProvider = {
  id: 'tensorflow',
  async activate(ctx): Promise<ActivatedBackend> {
    loadNative('@tensorflow/tfjs-node', ctx);
    await setBackendOrThrow('tensorflow');
    return { tfjsName: 'tensorflow', detail: 'tensorflow (native libtensorflow, CPU)' };
  },
};
