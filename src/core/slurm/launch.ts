// Submitting runs as Slurm jobs and cancelling them (shared by the CLI and the editor). The run
// directory exists before sbatch is called (Slurm does not create the output folder; a missing
// one fails the job with no output at all), the batch script is written into it, and the job id
// goes into run.json the moment sbatch returns, before the job can have started its trainer.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../atomicWrite';
import type { RunManifest, SlurmLaunchRecord } from '../contract';
import { readRunConfig, readRunManifest, runPaths, updateRunManifest } from '../runDirectory';
import { commandTrainerOf } from '../commandTrainer';
import { escapeOutputPattern, renderBatchScript, sbatchArguments, SLURM_FILES, type BatchScriptSpec } from './batchScript';
import type { SlurmCallResult, SlurmClient } from './exec';
import { queryJobs } from './follow';
import { resolveJobOptions, withWorkerCpus, type OptionIssue, type SlurmDefaults, type SlurmJobOptions } from './options';
import { parseSbatchParsable, type JobInfo } from './parse';
import { classifyJobState, isJobFinished, slurmLaunchOf } from './states';
import { lockedMessage } from '../runLock';

/** Where the trainer runs on the compute nodes, and the user's defaults. */
export interface SlurmSubmitContext {
  client: SlurmClient;
  /** Absolute Node path on the compute nodes. */
  nodePath: string;
  /** Absolute path of dist/trainer.js on the compute nodes. */
  trainerPath: string;
  /** Extra environment for the trainer (GPACO_NATIVE_MODULES, ...). */
  env?: Record<string, string>;
  defaults?: SlurmDefaults;
}

export type SubmitFailure =
  /** launch.slurm has a bad value: nothing was submitted, the run is marked failed. */
  | { ok: false; reason: 'invalid-options'; message: string; issues: OptionIssue[] }
  /** sbatch refused the job (e.g. an invalid partition): the run is marked failed with its message. */
  | { ok: false; reason: 'rejected'; message: string }
  /** The controller did not answer / Slurm is not installed: the run is left as it was. */
  | { ok: false; reason: 'unreachable' | 'missing'; message: string }
  /** The run cannot be submitted in its state (already has a live job, ...): nothing changed. */
  | { ok: false; reason: 'not-submittable'; message: string };

export type SubmitResult = { ok: true; jobId: string; script: string } | SubmitFailure;

/** Finds `program` on the PATH when it is not absolute (the compute node needs a full path). */
export function resolveExecutable(program: string, envPath: string = process.env.PATH ?? ''): string | undefined {
  if (path.isAbsolute(program)) return fs.existsSync(program) ? program : undefined;
  if (program.includes('/')) {
    const abs = path.resolve(program);
    return fs.existsSync(abs) ? abs : undefined;
  }
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, program);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function markFailed(dir: string, message: string): void {
  try {
    const m = readRunManifest(dir);
    const l = slurmLaunchOf(m);
    updateRunManifest(dir, {
      status: 'failed',
      endedAt: new Date().toISOString(),
      exitCode: null,
      error: { message },
      launch: { kind: 'slurm', jobId: null, ...(l?.script ? { script: l.script } : {}) },
    });
  } catch {
    // the folder is gone: nothing to mark
  }
}

function jobName(id: string): string {
  return `gpaco-${id}`.slice(0, 100);
}

function specFor(dir: string, manifest: RunManifest, options: SlurmJobOptions, ctx: SlurmSubmitContext): BatchScriptSpec {
  const abs = path.resolve(dir);
  return {
    jobName: jobName(manifest.id),
    runDirs: [abs],
    output: escapeOutputPattern(runPaths(abs).log),
    chdir: abs,
    options,
    nodePath: ctx.nodePath,
    trainerPath: ctx.trainerPath,
    ...(commandTrainerOf(manifest) ? { command: true } : {}),
    ...(ctx.env ? { env: ctx.env } : {}),
  };
}

