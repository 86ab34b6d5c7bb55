// Following Slurm runs: one batched `squeue` per poll for every followed job (sacct for jobs
// squeue no longer knows, where accounting exists), the answer mapped onto each run. The run
// directory stays the source of truth for everything the trainer writes; the follower only
// records the job's facts in run.json's `launch` (and ends runs whose trainer never started),
// and only when the trainer cannot be writing run.json itself: before the job starts or after
// it ended. A controller that does not answer makes runs `unknown`, never failed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Emitter } from '../emitter';
import type { DisplayStatus, RunManifest, SlurmLaunchRecord } from '../contract';
import { readRunManifest, updateRunManifest, type ManifestPatch } from '../runDirectory';
import { SLURM_FILES } from './batchScript';
import type { SlurmClient } from './exec';
import { isInvalidJobId, parseExitCode, parseSacct, parseScontrol, parseSqueue, SQUEUE_FORMAT, type JobInfo } from './parse';
import { classifyJobState, isJobFinished, LOST_STATE, slurmDisplayStatus, slurmLaunchOf } from './states';
import { readRunJson } from '../runFile';

// ---------------------------------------------------------------------------------------------
// Asking Slurm

export type JobQuery =
  | { kind: 'ok'; jobs: Map<string, JobInfo>; gone: string[] }
  | { kind: 'unreachable'; message: string }
  | { kind: 'missing'; message: string }
  | { kind: 'failed'; message: string };

/** Remembers, per client, whether sacct works here (no accounting: it never will). */
const sacctWorks = new WeakMap<SlurmClient, boolean>();
/** Exit codes of ended jobs, per client (asked once each). */
const exitCodes = new WeakMap<SlurmClient, Map<string, string>>();

/**
 * The state of every job in `jobIds` with one squeue call (plus one `scontrol show job` for the
 * exit code of each job seen ended, once); jobs squeue does not know (ended more than MinJobAge
 * ago, default 300 s) are looked up with one sacct call where accounting exists, and are
 * otherwise `gone`.
 */
export async function queryJobs(client: SlurmClient, jobIds: readonly string[]): Promise<JobQuery> {
  const ids = [...new Set(jobIds)];
  const jobs = new Map<string, JobInfo>();
  if (ids.length === 0) return { kind: 'ok', jobs, gone: [] };
  const r = await client.call('squeue', ['-h', '-r', '-t', 'all', '-j', ids.join(','), '-o', SQUEUE_FORMAT]);
  switch (r.kind) {
    case 'ok':
      for (const j of parseSqueue(r.stdout)) jobs.set(j.jobId, j);
      break;
    case 'failed':
      // One unknown id alone makes squeue fail (several unknown ids print nothing).
      if (!isInvalidJobId(r.message)) return { kind: 'failed', message: `squeue: ${r.message}` };
      break;
    case 'unreachable':
      return { kind: 'unreachable', message: r.message };
    case 'missing':
      return { kind: 'missing', message: r.message };
  }
  // squeue has no exit code: ask scontrol once per job that has ended (only good until MinJobAge).
  const known = exitCodes.get(client) ?? new Map<string, string>();
  exitCodes.set(client, known);
  for (const j of jobs.values()) {
    if (!isJobFinished(j.state)) continue;
    let code = known.get(j.jobId);
    if (code === undefined) {
      const sc = await client.call('scontrol', ['-o', 'show', 'job', j.jobId]);
      if (sc.kind !== 'ok') continue;
      code = parseScontrol(sc.stdout).find((x) => x.jobId === j.jobId)?.exitCode;
      if (code === undefined) continue;
      known.set(j.jobId, code);
      if (known.size > 10_000) known.delete(known.keys().next().value!);
    }
    jobs.set(j.jobId, { ...j, exitCode: code });
  }
  let missing = ids.filter((id) => !jobs.has(id));
  if (missing.length && sacctWorks.get(client) !== false) {
    const s = await client.call('sacct', ['-X', '-n', '-P', '-j', missing.join(','), '-o', 'JobID,State,ExitCode,Reason']);
    if (s.kind === 'ok') {
      sacctWorks.set(client, true);
      for (const j of parseSacct(s.stdout)) if (missing.includes(j.jobId)) jobs.set(j.jobId, j);
    } else if (s.kind === 'failed' && /accounting storage is disabled|not running a supported accounting_storage plugin/i.test(s.message)) {
      sacctWorks.set(client, false);
    }
    missing = ids.filter((id) => !jobs.has(id));
  }
  return { kind: 'ok', jobs, gone: missing };
}

// ---------------------------------------------------------------------------------------------
// What an observation means for a run

/** What the batch script wrote when its trainer exited (SLURM_FILES.exitMarker). */
export interface ExitMarker {
  jobId: string;
  exitCode: number;
  /** USR1 (time limit near), TERM / INT (scancel, user), or ''. */
  signal: string;
  host?: string;
  time?: string;
}

