// The real single-node Slurm cluster of the slurm test layer (scripts/slurm/start-slurm.sh:
// Debian's Slurm 22.05 on 127.0.0.1, every file under one folder). scripts/test.mjs (or
// .ci/run) starts it and exports SLURM_CONF; a test file run on its own starts it here.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
export const CLUSTER_DIR = process.env.GPACO_SLURM_DIR ?? '/tmp/gpaco-slurm';
const START = path.join(ROOT, 'scripts/slurm/start-slurm.sh');

export function clusterConf(dir = CLUSTER_DIR): string {
  return path.join(dir, 'etc', 'slurm.conf');
}

/** True when the controller of `conf` answers. */
export function controllerUp(conf: string): boolean {
  const r = spawnSync('scontrol', ['ping'], { env: { ...process.env, SLURM_CONF: conf }, encoding: 'utf8', timeout: 15_000 });
  return r.status === 0 && /is UP/.test(r.stdout);
}

/** Makes sure a test cluster answers and SLURM_CONF points at it (starting it when needed: root only). */
export function ensureCluster(): string {
  const given = process.env.SLURM_CONF;
  if (given && controllerUp(given)) return given;
  const conf = clusterConf();
  if (!(fs.existsSync(conf) && controllerUp(conf))) {
    if (process.getuid?.() !== 0) {
      throw new Error(
        `no Slurm test cluster: run the tests as root (scripts/slurm/start-slurm.sh installs and starts one in ${CLUSTER_DIR}), or export SLURM_CONF of a running one`,
      );
    }
    const r = spawnSync('bash', [START, CLUSTER_DIR], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000 });
    if (r.status !== 0) throw new Error(`scripts/slurm/start-slurm.sh ${CLUSTER_DIR} failed (exit ${r.status})`);
  }
  process.env.SLURM_CONF = conf;
  return conf;
}

function pidOf(conf: string, file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(path.dirname(path.dirname(conf)), 'run', file), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Stops slurmctld only (by its pid file): jobs keep running under slurmd, clients time out. */
export async function stopController(conf: string): Promise<void> {
  const pid = pidOf(conf, 'slurmctld.pid');
  if (pid === undefined) throw new Error('slurmctld has no pid file');
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error(`slurmctld ${pid} did not stop`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts whatever daemon is missing again (start-slurm.sh is idempotent). */
export function startController(conf: string): void {
  const dir = path.dirname(path.dirname(conf));
  const r = spawnSync('bash', [START, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 120_000,
    env: { ...process.env, SLURM_TEST_NO_APT: '1' },
  });
  if (r.status !== 0) throw new Error(`restarting the cluster failed (exit ${r.status})`);
}