function optionsOf(dir: string, ctx: SlurmSubmitContext): { ok: true; options: SlurmJobOptions } | { ok: false; issues: OptionIssue[] } {
  const config = readRunConfig(dir);
  const r = resolveJobOptions(config.launch?.slurm, ctx.defaults);
  return r.ok ? { ok: true, options: withWorkerCpus(r.options, config.optim?.workers) } : { ok: false, issues: r.errors };
}

function submitFailure(r: Exclude<SlurmCallResult, { kind: 'ok' }>): SubmitFailure {
  switch (r.kind) {
    case 'failed':
      return { ok: false, reason: 'rejected', message: r.message };
    case 'unreachable':
      return {
        ok: false,
        reason: 'unreachable',
        message: r.timedOut
          ? `${r.message}; the job may still have been submitted: check squeue --me`
          : `cannot reach the Slurm controller (${r.message}); nothing was submitted`,
      };
    case 'missing':
      return { ok: false, reason: 'missing', message: r.message };
  }
}

/**
 * Submits the run in `dir` (created by createRunDirectory) as one batch job: writes
 * `slurm-job.sh`, calls sbatch, records the job id. `resume` resubmits an interrupted, stopped or
 * failed run (the script continues from its latest checkpoint). A rejected job marks the run
 * failed with sbatch's message; an unreachable controller leaves the run as it was.
 */
