// The run catalog: every run under a runs root, summarised from its files (docs/run-folder.md).
// It must stay fast for hundreds of runs, so per run it reads only run.json,
// checkpoints/index.json and the end of metrics.jsonl.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RUN_FILES, type CheckpointEntry, type DisplayStatus, type EvalRecord, type RunManifest } from './contract';
import { evalRecordOf } from './evalMath';
import { findLastMetric } from './metricsLog';
import { listEvalTags, readCheckpointIndex, readEvalFile, readRunManifest, runPaths } from './runDirectory';
import { canInspectProcesses, processArgv } from './processIdentity';
import { slurmDisplayStatus } from './slurm/states';
import { runFileProblems } from './readability';

export interface RunSummary {
  /** The folder name (equal to `manifest.id` for runs made by `createRunDirectory`). */
  id: string;
  dir: string;
  status: DisplayStatus;
  /** `null` when run.json cannot be read (`status` is then `unreadable`). */
  manifest: RunManifest | null;
  /** Why the run is unreadable, or another file's problem; empty when all is well. */
  problems: string[];
  /** From run.json; for an unreadable run, the time in its id (else the folder's mtime). */
  createdAt: string;
  /** The newest evaluation (from metrics.jsonl, else the last evals/ file), or null. */
  latestEval: EvalRecord | null;
  /** Complete checkpoints, oldest first. */
  checkpoints: CheckpointEntry[];
}

/** True when a process with this pid exists (on this host). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the trainer of a `running` run is still alive: its pid exists on this host and, where
 * the command line can be read, it is a process of this run: one whole argument (resolved
 * against its working folder) is the run folder, or it runs inside that folder, or it was
 * started for the run (GPACO_RUN_ID), or it holds one of the run's files open. A pid recycled
 * after a reboot or crash, or one copied into run.json from another process, does not keep a
 * dead run "running". `undefined` when it cannot be known from here (another host).
 */
export function isRunProcessAlive(manifest: RunManifest, hostname = os.hostname()): boolean | undefined {
  if (manifest.host && manifest.host !== hostname) return undefined;
  if (manifest.pid === null || !isProcessAlive(manifest.pid)) return false;
  const argv = processArgv(manifest.pid);
  if (argv === undefined) return !canInspectProcesses();
  const id = manifest.id;
  if (!id) return false;
  let cwd: string | undefined;
  try {
    cwd = fs.readlinkSync(`/proc/${manifest.pid}/cwd`);
  } catch {
    cwd = undefined;
  }
  if (cwd !== undefined && path.basename(cwd) === id) return true;
  if (argv.slice(1).some((a) => a !== '' && path.basename(path.resolve(cwd ?? '/', a)) === id)) return true;
  return startedForRun(manifest.pid, id) || holdsRunFile(manifest.pid, id);
}

/** A command run's process: GPaCo Lab started it with GPACO_RUN_ID=<id> (docs/architecture.md). */
function startedForRun(pid: number, id: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`GPACO_RUN_ID=${id}`);
  } catch {
    return false;
  }
}

