// The CLI side of Slurm runs: submitting a run or a resume as a batch job, and
// following Slurm runs from their files plus one batched squeue per poll. Used by `gpaco train`
// and `gpaco resume` for runs whose config says `launch.kind: "slurm"`, and by `gpaco sweep`,
// `gpaco jobs` and `gpaco cancel`.
import { noteRunFolder } from './failure';
import * as path from 'node:path';
import type { Config } from '../core/config/schema';
import type { RunManifest } from '../core/contract';
import { MetricsTail } from '../core/metricsLog';
import { createRunDirectory, readRunManifest, runPaths } from '../core/runDirectory';
import { SlurmClient } from '../core/slurm/exec';
import { SlurmFollower, type RunObservation } from '../core/slurm/follow';
import { resolveExecutable, submitRun, type SlurmSubmitContext } from '../core/slurm/launch';
import { describeJob, explainPendingReason, slurmDisplayStatus, slurmLaunchOf } from '../core/slurm/states';
import { displayStatus } from '../core/catalog';
import { EXIT, type CommandContext, type OptionSpec } from './registry';
import { renderRecordLine } from './render/progress';
import { trainerScript } from './trainerProcess';

export const SLURM_INTERVAL_OPTION: OptionSpec = {
  name: 'slurm-interval',
  type: 'string',
  value: 'SECONDS',
  help: 'seconds between job-state polls (one squeue call for all jobs; default 15, env GPACO_SLURM_POLL_S)',
};
export const POLL_INTERVAL_OPTION: OptionSpec = {
  name: 'poll-interval',
  type: 'string',
  value: 'SECONDS',
  help: 'seconds between reads of the run folders (default 1); giving it means a shared file system: a finished job\u2019s end is recorded 30 intervals later (at most 60 s), once other hosts\u2019 last writes show',
};