export async function submitRun(dir: string, ctx: SlurmSubmitContext, mode: 'start' | 'resume' = 'start'): Promise<SubmitResult> {
  const manifest = readRunManifest(dir);
  const l = slurmLaunchOf(manifest);
  if (l?.jobId && !isJobFinished(l.state) && (manifest.status === 'queued' || manifest.status === 'running')) {
    return {
      ok: false,
      reason: 'not-submittable',
      message: `run ${manifest.id} already has Slurm job ${l.jobId}${l.state ? ` (${l.state})` : ''}`,
    };
  }
  if (mode === 'resume' && commandTrainerOf(manifest)) {
    return {
      ok: false,
      reason: 'not-submittable',
      message: `run ${manifest.id} was trained by a command (trainer.kind "command"): GPaCo Lab cannot resume it; start a new run`,
    };
  }
  const locked = lockedMessage(dir);
  if (locked) return { ok: false, reason: 'not-submittable', message: locked };
  if (mode === 'start' && manifest.status !== 'queued') {
    return {
      ok: false,
      reason: 'not-submittable',
      message: `run ${manifest.id} is ${manifest.status}: only a queued run can be started (resume continues the others)`,
    };
  }
  const opts = optionsOf(dir, ctx);
  if (!opts.ok) {
    const message = `invalid Slurm options: ${opts.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
    markFailed(dir, message);
    return { ok: false, reason: 'invalid-options', message, issues: opts.issues };
  }
  const spec = specFor(dir, manifest, opts.options, ctx);
  const script = path.join(path.resolve(dir), SLURM_FILES.script);
  writeFileAtomic(script, renderBatchScript(spec));
  fs.chmodSync(script, 0o755);
  const r = await ctx.client.call('sbatch', ['--parsable', ...sbatchArguments(spec), script]);
  if (r.kind !== 'ok') {
    const f = submitFailure(r);
    if (f.reason === 'rejected') markFailed(dir, `sbatch rejected the job: ${f.message}`);
    return f;
  }
  const jobId = parseSbatchParsable(r.stdout);
  if (!jobId) {
    const message = `sbatch printed no job id: ${JSON.stringify(r.stdout.slice(0, 200))}`;
    return { ok: false, reason: 'unreachable', message };
  }
  // sbatch returns before the scheduler starts the job (0.3 s at best) and the trainer writes
  // run.json only after Node has loaded it, so this write cannot race the trainer's.
  const launch: SlurmLaunchRecord = {
    kind: 'slurm',
    jobId,
    state: 'PENDING',
    reason: 'None',
    submittedAt: new Date().toISOString(),
    script: SLURM_FILES.script,
  };
  updateRunManifest(dir, mode === 'resume' ? { status: 'queued', endedAt: null, exitCode: null, error: null, launch } : { launch });
  return { ok: true, jobId, script };
}

export type ArraySubmitResult = { ok: true; jobId: string; script: string; taskIds: string[] } | SubmitFailure;

/**
 * Submits several runs (a sweep) as ONE job array: task i trains `dirs[i]`. The array is
 * submitted held, every run gets its task id, then it is released, so no task can start before
 * its run.json names its job. Every run also gets its own `slurm-job.sh` (to resubmit it alone).
 * The runs must share their Slurm options: an array's tasks all get the same resources.
 */
export async function submitArray(
  dirs: readonly string[],
  sweepDir: string,
  ctx: SlurmSubmitContext,
  options: { arrayLimit?: number; name?: string } = {},
): Promise<ArraySubmitResult> {
  if (dirs.length === 0) return { ok: false, reason: 'not-submittable', message: 'no runs to submit' };
  const absDirs = dirs.map((d) => path.resolve(d));
  const manifests = absDirs.map((d) => readRunManifest(d));
  let first: SlurmJobOptions | undefined;
  for (const d of absDirs) {
    const o = optionsOf(d, ctx);
    if (!o.ok) {
      const message = `invalid Slurm options in ${path.basename(d)}: ${o.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
      for (const x of absDirs) markFailed(x, message);
      return { ok: false, reason: 'invalid-options', message, issues: o.issues };
    }
    if (!first) first = o.options;
    else if (JSON.stringify(first) !== JSON.stringify(o.options)) {
      const message = `the runs of a job array must share their launch.slurm options (${path.basename(d)} differs from ${path.basename(absDirs[0]!)}): launch each run on its own instead`;
      return { ok: false, reason: 'invalid-options', message, issues: [{ path: 'launch.slurm', message }] };
    }
  }
  if (new Set(manifests.map((m) => commandTrainerOf(m) !== undefined)).size > 1) {
    const message = 'the runs of a job array must share their trainer.kind: launch each run on its own instead';
    return { ok: false, reason: 'invalid-options', message, issues: [{ path: 'trainer.kind', message }] };
  }
  // Each run's own script, for resubmitting it alone later.
  absDirs.forEach((d, i) => {
    const s = path.join(d, SLURM_FILES.script);
    writeFileAtomic(s, renderBatchScript(specFor(d, manifests[i]!, first!, ctx)));
    fs.chmodSync(s, 0o755);
  });
  fs.mkdirSync(sweepDir, { recursive: true });
  const spec: BatchScriptSpec = {
    jobName: jobName(options.name ?? path.basename(sweepDir)),
    runDirs: absDirs,
    // Slurm's own messages per task; each task's trainer output goes to its run's trainer.log.
    output: `${escapeOutputPattern(path.resolve(sweepDir))}/slurm-%A_%a.out`,
    chdir: path.resolve(sweepDir),
    options: first!,
    nodePath: ctx.nodePath,
    trainerPath: ctx.trainerPath,
    ...(manifests.some((m) => commandTrainerOf(m)) ? { command: true } : {}),
    ...(ctx.env ? { env: ctx.env } : {}),
    ...(options.arrayLimit ? { arrayLimit: options.arrayLimit } : {}),
  };
  const script = path.join(path.resolve(sweepDir), 'array.sh');
  writeFileAtomic(script, renderBatchScript(spec));
  fs.chmodSync(script, 0o755);
  const r = await ctx.client.call('sbatch', ['--parsable', '--hold', ...sbatchArguments(spec), script]);
  if (r.kind !== 'ok') {
    const f = submitFailure(r);
    if (f.reason === 'rejected') for (const d of absDirs) markFailed(d, `sbatch rejected the job array: ${f.message}`);
    return f;
  }
  const jobId = parseSbatchParsable(r.stdout);
  if (!jobId) return { ok: false, reason: 'unreachable', message: `sbatch printed no job id: ${JSON.stringify(r.stdout.slice(0, 200))}` };
  const submittedAt = new Date().toISOString();
  const taskIds = absDirs.map((d, i) => {
    const taskId = `${jobId}_${i}`;
    updateRunManifest(d, {
      launch: { kind: 'slurm', jobId: taskId, state: 'PENDING', reason: 'None', submittedAt, script: SLURM_FILES.script },
    });
    return taskId;
  });
  const rel = await ctx.client.call('scontrol', ['release', jobId]);
  if (rel.kind !== 'ok') {
    return {
      ok: false,
      reason: rel.kind === 'missing' ? 'missing' : 'unreachable',
      message: `job array ${jobId} was submitted held but could not be released (${rel.message}); release it with: scontrol release ${jobId}`,
    };
  }
  return { ok: true, jobId, script, taskIds };
}