/** A writer that keeps a file of the run open (the Python writer holds metrics.jsonl). */
function holdsRunFile(pid: number, id: string): boolean {
  const fdDir = `/proc/${pid}/fd`;
  try {
    return fs.readdirSync(fdDir).some((fd) => {
      try {
        return fs.readlinkSync(path.join(fdDir, fd)).includes(`${path.sep}${id}${path.sep}`);
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/** Status to show: a `running` run whose trainer is gone on this host is `interrupted`. */
export function displayStatus(manifest: RunManifest, hostname = os.hostname()): DisplayStatus {
  const base =
    manifest.status !== 'running' ? manifest.status : isRunProcessAlive(manifest, hostname) === false ? 'interrupted' : 'running';
  // A Slurm run's trainer may live on another host: its recorded job state says when it is over.
  return slurmDisplayStatus(manifest, base);
}

/** Summary of one run folder; never throws for a broken run (it becomes `unreadable`). */
export function summarizeRun(dir: string, hostname = os.hostname()): RunSummary {
  const id = path.basename(dir);
  // The files that count for readability (the line every view shows): docs/run-folder.md.
  const files = runFileProblems(dir);
  const problems = files.manifest !== undefined ? [files.manifest, ...files.others] : [...files.others];
  let manifest: RunManifest | null;
  try {
    manifest = readRunManifest(dir);
  } catch {
    manifest = null; // its problem is in `files.manifest`
  }
  let checkpoints: CheckpointEntry[];
  try {
    checkpoints = readCheckpointIndex(dir).checkpoints;
  } catch {
    checkpoints = []; // its problem is in `files.others`
  }
  if (!manifest) {
    const createdAt = createdAtFromId(id) ?? folderTime(dir);
    return { id, dir, status: 'unreadable', manifest: null, problems, createdAt, latestEval: null, checkpoints };
  }
  return {
    id,
    dir,
    status: displayStatus(manifest, hostname),
    manifest,
    problems,
    createdAt: manifest.createdAt,
    latestEval: latestEval(dir, []),
    checkpoints,
  };
}

export { readabilityLine } from './readability';

/** The local time encoded in a `YYYYMMDD-HHMMSS-...` id, as ISO; undefined for other names. */
export function createdAtFromId(id: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})(?:-|$)/.exec(id);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(y, mo - 1, d, h, mi, s);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function folderTime(dir: string): string {
  try {
    return fs.statSync(dir).mtime.toISOString();
  } catch {
    return new Date(0).toISOString();
  }
}

function latestEval(dir: string, problems: string[]): EvalRecord | null {
  try {
    const rec = findLastMetric(runPaths(dir).metrics, 'eval');
    if (rec) return rec;
  } catch (err) {
    problems.push((err as Error).message);
  }
  // An evaluation written without its metrics record (e.g. metrics.jsonl lost): use the file.
  const tags = listEvalTags(dir);
  const last = tags[tags.length - 1];
  if (last === undefined) return null;
  try {
    const file = readEvalFile(dir, last);
    return evalRecordOf(file, fs.statSync(runPaths(dir).evalFile(last)).mtime);
  } catch (err) {
    problems.push((err as Error).message);
    return null;
  }
}

/** True when `dir` looks like a run folder (it has a run.json). */
export function isRunDirectory(dir: string): boolean {
  return fs.existsSync(path.join(dir, RUN_FILES.run));
}

/**
 * Every run under `root` (folders with a run.json; a folder still being created has none yet),
 * newest first. A missing root is an empty catalog.
 */
export function listRuns(root: string, hostname = os.hostname()): RunSummary[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(root, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const runs = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => path.join(root, e.name))
    .filter(isRunDirectory)
    .map((dir) => summarizeRun(dir, hostname));
  return runs.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Finding a run from what a user typed

export type RunLookup = { ok: true; dir: string } | { ok: false; message: string; suggestions: string[] };

/**
 * A run given as a path to its folder, or as an id under `root` (an exact id, or a part of an id
 * such as its slug that matches exactly one id). On failure, the closest ids are suggested.
 */
export function findRun(root: string, ref: string): RunLookup {
  const asPath = path.resolve(ref);
  if ((ref.includes('/') || ref.includes(path.sep) || ref === '.' || ref === '..') && isRunDirectory(asPath))
    return { ok: true, dir: asPath };
  const exact = path.join(root, ref);
  if (!ref.includes('/') && !ref.includes(path.sep) && isRunDirectory(exact)) return { ok: true, dir: path.resolve(exact) };
  if (isRunDirectory(asPath)) return { ok: true, dir: asPath };

  let ids: string[];
  try {
    ids = fs
      .readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && isRunDirectory(path.join(root, e.name)))
      .map((e) => e.name);
  } catch {
    return { ok: false, message: `no run "${ref}": the runs folder ${path.resolve(root)} does not exist`, suggestions: [] };
  }
  const partial = ids.filter((id) => id.includes(ref));
  if (partial.length === 1) return { ok: true, dir: path.resolve(root, partial[0]!) };
  if (partial.length > 1) {
    return {
      ok: false,
      message: `"${ref}" matches ${partial.length} runs in ${path.resolve(root)}; give more of the id`,
      suggestions: partial.sort().slice(0, 10),
    };
  }
  const suggestions = closestMatches(ref, ids, 5);
  return { ok: false, message: `no run "${ref}" in ${path.resolve(root)}`, suggestions };
}

/** Up to `max` candidates nearest to `word`: containing it, or within a small edit distance. */
export function closestMatches(word: string, candidates: readonly string[], max = 5): string[] {
  const w = word.toLowerCase();
  const scored = candidates.map((c) => {
    const lc = c.toLowerCase();
    // Compare with the id's tail too, where the slug a user remembers lives.
    const tail = lc.slice(-Math.max(w.length, 1));
    const d = lc.includes(w) ? 0 : Math.min(editDistance(w, lc), editDistance(w, tail) + 1);
    return { c, d };
  });
  const limit = Math.max(2, Math.floor(w.length / 3));
  return scored
    .filter((s) => s.d <= limit)
    .sort((a, b) => a.d - b.d || (a.c < b.c ? 1 : -1))
    .slice(0, max)
    .map((s) => s.c);
}

/** Levenshtein distance (small strings only: commands, flags, run ids). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
