// What the test layers need from the machine, made present before they run (`npm test` calls
// this through scripts/test.mjs; `node scripts/setup.mjs [LAYER ...]` runs it alone):
//   1. Debian packages: checked with one dpkg-query; missing ones are installed (apt-get update
//      first) when running as root or with passwordless sudo, otherwise it stops with the exact
//      command to run.
//   2. The software WebGPU driver (lavapipe) for the trainer layer: scripts/setup-webgpu-driver.sh,
//      only when the cached one is missing.
//   3. The Slurm test cluster for the slurm and exthost layers when SLURM_CONF names no running
//      one: started here (scripts/slurm/start-slurm.sh) and stopped by `teardown()`.
// Idempotent; with everything present it takes about 0.1 s (printed; most of it `scontrol ping`).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const SLURM = ['slurmctld', 'slurmd', 'slurm-client', 'munge'];
const CODE_SERVER = ['chromium', 'libkrb5-dev', 'pkg-config', 'ripgrep'];
/** Debian packages per test layer (why: docs/architecture.md, Test layers). */
export const LAYER_PACKAGES = {
  static: [],
  // real Fashion-MNIST; python3 reads back the TensorBoard files the exporter writes
  unit: ['dataset-fashion-mnist', 'python3'],
  python: ['python3', 'python3-torch'],
  // the Vulkan loader and the LLVM that the software WebGPU driver needs; PyTorch for the parity twin
  trainer: ['dataset-fashion-mnist', 'libvulkan1', 'libllvm15', 'python3', 'python3-torch'],
  // real VS Code (code-server: its native modules and ripgrep) in real Chromium; a Slurm suite
  exthost: [...CODE_SERVER, ...SLURM, 'python3', 'python3-torch'],
  ui: [...CODE_SERVER],
  // python3: a command run (the Python writer) as a Slurm job
  slurm: [...SLURM, 'python3'],
};

const SLURM_DIR = process.env.GPACO_SLURM_DIR || '/tmp/gpaco-slurm';

function say(line) {
  console.log(`[setup] ${line}`);
}

/** Packages of `wanted` that dpkg does not list as installed (undefined: not a dpkg system). */
function missingPackages(wanted) {
  if (wanted.length === 0) return [];
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\\n', ...wanted], { encoding: 'utf8' });
  if (r.error) return undefined;
  const installed = new Set(
    r.stdout
      .split('\n')
      .filter((l) => l.endsWith(' installed'))
      .map((l) => l.split(' ')[0]),
  );
  return wanted.filter((p) => !installed.has(p));
}

/** How to run a command as root here: [] (we are root), ['sudo', '-n'], or undefined (we cannot). */
function asRoot() {
  if (process.getuid?.() === 0) return [];
  const r = spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' });
  return r.status === 0 ? ['sudo', '-n'] : undefined;
}

function runAsRoot(prefix, argv, env = {}) {
  const [cmd, ...args] = [...prefix, ...argv];
  return spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
}

function installPackages(missing) {
  const command = `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const prefix = asRoot();
  if (!prefix) {
    return { ok: false, message: `missing Debian packages: ${missing.join(', ')}. Install them with:\n  ${command}` };
  }
  say(`installing ${missing.join(' ')} (apt-get update first)`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const envArgs = prefix.length ? ['env', 'DEBIAN_FRONTEND=noninteractive'] : [];
  if (runAsRoot(prefix, [...envArgs, 'apt-get', '-o', 'DPkg::Lock::Timeout=600', 'update', '-qq'], env).status !== 0) {
    return { ok: false, message: `apt-get update failed; run:\n  ${command}` };
  }
  const r = runAsRoot(
    prefix,
    [...envArgs, 'apt-get', '-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-qq', '--no-install-recommends', ...missing],
    env,
  );
  return r.status === 0 ? { ok: true } : { ok: false, message: `apt-get install failed; run:\n  ${command}` };
}

/** The cached lavapipe is complete (the same test as scripts/setup-webgpu-driver.sh, without bash). */
function webgpuDriverCached() {
  const icd = path.join(root, '.cache', 'webgpu-driver', 'lvp_icd.json');
  try {
    const lib = JSON.parse(fs.readFileSync(icd, 'utf8'))?.ICD?.library_path;
    return typeof lib === 'string' && fs.existsSync(lib);
  } catch {
    return false;
  }
}

function slurmUp(conf) {
  const r = spawnSync('scontrol', ['ping'], { env: { ...process.env, SLURM_CONF: conf }, encoding: 'utf8', timeout: 15_000 });
  return r.status === 0 && /is UP/.test(r.stdout ?? '');
}

/**
 * Makes what `layers` need present. Returns { ok, message?, env, teardown }: `env` holds variables
 * for the layers (SLURM_CONF), `teardown()` stops what was started here.
 */
export function setup(layers) {
  const t0 = performance.now();
  const env = {};
  const stops = [];
  const teardown = () => stops.forEach((f) => f());
  const fail = (message) => ({ ok: false, message, env, teardown });

  const wanted = [...new Set(layers.flatMap((l) => LAYER_PACKAGES[l] ?? []))].sort();
  const missing = missingPackages(wanted);
  if (missing === undefined) {
    say(`no dpkg here: make sure these (Debian names) are installed: ${wanted.join(' ')}`);
  } else if (missing.length) {
    const r = installPackages(missing);
    if (!r.ok) return fail(r.message);
  }

  if (layers.includes('trainer') && !webgpuDriverCached()) {
    say('fetching the software WebGPU driver (scripts/setup-webgpu-driver.sh)');
    const r = spawnSync('bash', ['scripts/setup-webgpu-driver.sh'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0)
      return fail('the software WebGPU driver could not be fetched (scripts/setup-webgpu-driver.sh; it needs the network once)');
  }

  if (layers.includes('slurm') || layers.includes('exthost')) {
    const given = process.env.SLURM_CONF;
    const conf = given && slurmUp(given) ? given : path.join(SLURM_DIR, 'etc', 'slurm.conf');
    if (!slurmUp(conf)) {
      const prefix = asRoot();
      if (!prefix)
        return fail(
          `the Slurm test cluster needs root to start: run\n  sudo bash scripts/slurm/start-slurm.sh ${SLURM_DIR}\nthen export SLURM_CONF=${path.join(SLURM_DIR, 'etc', 'slurm.conf')}`,
        );
      say(`starting the Slurm test cluster in ${SLURM_DIR}`);
      const r = spawnSync(
        prefix[0] ?? 'bash',
        [...prefix.slice(1), ...(prefix.length ? ['bash'] : []), 'scripts/slurm/start-slurm.sh', SLURM_DIR],
        { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
      );
      if (r.status !== 0) return fail('the Slurm test cluster could not be started (scripts/slurm/start-slurm.sh)');
      stops.push(() =>
        spawnSync(prefix[0] ?? 'bash', [...prefix.slice(1), ...(prefix.length ? ['bash'] : []), 'scripts/slurm/stop-slurm.sh', SLURM_DIR], {
          cwd: root,
          stdio: 'ignore',
        }),
      );
    }
    env.SLURM_CONF = conf;
  }
  say(`ready for ${layers.join(', ')} in ${(performance.now() - t0).toFixed(0)} ms`);
  return { ok: true, env, teardown };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const layers = process.argv.slice(2);
  const r = setup(layers.length ? layers : Object.keys(LAYER_PACKAGES));
  if (!r.ok) {
    console.error(`[setup] ${r.message}`);
    process.exit(1);
  }
  if (r.env.SLURM_CONF) console.log(`export SLURM_CONF=${r.env.SLURM_CONF}`);
}