export type CancelResult =
  | { ok: true; jobId: string; state: string; confirmed: boolean; message: string }
  | { ok: false; reason: 'no-job' | 'unreachable' | 'missing' | 'failed'; message: string };

async function waitForEnd(client: SlurmClient, jobId: string, timeoutMs: number, everyMs: number): Promise<JobInfo | 'gone' | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const q = await queryJobs(client, [jobId]);
    if (q.kind === 'ok') {
      const j = q.jobs.get(jobId);
      if (!j) return 'gone';
      if (isJobFinished(j.state)) return j;
    }
    if (Date.now() > deadline) return q.kind === 'ok' ? q.jobs.get(jobId) : undefined;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Stops a run's job and confirms it ended (scancel exits 0 even for unknown or finished ids).
 * A pending job is cancelled. A running one is asked to stop gracefully (SIGTERM to the batch
 * script, which passes it to the trainer: it finishes its step, checkpoints, exits 0) unless
 * `force`, which is a plain scancel (SIGTERM to every process, SIGKILL after Slurm's KillWait).
 */
export async function cancelRun(
  dir: string,
  client: SlurmClient,
  options: { force?: boolean; waitMs?: number; pollMs?: number } = {},
): Promise<CancelResult> {
  const m = readRunManifest(dir);
  const l = slurmLaunchOf(m);
  if (!l?.jobId) return { ok: false, reason: 'no-job', message: `run ${m.id} has no Slurm job` };
  const jobId = l.jobId;
  const q = await queryJobs(client, [jobId]);
  if (q.kind === 'unreachable' || q.kind === 'missing') return { ok: false, reason: q.kind, message: q.message };
  if (q.kind === 'failed') return { ok: false, reason: 'failed', message: q.message };
  const job = q.jobs.get(jobId);
  if (!job || isJobFinished(job.state)) {
    return {
      ok: true,
      jobId,
      state: job?.state ?? 'gone',
      confirmed: true,
      message: `job ${jobId} had already ended (${job?.state ?? 'no longer known to Slurm'})`,
    };
  }
  const graceful = !options.force && classifyJobState(job.state) === 'running';
  const args = graceful ? ['--batch', '--signal=TERM', jobId] : [jobId];
  const r = await client.call('scancel', args);
  if (r.kind === 'unreachable' || r.kind === 'missing') return { ok: false, reason: r.kind, message: r.message };
  if (r.kind === 'failed') return { ok: false, reason: 'failed', message: `scancel ${args.join(' ')}: ${r.message}` };
  const end = await waitForEnd(client, jobId, options.waitMs ?? (graceful ? 60_000 : 30_000), options.pollMs ?? 500);
  if (end === undefined || (end !== 'gone' && !isJobFinished(end.state))) {
    const state = end ? end.state : 'unknown';
    return { ok: true, jobId, state, confirmed: false, message: `asked job ${jobId} to stop; it is still ${state}` };
  }
  const state = end === 'gone' ? 'gone' : end.state;
  return { ok: true, jobId, state, confirmed: true, message: `job ${jobId} ended: ${state}` };
}