export function readExitMarker(dir: string): ExitMarker | undefined {
  try {
    const v = readRunJson('marker', path.join(dir, SLURM_FILES.exitMarker)) as Record<string, unknown>;
    if (typeof v.jobId !== 'string' || typeof v.exitCode !== 'number') return undefined;
    return {
      jobId: v.jobId,
      exitCode: v.exitCode,
      signal: typeof v.signal === 'string' ? v.signal : '',
      ...(typeof v.host === 'string' ? { host: v.host } : {}),
      ...(typeof v.time === 'string' ? { time: v.time } : {}),
    };
  } catch {
    return undefined;
  }
}

export type Observation = { kind: 'job'; job: JobInfo } | { kind: 'gone' };

export interface Reconciled {
  /** What to write into run.json (null: nothing). */
  patch: ManifestPatch | null;
  /** The job is over and this run needs no more following once `patch` is written. */
  finished: boolean;
}

function sameLaunch(a: SlurmLaunchRecord, b: SlurmLaunchRecord): boolean {
  return a.jobId === b.jobId && a.state === b.state && a.reason === b.reason && a.exitCode === b.exitCode && a.timeLimit === b.timeLimit;
}

/**
 * Maps what Slurm says about a run's job onto the run (pure). Only while the run is `queued`
 * (the trainer has not written yet) or once the job is over (it cannot write any more) does this
 * return a patch, so it never races the trainer's own writes to run.json.
 */
export function reconcile(manifest: RunManifest, obs: Observation, marker: ExitMarker | undefined, now: Date = new Date()): Reconciled {
  const l = slurmLaunchOf(manifest);
  if (!l || l.jobId === null) return { patch: null, finished: true };
  const jobId = l.jobId;
  if (obs.kind === 'job' && !isJobFinished(obs.job.state)) {
    // Only a job that has not started yet is recorded: once it runs, its trainer is about to
    // write run.json itself (within a second), and two writers must never meet.
    const waiting = classifyJobState(obs.job.state) === 'pending';
    if (!waiting || manifest.status !== 'queued' || (l.state === obs.job.state && (l.reason ?? 'None') === obs.job.reason))
      return { patch: null, finished: false };
    return { patch: { launch: { ...l, state: obs.job.state, reason: obs.job.reason } }, finished: false };
  }

  const m = marker && marker.jobId === jobId ? marker : undefined;
  let state: string;
  let reason: string;
  let exitCode: string | undefined;
  if (obs.kind === 'job') {
    state = obs.job.state;
    reason = obs.job.reason;
    exitCode = obs.job.exitCode ?? (m ? `${m.exitCode}:0` : undefined);
  } else if (m) {
    // Slurm has forgotten the job; the batch script said how it ended.
    state = m.exitCode === 0 ? 'COMPLETED' : 'FAILED';
    reason = 'None';
    exitCode = `${m.exitCode}:0`;
  } else {
    state = LOST_STATE;
    reason = 'no longer known to Slurm';
  }
  const timeLimit = state === 'TIMEOUT' || m?.signal === 'USR1';
  const launch: SlurmLaunchRecord = {
    ...l,
    state,
    reason,
    ...(exitCode !== undefined ? { exitCode } : {}),
    ...(timeLimit ? { timeLimit: true } : {}),
  };
  const patch: ManifestPatch = {};
  if (!sameLaunch(l, launch)) patch.launch = launch;
  if (manifest.status === 'queued') {
    // The trainer never started (it would have written `running`): end the run here.
    const cls = classifyJobState(state);
    const ended = now.toISOString();
    if (cls === 'cancelled') {
      Object.assign(patch, { status: 'stopped', endedAt: ended, error: null });
    } else {
      const ec = exitCode ? parseExitCode(exitCode) : undefined;
      const why =
        state === LOST_STATE
          ? `Slurm no longer knows job ${jobId} and the trainer never started`
          : `Slurm job ${jobId} ended ${state}${reason !== 'None' ? ` (${reason})` : ''}${exitCode ? ` with exit code ${exitCode}` : ''} before the trainer started`;
      Object.assign(patch, {
        status: 'failed',
        endedAt: ended,
        exitCode: ec ? ec.exit || (ec.signal ? 128 + ec.signal : 0) : null,
        error: { message: `${why}; see trainer.log` },
      });
    }
  }
  return { patch: Object.keys(patch).length ? patch : null, finished: true };
}

/** The run as it will look once `patch` is written (for showing an observation at once). */
export function applyPatch(manifest: RunManifest, patch: ManifestPatch | null): RunManifest {
  if (!patch) return manifest;
  const { progress, ...rest } = patch;
  return { ...manifest, ...rest, progress: { ...manifest.progress, ...progress } };
}

