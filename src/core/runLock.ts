// One trainer per run folder (docs/run-folder.md, "The run lock"): the trainer creates
// `<run>/run.lock` with O_EXCL before it writes anything and removes it when it ends. The CLI
// and the extension (local and Slurm launches alike) check it before they start or resume a run.
// A lock whose process is gone on this host is stale and is taken over.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isProcessAlive } from './catalog';
import { RUN_FILES } from './contract';
import { isTrainerProcess } from './processIdentity';
import { RunFileError, readRunText } from './runFile';
import { isIsoTime } from './runSchema';

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
}

export type LockState =
  | { kind: 'free' }
  | { kind: 'held'; holder: LockHolder }
  /** Its process is gone on this host (or the file is unreadable and old): may be taken over. */
  | { kind: 'stale'; holder: LockHolder | null; why: string };

/** A lock younger than this with no content yet is being written by its taker, not broken. */
const FRESH_MS = 10_000;

export function lockPath(dir: string): string {
  return path.join(dir, RUN_FILES.lock);
}

function parseHolder(text: string): LockHolder | null {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (Number.isInteger(v.pid) && (v.pid as number) > 0 && typeof v.host === 'string' && isIsoTime(v.since)) {
      return { pid: v.pid as number, host: v.host, since: v.since };
    }
  } catch {
    // fall through: not a lock this code wrote
  }
  return null;
}

/** The lock's state as seen from this process (`hostname` for tests). */
export function readRunLock(dir: string, hostname = os.hostname()): LockState {
  const file = lockPath(dir);
  let text: string;
  let ageMs: number;
  try {
    text = readRunText('marker', file);
    ageMs = Date.now() - fs.statSync(file).mtimeMs;
  } catch (err) {
    if (err instanceof RunFileError && err.problem === 'missing') return { kind: 'free' };
    // A lock that cannot be read (a folder, a device) is never ours to remove: it holds.
    return { kind: 'held', holder: { pid: 0, host: '?', since: '?' } };
  }
  const holder = parseHolder(text);
  if (!holder)
    return ageMs > FRESH_MS
      ? { kind: 'stale', holder: null, why: 'its content is not a lock record' }
      : { kind: 'held', holder: { pid: 0, host: '?', since: '?' } };
  if (holder.host !== hostname) return { kind: 'held', holder };
  if (!isProcessAlive(holder.pid)) return { kind: 'stale', holder, why: `process ${holder.pid} is gone` };
  if (isTrainerProcess(holder.pid, { runDir: dir }) === false)
    return { kind: 'stale', holder, why: `process ${holder.pid} is no longer a trainer of this run` };
  return { kind: 'held', holder };
}

/** "RUN is being trained by pid P on HOST since T": the one wording of a held lock. */
export function describeHolder(dir: string, holder: LockHolder): string {
  const who =
    holder.pid > 0 ? `pid ${holder.pid} on ${holder.host} since ${holder.since}` : 'another process (its lock file cannot be read)';
  return `${path.basename(dir)} is being trained by ${who}`;
}

/** For launchers: a message when the run is locked by a live trainer, else undefined. */
export function lockedMessage(dir: string): string | undefined {
  const s = readRunLock(dir);
  if (s.kind !== 'held') return undefined;
  const other = s.holder.host !== os.hostname() && s.holder.pid > 0 ? `; if that process is gone, delete ${lockPath(dir)}` : '';
  return `${describeHolder(dir, s.holder)}${other}`;
}

export interface RunLock {
  readonly file: string;
  /** Removes the lock if it is still this process's. */
  release(): void;
}

export type AcquireResult = { ok: true; lock: RunLock; tookOver?: string } | { ok: false; message: string };

/**
 * Takes the run's lock for this process: created with O_EXCL holding pid, host and start time.
 * A stale lock is replaced (the result says why, for the log); a held one is refused.
 */
export function acquireRunLock(dir: string, now = new Date()): AcquireResult {
  const file = lockPath(dir);
  const me: LockHolder = { pid: process.pid, host: os.hostname(), since: now.toISOString() };
  const text = `${JSON.stringify(me)}\n`;
  let tookOver: string | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const state = readRunLock(dir);
      if (state.kind === 'held') return { ok: false, message: describeHolder(dir, state.holder) };
      if (state.kind === 'free') continue;
      // Stale: remove it only if it is still the file judged stale (another taker may have won).
      const before = safeRead(file);
      if (before !== undefined && (state.holder === null || parseHolder(before)?.since === state.holder.since))
        fs.rmSync(file, { force: true });
      tookOver = state.holder
        ? `took over a stale lock of pid ${state.holder.pid} on ${state.holder.host} since ${state.holder.since} (${state.why})`
        : `took over a stale lock (${state.why})`;
      continue;
    }
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    const lock: RunLock = {
      file,
      release: () => {
        if (safeRead(file) === text) fs.rmSync(file, { force: true });
      },
    };
    return tookOver ? { ok: true, lock, tookOver } : { ok: true, lock };
  }
  return { ok: false, message: `${path.basename(dir)}: could not take the run lock ${file} (another trainer keeps taking it)` };
}

function safeRead(file: string): string | undefined {
  try {
    return readRunText('marker', file);
  } catch {
    return undefined;
  }
}
