// One run folder as the experiments table needs it: identity, status, progress, the flattened
// config, tags / note and every evaluation's headline figures (never a confusion matrix). Read
// from run.json, classes.json, meta.json and metrics.jsonl's eval records (the eval files only
// when metrics.jsonl lists none). `SummaryCache` re-reads a run only when its files
// changed, and reads metrics.jsonl incrementally, so a table of 1,000 runs stays cheap to refresh.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createdAtFromId, displayStatus, isRunDirectory } from '../catalog';
import { readabilityOf, runFileProblems, type KnownRead } from '../readability';
import type { ClassesFile, DisplayStatus, EvalRecord, RunManifest } from '../contract';
import { evalRecordOf } from '../evalMath';
import { MetricsTail } from '../metricsLog';
import { listEvalTags, readClassesFile, readEvalFile, readRunConfig, readRunManifest, runPaths } from '../runDirectory';
import type { ConfigValue } from '../../protocol/experimentsTable';
import { metaPath, readRunMeta, type RunMeta } from './meta';

/** The headline figures of one evaluation (fractions 0..1). */
export interface EvalPoint {
  tag: string;
  epoch: number;
  top1: number;
  /** null: not recorded (an imported run without these figures). */
  top5: number | null;
  many: number | null;
  medium: number | null;
  few: number | null;
}

export type { ConfigValue } from '../../protocol/experimentsTable';

export interface ExperimentSummary {
  /** The folder name. */
  id: string;
  dir: string;
  name: string;
  status: DisplayStatus;
  /** Why the run is unreadable or partly readable (as in the Runs tree); absent when all is well. */
  problem?: string;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  /** Seconds from start to end (or to the last record of a run that has not ended); null before it starts. */
  durationSeconds: number | null;
  epoch: number | null;
  epochs: number | null;
  backend: string | null;
  /** Number of classes (classes.json, else the config's synthetic class count); null when unknown. */
  classes: number | null;
  sweepId: string | null;
  /** The config as dotted keys (`loss.alpha`, `optim.lr`, `seed`); `name` is left out (it names, it does not configure). */
  config: Record<string, ConfigValue>;
  meta: RunMeta & { problem?: string };
  /** Every evaluation, by epoch (one per tag; a re-evaluation of a tag replaces it). */
  evals: EvalPoint[];
}

/** Config keys that never make two runs different experiments. */
export const IGNORED_CONFIG_KEYS: readonly string[] = ['name', '$schema'];

/** `{loss: {alpha: 1}}` -> `{'loss.alpha': 1}`; arrays are leaves (as JSON text). */
export function flattenConfig(value: unknown): Record<string, ConfigValue> {
  const out: Record<string, ConfigValue> = {};
  const walk = (v: unknown, prefix: string) => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      // `__proto__` would set a prototype on assignment below; no config has such a field.
      const keys = Object.keys(v)
        .filter((k) => k !== '__proto__')
        .sort();
      if (keys.length === 0 && prefix) out[prefix] = '{}';
      for (const k of keys) walk((v as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k);
      return;
    }
    if (!prefix || IGNORED_CONFIG_KEYS.includes(prefix)) return;
    if (v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out[prefix] = v;
    else out[prefix] = JSON.stringify(v) ?? null;
  };
  walk(value, '');
  return out;
}

/** Incremental state of one run's metrics.jsonl (kept by the cache between reads). */
export interface EvalTrack {
  tail: MetricsTail;
  /** Eval records by tag (a later record of the same tag replaces the earlier one). */
  byTag: Map<string, EvalPoint>;
  lastTime: string | null;
}

export function newEvalTrack(dir: string): EvalTrack {
  return { tail: new MetricsTail(runPaths(dir).metrics).onlyKinds(['eval', 'epoch']), byTag: new Map(), lastTime: null };
}

function pointOf(r: EvalRecord): EvalPoint {
  return { tag: r.tag, epoch: r.epoch, top1: r.top1, top5: r.top5, many: r.many, medium: r.medium, few: r.few };
}

