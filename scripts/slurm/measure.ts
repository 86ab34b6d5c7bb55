// Figures of the Slurm launcher on the test cluster (docs/architecture.md, Test layers), printed, not asserted:
//   1. time from submit (sbatch called) to the run's first metrics line, for a tiny run, against
//      the same config started as a local child process in the same session (the baseline);
//   2. status calls the follower makes per minute per job while following, with its defaults.
// Usage: npx tsx scripts/slurm/measure.ts [--runs N] [--seconds S] [--jobs J]
// Needs a running test cluster (scripts/slurm/start-slurm.sh /tmp/gpaco-slurm; SLURM_CONF) and
// a built dist/trainer.js.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateConfig } from '../../src/core/config/validate';
import type { Config } from '../../src/core/config/schema';
import { createRunDirectory, readRunManifest, runPaths } from '../../src/core/runDirectory';
import { SlurmClient } from '../../src/core/slurm/exec';
import { SlurmFollower } from '../../src/core/slurm/follow';
import { cancelRun, submitRun } from '../../src/core/slurm/launch';

const REPO = path.resolve(__dirname, '../..');
const TRAINER = path.join(REPO, 'dist', 'trainer.js');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function config(over: Record<string, unknown> = {}): Config {
  const r = validateConfig(
    {
      data: { kind: 'synthetic', classes: 4, imageSize: 12, channels: 1, maxPerClass: 48, imbalanceFactor: 12, testPerClass: 8 },
      model: { arch: 'convnet', width: 4 },
      loss: { kind: 'balanced-softmax' },
      optim: { batchSize: 16, epochs: 1, lr: 0.05, warmupEpochs: 1 },
      launch: { kind: 'slurm', slurm: { cpus: 1, ...over } },
    },
    { checkPaths: false },
  );
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

async function firstLine(dir: string, t0: number): Promise<number> {
  const file = runPaths(dir).metrics;
  for (;;) {
    try {
      if (fs.readFileSync(file, 'utf8').includes('\n')) return (performance.now() - t0) / 1000;
    } catch {
      // not there yet
    }
    if (performance.now() - t0 > 120_000) throw new Error(`no metrics line in ${file} after 120 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const med = s[Math.floor(s.length / 2)]!;
  return `median ${med.toFixed(2)} s (min ${s[0]!.toFixed(2)}, max ${s[s.length - 1]!.toFixed(2)}, n=${s.length})`;
}

async function main(): Promise<void> {
  const conf = process.env.SLURM_CONF ?? '/tmp/gpaco-slurm/etc/slurm.conf';
  process.env.SLURM_CONF = conf;
  const ping = spawnSync('scontrol', ['ping'], { encoding: 'utf8', timeout: 15_000 });
  if (!/is UP/.test(ping.stdout ?? '')) {
    console.error(
      `no Slurm test cluster answers at SLURM_CONF=${conf}: start one with bash scripts/slurm/start-slurm.sh /tmp/gpaco-slurm (root)`,
    );
    process.exit(1);
  }
  if (!fs.existsSync(TRAINER)) throw new Error(`${TRAINER} is missing: npm run build`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-measure-'));
  const runs = arg('runs', 3);
  try {
    // 1. submit -> first metrics line, and the local baseline in the same session
    const local: number[] = [];
    const slurm: number[] = [];
    const client = new SlurmClient();
    for (let i = 0; i < runs; i++) {
      const ld = createRunDirectory(root, { config: config(), name: `local-${i}`, launch: { kind: 'local' } }).dir;
      const t0 = performance.now();
      const log = fs.openSync(runPaths(ld).log, 'a');
      const child = spawn(process.execPath, [TRAINER, 'run', ld], { stdio: ['ignore', log, log] });
      fs.closeSync(log);
      local.push(await firstLine(ld, t0));
      await new Promise((r) => child.once('exit', r));

      const sd = createRunDirectory(root, { config: config(), name: `slurm-${i}`, launch: { kind: 'slurm', jobId: null } }).dir;
      const t1 = performance.now();
      const s = await submitRun(sd, { client, nodePath: process.execPath, trainerPath: TRAINER });
      if (!s.ok) throw new Error(s.message);
      slurm.push(await firstLine(sd, t1));
      for (let k = 0; k < 600 && readRunManifest(sd).status !== 'completed'; k++) await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`[figure] first metrics line, local child process: ${stats(local)}`);
    console.log(`[figure] first metrics line, Slurm job (from sbatch): ${stats(slurm)}`);
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `[figure] Slurm overhead to the first metrics line: +${(med(slurm) - med(local)).toFixed(2)} s (x${(med(slurm) / med(local)).toFixed(2)} of local)`,
    );

    // 2. status calls while following J jobs for S seconds with the defaults (15 s polls after
    //    a few quick ones following the submit). Pending-forever jobs: no CPU is used.
    const seconds = arg('seconds', 60);
    const jobs = arg('jobs', 3);
    const c2 = new SlurmClient();
    const dirs: string[] = [];
    for (let i = 0; i < jobs; i++) {
      const d = createRunDirectory(root, {
        config: config({ cpus: 99 }),
        name: `pending-${i}`,
        launch: { kind: 'slurm', jobId: null },
      }).dir;
      const s = await submitRun(d, { client: c2, nodePath: process.execPath, trainerPath: TRAINER });
      if (!s.ok) throw new Error(s.message);
      dirs.push(d);
    }
    const follower = new SlurmFollower(c2);
    const calls: { t: number; program: string }[] = [];
    c2.onCall((r) => {
      if (r.program !== 'scancel' && r.program !== 'sbatch') calls.push({ t: performance.now(), program: r.program });
    });
    const t0 = performance.now();
    for (const d of dirs) follower.track(d, { soon: true });
    await new Promise((r) => setTimeout(r, seconds * 1000));
    follower.dispose();
    const perMin = (calls.length / seconds) * 60;
    // Steady state: the mean gap between polls once the quick ones after the submit are over.
    const steady = calls.filter((c) => c.t - t0 > 16_000).map((c) => c.t);
    const gaps = steady.slice(1).map((t, i) => t - steady[i]!);
    const steadyMin = gaps.length ? 60_000 / (gaps.reduce((a, b) => a + b, 0) / gaps.length) : NaN;
    console.log(
      `[figure] status calls while following ${jobs} jobs for ${seconds} s: ${calls.length} (${[...new Set(calls.map((c) => c.program))].join(', ')})`,
    );
    console.log(
      `[figure] status calls per minute per job: ${(perMin / jobs).toFixed(2)} including the quick polls after submitting; ${(steadyMin / jobs).toFixed(2)} in steady state (one batched squeue for all jobs, ${steadyMin.toFixed(1)} a minute in all; run with --seconds 60 or more)`,
    );
    for (const d of dirs) await cancelRun(d, c2, { pollMs: 200 });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