// ---------------------------------------------------------------------------------------------
// The follower

export interface RunObservation {
  dir: string;
  jobId: string;
  /** False while Slurm cannot be asked (controller down, clients missing): the run shows as `unknown`. */
  reachable: boolean;
  /** Why it is unreachable, or another problem asking about it. */
  message?: string;
  /** The job as last seen (undefined: never seen, or Slurm no longer knows it). */
  job?: JobInfo;
  gone?: boolean;
  checkedAt: string;
}

export interface FollowerOptions {
  /** Regular poll interval (ms). Default 15 s: 4 squeue calls a minute, shared by all jobs. */
  pollMs?: number;
  /** Polls soon after a submit or cancel (ms after it), then back to `pollMs`. */
  fastPollsMs?: readonly number[];
  /** Longest wait between polls while the controller does not answer (ms). */
  maxBackoffMs?: number;
  /**
   * How long a finished job's outcome waits before it is written into run.json (ms). On a
   * shared file system another host's last writes can take that long to become visible here;
   * 0 on a local disk.
   */
  settleMs?: number;
  now?: () => Date;
}

interface Tracked {
  dir: string;
  obs?: RunObservation;
  /** When the job was first seen finished (for settleMs). */
  finishedSince?: number;
}

/**
 * Follows every tracked run's job with one batched squeue per poll. Polls only while something
 * is tracked; tracks a run until its job's end is recorded in run.json.
 */
export class SlurmFollower {
  private readonly runs = new Map<string, Tracked>();
  /** Last observations of runs whose end is recorded (listeners read them after the change event). */
  private readonly ended = new Map<string, RunObservation>();
  private readonly changes = new Emitter<string[]>();
  readonly onDidChange = this.changes.event;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private fast: number[] = [];
  private backoffMs = 0;
  private disposed = false;
  readonly pollMs: number;
  private readonly settleMs: number;
  private readonly maxBackoffMs: number;
  private readonly fastPollsMs: readonly number[];
  private readonly now: () => Date;
  /** Polls made (each is one squeue call, plus sacct for forgotten jobs where it works). */
  polls = 0;

  constructor(
    readonly client: SlurmClient,
    options: FollowerOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 15_000;
    this.settleMs = options.settleMs ?? 0;
    this.maxBackoffMs = options.maxBackoffMs ?? 120_000;
    this.fastPollsMs = options.fastPollsMs ?? [1000, 2000, 4000, 8000];
    this.now = options.now ?? (() => new Date());
  }

  /** Starts following a Slurm run (no-op for other runs, or if already followed). */
  track(dir: string, options: { soon?: boolean } = {}): void {
    const d = path.resolve(dir);
    this.ended.delete(d);
    if (!this.runs.has(d)) this.runs.set(d, { dir: d });
    if (options.soon) this.kick();
    else this.schedule();
  }

  untrack(dir: string): void {
    this.runs.delete(path.resolve(dir));
  }

  isTracked(dir: string): boolean {
    return this.runs.has(path.resolve(dir));
  }

  get tracked(): string[] {
    return [...this.runs.keys()];
  }

  /** The last observation of a run (kept after its end was recorded and it is no longer followed). */
  observation(dir: string): RunObservation | undefined {
    const d = path.resolve(dir);
    return this.runs.get(d)?.obs ?? this.ended.get(d);
  }

  /**
   * The status to show for a followed run: `unknown` while its controller does not answer (and
   * its files say it is not over), else what its files will say once the observation is written.
   */
  displayStatus(dir: string, manifest: RunManifest, base: DisplayStatus): DisplayStatus {
    const t = this.runs.get(path.resolve(dir));
    const obs = t?.obs;
    if (!obs) return base;
    const l = slurmLaunchOf(manifest);
    if (!l || l.jobId !== obs.jobId) return base;
    const live = manifest.status === 'queued' || manifest.status === 'running';
    if (!obs.reachable) return live && !isJobFinished(l.state) ? 'unknown' : base;
    if (!obs.job && !obs.gone) return base;
    const r = reconcile(manifest, obs.job ? { kind: 'job', job: obs.job } : { kind: 'gone' }, readExitMarker(dir), this.now());
    if (!r.patch) return base;
    const next = applyPatch(manifest, r.patch);
    return slurmDisplayStatus(next, next.status === 'running' ? base : next.status);
  }

  /** Polls soon, then a few more times quickly (after a submit or a cancel). */
  kick(): void {
    this.fast = [...this.fastPollsMs];
    this.backoffMs = 0;
    this.schedule(0);
  }

