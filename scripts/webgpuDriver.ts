// The software Vulkan driver for machines without a GPU (CI, development): lavapipe from Mesa 25,
// fetched by scripts/setup-webgpu-driver.sh into <repo>/.cache/webgpu-driver (git-ignored).
// Tests and the benchmark scripts call useCachedSoftwareDriver() before WebGPU starts; the
// trainer itself never does (a user's machine takes the drivers it has, or VK_ICD_FILENAMES).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const DRIVER_DIR = path.join('.cache', 'webgpu-driver');
export const DRIVER_ICD = 'lvp_icd.json';
export const SETUP_SCRIPT = 'scripts/setup-webgpu-driver.sh';

export type DriverChoice =
  { kind: 'env'; detail: string } | { kind: 'cached'; icd: string; detail: string } | { kind: 'none'; detail: string };

/**
 * Points the Vulkan loader at the cached lavapipe (VK_ICD_FILENAMES) unless the environment
 * already chose drivers. Must run before Dawn creates its instance (the loader reads the
 * variables then). Returns what was chosen, for messages.
 */
export function useCachedSoftwareDriver(repoRoot: string, env: NodeJS.ProcessEnv = process.env): DriverChoice {
  if (process.platform === 'linux' && !env.XDG_RUNTIME_DIR) env.XDG_RUNTIME_DIR = os.tmpdir();
  const set = ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES'].find((k) => env[k]);
  if (set) return { kind: 'env', detail: `${set}=${env[set]}` };
  const icd = path.join(repoRoot, DRIVER_DIR, DRIVER_ICD);
  if (!fs.existsSync(icd)) return { kind: 'none', detail: `no software driver at ${icd} (run ${SETUP_SCRIPT})` };
  env.VK_ICD_FILENAMES = icd;
  let version = 'lavapipe';
  try {
    version = fs.readFileSync(path.join(repoRoot, DRIVER_DIR, 'version'), 'utf8').trim();
  } catch {
    // an older cache without the version file
  }
  return { kind: 'cached', icd, detail: `${version}, VK_ICD_FILENAMES=${icd}` };
}