function seconds(ctx: CommandContext, name: string, envName: string, fallback: number): number {
  const raw = ctx.string(name) ?? ctx.env[envName];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name}: "${raw}" is not a positive number of seconds`);
  return v;
}

export interface FollowTiming {
  /** squeue interval (ms). */
  slurmMs: number;
  /** Run-folder read interval (ms). */
  filesMs: number;
  /** Wait before a finished job's end is written (ms): only when files are polled slowly (shared FS). */
  settleMs: number;
}

export function followTiming(ctx: CommandContext): FollowTiming {
  const slurmMs = seconds(ctx, 'slurm-interval', 'GPACO_SLURM_POLL_S', 15) * 1000;
  const given = ctx.string('poll-interval');
  const filesMs = seconds(ctx, 'poll-interval', 'GPACO_POLL_S', 1) * 1000;
  return { slurmMs, filesMs, settleMs: given !== undefined ? Math.min(60_000, filesMs * 30) : 0 };
}

/**
 * Where the trainer runs on the compute nodes: Node = GPACO_NODE (resolved on the PATH) or
 * this very Node; the trainer = the bundle next to this CLI (or GPACO_TRAINER). Both must be
 * visible at the same absolute paths on the compute nodes.
 */
export function slurmSubmitContext(ctx: CommandContext): SlurmSubmitContext | string {
  const nodeSetting = ctx.env.GPACO_NODE?.trim();
  const nodePath = nodeSetting ? resolveExecutable(nodeSetting, ctx.env.PATH ?? '') : process.execPath;
  if (!nodePath)
    return `GPACO_NODE="${nodeSetting}" is not an executable here; give the absolute path of a Node 20.19+ that the compute nodes can run`;
  const timeoutS = Number(ctx.env.GPACO_SLURM_TIMEOUT_S ?? 20);
  const client = new SlurmClient({ env: ctx.env, timeoutMs: Number.isFinite(timeoutS) && timeoutS > 0 ? timeoutS * 1000 : 20_000 });
  const native = ctx.env.GPACO_NATIVE_MODULES?.trim();
  return { client, nodePath, trainerPath: path.resolve(trainerScript(ctx)), ...(native ? { env: { GPACO_NATIVE_MODULES: native } } : {}) };
}

/** `gpaco train` with `launch.kind: "slurm"` (options already checked by the config pipeline): makes the run, submits it. */
export async function trainOnSlurm(ctx: CommandContext, config: Config, runsDir: string, name: string | undefined): Promise<number> {
  const { io } = ctx;
  const sc = slurmSubmitContext(ctx);
  if (typeof sc === 'string') {
    io.err(`gpaco train: ${sc}`);
    return EXIT.usage;
  }
  // The run folder exists before sbatch: Slurm does not create the output folder.
  const { id, dir } = createRunDirectory(runsDir, {
    config,
    ...(name !== undefined ? { name } : {}),
    launch: { kind: 'slurm', jobId: null },
  });
  noteRunFolder(dir);
  io.out(`run ${id}`);
  io.out(`  directory ${dir}`);
  return submitAndFollow(ctx, sc, dir, 'start');
}

/** `gpaco resume` of a Slurm run: resubmits it (its batch script continues from the latest checkpoint). */
export async function resumeOnSlurm(ctx: CommandContext, dir: string): Promise<number> {
  const sc = slurmSubmitContext(ctx);
  if (typeof sc === 'string') {
    ctx.io.err(`gpaco resume: ${sc}`);
    return EXIT.usage;
  }
  // Record how the previous job ended first (nobody may have been following it).
  const follower = new SlurmFollower(sc.client);
  try {
    follower.track(dir);
    await follower.pollNow();
  } finally {
    follower.dispose();
  }
  return submitAndFollow(ctx, sc, dir, 'resume');
}

async function submitAndFollow(ctx: CommandContext, sc: SlurmSubmitContext, dir: string, mode: 'start' | 'resume'): Promise<number> {
  const { io } = ctx;
  const r = await submitRun(dir, sc, mode);
  if (!r.ok) {
    io.err(
      `gpaco ${mode === 'start' ? 'train' : 'resume'}: ${r.reason === 'rejected' ? `sbatch rejected the job: ${r.message}` : r.message}`,
    );
    if (r.reason === 'rejected' || r.reason === 'invalid-options') io.err(`  the run is marked failed: ${dir}`);
    return r.reason === 'invalid-options' || r.reason === 'not-submittable' ? EXIT.usage : EXIT.failed;
  }
  io.out(`submitted as Slurm job ${r.jobId} (batch script ${r.script})`);
  io.out(`  log ${runPaths(dir).log}`);
  if (ctx.flag('detach')) {
    io.out(`follow it with: gpaco jobs --watch   cancel it with: gpaco cancel ${path.basename(dir)}`);
    return EXIT.ok;
  }
  return followSlurmRuns(ctx, [dir], { printRecords: true });
}

// ---------------------------------------------------------------------------------------------
// Following

export interface JobRow {
  dir: string;
  id: string;
  manifest: RunManifest | null;
  status: string;
  job: string;
  detail: string;
}

/** One table row per run: display status (unknown while the controller is unreachable) and job. */
export function jobRow(dir: string, follower: SlurmFollower | undefined): JobRow {
  let manifest: RunManifest;
  try {
    manifest = readRunManifest(dir);
  } catch {
    return { dir, id: path.basename(dir), manifest: null, status: 'unreadable', job: '-', detail: '' };
  }
  const base = displayStatus(manifest);
  const status = follower ? follower.displayStatus(dir, manifest, base) : slurmDisplayStatus(manifest, base);
  const l = slurmLaunchOf(manifest);
  const obs = follower?.observation(dir);
  return {
    dir,
    id: manifest.id,
    manifest,
    status,
    job: l ? describeJob(l, manifest.status) : (manifest.launch?.kind ?? 'local'),
    detail: observationText(obs, manifest),
  };
}

function observationText(obs: RunObservation | undefined, m: RunManifest): string {
  if (!obs) return m.error?.message ?? '';
  if (!obs.reachable) return `Slurm cannot be asked: ${obs.message ?? ''}`;
  if (obs.gone) return 'no longer known to Slurm: the run\u2019s files decide';
  if (obs.job?.state === 'PENDING') return explainPendingReason(obs.job.reason).text;
  if (obs.job?.state === 'RUNNING') return obs.job.nodes ? `on ${obs.job.nodes}` : 'running';
  return m.error?.message ?? '';
}

export interface FollowOptions {
  /** Print each run's epoch / eval lines as they are appended. */
  printRecords: boolean;
  /** Stop when every run is over (default true). */
  untilDone?: boolean;
}

/**
 * Follows Slurm runs until each is over (its job ended and recorded), printing job-state
 * changes and, optionally, metrics lines. Ctrl-C stops following only: the jobs keep running.
 * Exit code: 0 when every run completed (or stopped), 1 otherwise.
 */
export async function followSlurmRuns(ctx: CommandContext, dirs: readonly string[], options: FollowOptions): Promise<number> {
  const { io } = ctx;
  const timing = followTiming(ctx);
  const sc = slurmSubmitContext(ctx);
  const client = typeof sc === 'string' ? new SlurmClient({ env: ctx.env }) : sc.client;
  const follower = new SlurmFollower(client, { pollMs: timing.slurmMs, settleMs: timing.settleMs });
  const many = dirs.length > 1;
  const tails = new Map(dirs.map((d) => [d, new MetricsTail(runPaths(d).metrics)]));
  const said = new Map<string, string>();
  const prefix = (d: string) => (many ? `[${path.basename(d)}] ` : '');
  const report = () => {
    for (const d of dirs) {
      const row = jobRow(d, follower);
      const line = `${row.status} · ${row.job}${row.detail ? ` · ${row.detail}` : ''}`;
      if (said.get(d) !== line) {
        said.set(d, line);
        io.out(`${prefix(d)}${line}`);
      }
      if (options.printRecords) {
        const epochs = row.manifest?.progress.epochs ?? 0;
        for (const rec of tails.get(d)!.read()) {
          const text = renderRecordLine(rec, epochs);
          if (text) io.out(`${prefix(d)}${text}`);
        }
      }
    }
  };
  const done = () =>
    dirs.every((d) => {
      if (follower.isTracked(d)) return false;
      try {
        const m = readRunManifest(d);
        return m.status !== 'queued' && m.status !== 'running' ? true : slurmDisplayStatus(m, m.status) === 'interrupted';
      } catch {
        return true;
      }
    });
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  process.on('SIGINT', onSigint);
  for (const d of dirs) follower.track(d, { soon: true });
  try {
    await follower.pollNow();
    for (;;) {
      report();
      if (interrupted) {
        io.out(`stopped following; the job${many ? 's keep' : ' keeps'} running. Follow again with: gpaco jobs --watch`);
        return EXIT.ok;
      }
      if (options.untilDone !== false && done()) break;
      await new Promise((r) => setTimeout(r, timing.filesMs));
    }
  } finally {
    process.off('SIGINT', onSigint);
    follower.dispose();
  }
  const ok = dirs.every((d) => {
    try {
      const m = readRunManifest(d);
      return m.status === 'completed' || (m.status === 'stopped' && slurmDisplayStatus(m, 'stopped') === 'stopped');
    } catch {
      return false;
    }
  });
  return ok ? EXIT.ok : EXIT.failed;
}