  /** One poll now; while one is in flight, the next one after it (shared by every caller). */
  pollNow(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = this.poll().finally(() => {
        this.inFlight = undefined;
      });
      return this.inFlight;
    }
    this.next ??= this.inFlight.then(() => {
      this.next = undefined;
      return this.pollNow();
    });
    return this.next;
  }

  private schedule(delayMs?: number): void {
    if (this.disposed || this.runs.size === 0) return;
    if (this.timer && delayMs === undefined) return;
    if (this.timer) clearTimeout(this.timer);
    const wait = delayMs ?? this.nextDelay();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pollNow().finally(() => this.schedule());
    }, wait);
    this.timer.unref?.();
  }

  private nextDelay(): number {
    if (this.backoffMs > 0) return this.backoffMs;
    const f = this.fast.shift();
    return f !== undefined ? f : this.pollMs;
  }

  private async poll(): Promise<void> {
    const wanted: { t: Tracked; manifest: RunManifest; jobId: string }[] = [];
    for (const t of this.runs.values()) {
      let manifest: RunManifest;
      try {
        manifest = readRunManifest(t.dir);
      } catch {
        if (!fs.existsSync(t.dir)) this.runs.delete(t.dir);
        continue; // unreadable for a moment (being replaced): next poll
      }
      const l = slurmLaunchOf(manifest);
      if (!l || l.jobId === null) {
        this.runs.delete(t.dir); // not (or not yet) a submitted Slurm run: nothing to ask
        continue;
      }
      if (isJobFinished(l.state) && manifest.status !== 'queued') {
        this.runs.delete(t.dir); // its end is recorded
        continue;
      }
      wanted.push({ t, manifest, jobId: l.jobId });
    }
    if (wanted.length === 0) return;
    this.polls++;
    const q = await queryJobs(
      this.client,
      wanted.map((w) => w.jobId),
    );
    const changed: string[] = [];
    const checkedAt = this.now().toISOString();
    if (q.kind !== 'ok') {
      // Down, not installed here, or an error: Slurm cannot be asked now, so nothing is concluded.
      this.backoffMs = Math.min(this.maxBackoffMs, Math.max(this.pollMs, this.backoffMs * 2));
      for (const w of wanted) {
        const prev = w.t.obs;
        w.t.obs = {
          ...(prev?.jobId === w.jobId ? prev : {}),
          dir: w.t.dir,
          jobId: w.jobId,
          reachable: false,
          message: q.message,
          checkedAt,
        };
        if (!prev || prev.reachable !== w.t.obs.reachable || prev.message !== q.message) changed.push(w.t.dir);
      }
      this.emit(changed);
      return;
    }
    this.backoffMs = 0;
    for (const w of wanted) {
      const job = q.jobs.get(w.jobId);
      const prev = w.t.obs;
      const obs: RunObservation = { dir: w.t.dir, jobId: w.jobId, reachable: true, checkedAt, ...(job ? { job } : { gone: true }) };
      w.t.obs = obs;
      if (
        !prev ||
        prev.reachable !== obs.reachable ||
        prev.job?.state !== job?.state ||
        prev.job?.reason !== job?.reason ||
        prev.gone !== obs.gone
      )
        changed.push(w.t.dir);
      const finished = !job || isJobFinished(job.state);
      if (finished) w.t.finishedSince ??= Date.now();
      else w.t.finishedSince = undefined;
      if (finished && this.settleMs > 0 && Date.now() - (w.t.finishedSince ?? 0) < this.settleMs) continue;
      if (this.record(w.t.dir, obs)) changed.push(w.t.dir);
    }
    this.emit([...new Set(changed)]);
  }

  /** Writes what the observation means into run.json, re-reading it first; true if written. */
  private record(dir: string, obs: RunObservation): boolean {
    let manifest: RunManifest;
    try {
      manifest = readRunManifest(dir);
    } catch {
      return false;
    }
    const l = slurmLaunchOf(manifest);
    if (!l || l.jobId !== obs.jobId) return false; // resubmitted meanwhile
    const r = reconcile(manifest, obs.job ? { kind: 'job', job: obs.job } : { kind: 'gone' }, readExitMarker(dir), this.now());
    if (!r.patch) {
      if (r.finished && manifest.status !== 'queued') this.finish(dir, obs);
      return false;
    }
    try {
      updateRunManifest(dir, r.patch);
    } catch {
      return false; // folder removed meanwhile
    }
    if (r.finished) this.finish(dir, obs);
    return true;
  }

  private finish(dir: string, obs: RunObservation): void {
    this.runs.delete(dir);
    this.ended.set(dir, obs);
    // Bounded: only the latest ends are of interest.
    if (this.ended.size > 1000) this.ended.delete(this.ended.keys().next().value!);
  }

  private emit(dirs: string[]): void {
    if (!dirs.length) return;
    this.changes.fire(dirs);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.changes.dispose();
    this.runs.clear();
    this.ended.clear();
  }
}