/** Reads what metrics.jsonl gained since the last call into `track`. */
function advance(track: EvalTrack, problems: string[]): void {
  try {
    const batch = track.tail.readBatch();
    if (batch.restarted) {
      track.byTag.clear();
      track.lastTime = null;
    }
    for (const r of batch.records) {
      if (r.kind === 'eval') track.byTag.set(r.tag, pointOf(r));
      if (r.kind === 'eval' || r.kind === 'epoch') track.lastTime = r.time;
    }
  } catch (err) {
    problems.push(`${track.tail.file}: cannot read: ${(err as Error).message}`);
  }
}

/** The evaluations: metrics.jsonl's records plus eval files it does not list (read from the file). */
function evalsOf(dir: string, track: EvalTrack, problems: string[], tags: readonly string[]): EvalPoint[] {
  const points = new Map(track.byTag);
  for (const tag of tags) {
    if (points.has(tag)) continue;
    try {
      points.set(tag, pointOf(evalRecordOf(readEvalFile(dir, tag))));
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return [...points.values()].sort((a, b) => a.epoch - b.epoch || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
}

function classCount(classes: KnownRead<ClassesFile | undefined>, manifest: RunManifest | null, problems: string[]): number | null {
  if (classes.ok && classes.value) return classes.value.names.length;
  if (!classes.ok) problems.push(classes.problem);
  const data = (manifest?.config as { data?: { kind?: unknown; classes?: unknown } } | undefined)?.data;
  return data?.kind === 'synthetic' && typeof data.classes === 'number' ? data.classes : null;
}

function seconds(from: string | null, to: string | null): number | null {
  if (!from || !to) return null;
  const s = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(s) && s >= 0 ? s : null;
}

/**
 * Summary of one run folder; never throws. `track` carries metrics.jsonl state between calls
 * (pass the same one to read only appended bytes).
 */
export function readRunSummary(dir: string, track: EvalTrack = newEvalTrack(dir), hostname = os.hostname()): ExperimentSummary {
  const id = path.basename(dir);
  const problems: string[] = [];
  let manifest: RunManifest | null = null;
  let manifestRead: KnownRead<unknown>;
  try {
    manifest = readRunManifest(dir);
    manifestRead = { ok: true, value: manifest };
  } catch (err) {
    problems.push((err as Error).message);
    manifestRead = { ok: false, problem: (err as Error).message };
  }
  let classesRead: KnownRead<ClassesFile | undefined>;
  try {
    classesRead = { ok: true, value: readClassesFile(dir) };
  } catch (err) {
    classesRead = { ok: false, problem: (err as Error).message };
  }
  let configSource: unknown = manifest?.config;
  if (!manifest) {
    // run.json is broken: config.json still says what the run was.
    try {
      configSource = readRunConfig(dir);
    } catch {
      configSource = undefined;
    }
  }
  const rawMeta = readRunMeta(dir);
  advance(track, problems);
  // The trainer announces every eval file in metrics.jsonl; the folder is listed only when it
  // announced none (metrics.jsonl lost or never written), as the catalog does.
  const evals = evalsOf(dir, track, problems, track.byTag.size ? [] : listEvalTags(dir));
  const startedAt = manifest?.startedAt ?? null;
  const endedAt = manifest?.endedAt ?? null;
  const summary: ExperimentSummary = {
    id,
    dir,
    name: manifest?.name ?? id,
    status: manifest ? displayStatus(manifest, hostname) : 'unreadable',
    createdAt: manifest?.createdAt ?? createdAtFromId(id) ?? folderTime(dir),
    startedAt,
    endedAt,
    durationSeconds: seconds(startedAt, endedAt ?? track.lastTime),
    epoch: manifest?.progress.epoch ?? null,
    epochs: manifest?.progress.epochs ?? null,
    backend: manifest?.backend ?? null,
    classes: classCount(classesRead, manifest, problems),
    sweepId: manifest?.sweepId ?? null,
    config: configSource === undefined ? {} : flattenConfig(configSource),
    meta: rawMeta.problem === undefined ? rawMeta.meta : { ...rawMeta.meta, problem: rawMeta.problem },
    evals,
  };
  // The wording every view shares ("unreadable: ..." / "partly readable: ...").
  // run.json and classes.json were read above; the check reads the rest once.
  const readability = readabilityOf(runFileProblems(dir, { manifest: manifestRead, classes: classesRead }));
  if (readability !== undefined) summary.problem = readability;
  return summary;
}

function folderTime(dir: string): string {
  try {
    return fs.statSync(dir).mtime.toISOString();
  } catch {
    return new Date(0).toISOString();
  }
}

// ---------------------------------------------------------------------------------------------
// The cache

/**
 * The files whose change makes a summary stale (metrics.jsonl is then read from where it
 * stopped). config.json and the checkpoint index count for the readability line. The evals/
 * folder is listed only when metrics.jsonl announces no evaluation, so it counts only then (`full`).
 */
function fingerprintFiles(dir: string): string[] {
  const p = runPaths(dir);
  return [p.run, p.classes, metaPath(dir), p.metrics, p.config, p.checkpointIndex];
}

function filesOf(dir: string, full: boolean): string[] {
  return full ? [...fingerprintFiles(dir), runPaths(dir).evals] : fingerprintFiles(dir);
}

const statPart = (st: fs.Stats): string => `${st.mtimeMs}:${st.size}:${st.ino}`;

function fingerprint(dir: string, full: boolean): string {
  const parts: string[] = [];
  for (const f of filesOf(dir, full)) {
    try {
      parts.push(statPart(fs.statSync(f)));
    } catch {
      parts.push('-');
    }
  }
  return parts.join('|');
}

/** `fingerprint` with the stats made off the event loop (all of one run's files at once). */
async function fingerprintAsync(dir: string, full: boolean): Promise<string> {
  const parts = await Promise.all(
    filesOf(dir, full).map((f) =>
      fs.promises.stat(f).then(
        (st) => statPart(st),
        () => '-',
      ),
    ),
  );
  return parts.join('|');
}

/**
 * A fingerprint taken before a read, as the read turned out to need it: the full one (with
 * evals/, last) loses its evals/ part, a partial one gains it (one stat, now).
 */
function fingerprintFor(dir: string, fp: string, full: boolean): string {
  const parts = fp.split('|');
  const isFull = parts.length > fingerprintFiles(dir).length;
  if (isFull === full) return fp;
  if (isFull) return parts.slice(0, -1).join('|');
  let evals = '-';
  try {
    evals = statPart(fs.statSync(runPaths(dir).evals));
  } catch {
    // no evals/ folder
  }
  return `${fp}|${evals}`;
}

/** Lets the event loop run (I/O callbacks, messages) before the next slice of work. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function needsFullFingerprint(s: ExperimentSummary, track: EvalTrack): boolean {
  return s.status === 'unreadable' || track.byTag.size === 0;
}

interface Entry {
  summary: ExperimentSummary;
  track: EvalTrack;
  fingerprint: string;
  /** Set by `invalidate`: the next `get` re-reads without looking at the files first. */
  stale: boolean;
}

export interface CacheStats {
  /** Summaries read from the files. */
  reads: number;
  /** Summaries returned from the cache. */
  hits: number;
}

/**
 * Summaries by run folder. `get` re-reads a run when its files changed (stat of run.json,
 * config.json, classes.json, meta.json, metrics.jsonl and the evals/ folder) or when it was
 * invalidated; `peek` returns what is cached without touching the disk (for a watcher-driven view
 * that invalidates exactly the runs whose files changed). A `running` run's status is
 * re-derived on every `get` (its trainer may have died without a file changing).
 */
export class SummaryCache {
  private readonly entries = new Map<string, Entry>();
  readonly stats: CacheStats = { reads: 0, hits: 0 };

  constructor(private readonly hostname = os.hostname()) {}

  get(dir: string): ExperimentSummary {
    const key = path.resolve(dir);
    return this.resolve(key, fingerprint(key, this.needsFull(key)));
  }

  /**
   * `get` of many runs without holding the event loop for long (the extension host reads 1,000
   * runs this way): the fingerprints are taken with async stats, a chunk of runs at a time, and
   * the runs that must be read are read in slices of at most about `sliceMs`, yielding to the
   * event loop between slices. Same results, same cache, as `get` of each.
   */
  async getMany(dirs: readonly string[], options: { sliceMs?: number; chunk?: number } = {}): Promise<ExperimentSummary[]> {
    const sliceMs = options.sliceMs ?? 8;
    const chunk = options.chunk ?? 32;
    const keys = dirs.map((d) => path.resolve(d));
    const stats = (from: number) => Promise.all(keys.slice(from, from + chunk).map((k) => fingerprintAsync(k, this.needsFull(k))));
    const out: ExperimentSummary[] = [];
    let next = stats(0);
    for (let i = 0; i < keys.length; i += chunk) {
      const fps = await next;
      // The next chunk's stats run in the thread pool while this chunk is read.
      next = i + chunk < keys.length ? stats(i + chunk) : Promise.resolve([]);
      let sliceStart = performance.now();
      for (let j = 0; j < fps.length; j++) {
        if (performance.now() - sliceStart > sliceMs) {
          await yieldToEventLoop();
          sliceStart = performance.now();
        }
        out.push(this.resolve(keys[i + j]!, fps[j]!));
      }
    }
    return out;
  }

  private needsFull(key: string): boolean {
    const entry = this.entries.get(key);
    return !entry || needsFullFingerprint(entry.summary, entry.track);
  }

  /** The cached summary when `fp` (taken now) matches it, else the run read again. */
  private resolve(key: string, fp: string): ExperimentSummary {
    const entry = this.entries.get(key);
    if (entry && !entry.stale && entry.fingerprint === fp) {
      this.stats.hits++;
      if (entry.summary.status === 'running') this.refreshStatus(entry);
      return entry.summary;
    }
    const track = entry?.track ?? newEvalTrack(key);
    const summary = readRunSummary(key, track, this.hostname);
    this.stats.reads++;
    // The fingerprint taken before the read, so a change during the read is seen next time.
    this.entries.set(key, { summary, track, fingerprint: fingerprintFor(key, fp, needsFullFingerprint(summary, track)), stale: false });
    return summary;
  }

  /** The cached summary, without reading anything (undefined when the run was never read). */
  peek(dir: string): ExperimentSummary | undefined {
    return this.entries.get(path.resolve(dir))?.summary;
  }

  /** The next `get(dir)` re-reads the run (a watcher saw one of its files change). */
  invalidate(dir: string): void {
    const entry = this.entries.get(path.resolve(dir));
    if (entry) entry.stale = true;
  }

  /** Drops a run (its folder was deleted). */
  forget(dir: string): void {
    this.entries.delete(path.resolve(dir));
  }

  /** Every run folder under `root` (folders with a run.json, dot-folders skipped), newest first. */
  listRoot(root: string): ExperimentSummary[] {
    const dirs = runFolders(root);
    const wanted = new Set(dirs.map((d) => path.resolve(d)));
    for (const key of this.entries.keys()) if (path.dirname(key) === path.resolve(root) && !wanted.has(key)) this.entries.delete(key);
    return sortNewestFirst(dirs.map((d) => this.get(d)));
  }

  get size(): number {
    return this.entries.size;
  }

  private refreshStatus(entry: Entry): void {
    try {
      entry.summary = { ...entry.summary, status: displayStatus(readRunManifest(entry.summary.dir), this.hostname) };
    } catch {
      entry.stale = true;
    }
  }
}

/** Run folders under `root` (a missing root has none). */
export function runFolders(root: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(root, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => path.join(root, e.name))
    .filter(isRunDirectory);
}

export function sortNewestFirst(summaries: ExperimentSummary[]): ExperimentSummary[] {
  return summaries.sort((a, b) =>
    a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0,
  );
}

/** Every run under `root`, read without a cache (the CLI's one-shot path). */
export function readRunSummaries(root: string, hostname = os.hostname()): ExperimentSummary[] {
  return sortNewestFirst(runFolders(root).map((d) => readRunSummary(d, newEvalTrack(d), hostname)));
}
