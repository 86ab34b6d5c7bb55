// The editor's picture of every run under the runs roots, kept current incrementally: a change
// re-reads only the file that changed, and metrics.jsonl only from the bytes appended since the
// last read (MetricsTail). No `vscode` here, so it is unit-tested on real folders.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RUN_FILES, type CheckpointEntry, type DisplayStatus, type MetricRecord, type RunManifest } from '../../core/contract';
import { MetricsTail } from '../../core/metricsLog';
import { META_FILE, readRunMeta } from '../../core/experiments/meta';
import { readCheckpointIndex, readRunManifest } from '../../core/runDirectory';
import { runFileProblems } from '../../core/readability';
import { displayStatus } from '../../core/catalog';
import { Emitter } from '../../core/emitter';
import { compareNewestFirst, type EvalSummary, type RunView } from '../model/runView';

/** Which part of a run changed (from the path of a file event). */
/** `files`: evals/ or classes.json, which the store does not cache; open panels re-read them. */
export type RunPart = 'manifest' | 'metrics' | 'checkpoints' | 'meta' | 'files' | 'all';

export interface StoreChange {
  /** Runs whose view changed. */
  changed: RunView[];
  /** Runs that disappeared (folder removed). */
  removed: string[];
  /** True when runs were added or removed (the list itself changed). */
  structural: boolean;
}

interface Entry {
  view: RunView;
  tail: MetricsTail;
  /** Latest epoch number seen in metrics.jsonl. */
  metricsEpoch: number;
}

/** Maps a path inside a runs root to its run folder and the part of the run it belongs to. */
export function classifyPath(root: string, file: string): { dir: string; part: RunPart } | undefined {
  const rel = path.relative(root, file);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const segs = rel.split(path.sep);
  const dir = path.join(root, segs[0]!);
  if (segs.length === 1) return { dir, part: 'all' };
  const rest = segs.slice(1).join('/');
  if (rest === RUN_FILES.run) return { dir, part: 'manifest' };
  if (rest === RUN_FILES.metrics) return { dir, part: 'metrics' };
  if (rest === RUN_FILES.checkpointIndex || rest === RUN_FILES.checkpoints) return { dir, part: 'checkpoints' };
  if (rest === META_FILE) return { dir, part: 'meta' };
  if (rest === RUN_FILES.classes || rest === RUN_FILES.config || rest.startsWith(`${RUN_FILES.evals}/`)) return { dir, part: 'files' };
  return undefined;
}

export class RunStore {
  private readonly entries = new Map<string, Entry>();
  private readonly changes = new Emitter<StoreChange>();
  private pendingOf: (dir: string) => 'start' | 'resume' | null = () => null;
  private overlay: (dir: string, manifest: RunManifest, status: DisplayStatus) => DisplayStatus = (_d, _m, s) => s;

  constructor(private readonly host: string = os.hostname()) {}

  readonly onDidChange = this.changes.event;

  /** Lets a launcher refine a run's status (a Slurm run is `unknown` while its cluster cannot be asked). */
  setStatusOverlay(fn: (dir: string, manifest: RunManifest, status: DisplayStatus) => DisplayStatus): void {
    this.overlay = fn;
  }

  /** Tells the store which runs wait in the launch queue (shown in their views). */
  setPendingLookup(fn: (dir: string) => 'start' | 'resume' | null): void {
    this.pendingOf = fn;
  }

  views(): RunView[] {
    return [...this.entries.values()].map((e) => e.view).sort(compareNewestFirst);
  }

  get(dir: string): RunView | undefined {
    return this.entries.get(dir)?.view;
  }

  /** Finds a run by absolute folder or by id (folder name). */
  find(ref: string): RunView | undefined {
    const byDir = this.entries.get(path.resolve(ref));
    if (byDir && path.isAbsolute(ref)) return byDir.view;
    for (const e of this.entries.values()) if (e.view.id === ref) return e.view;
    return undefined;
  }

  /** Replaces the set of roots: loads every run in them and forgets runs of other roots. */
  setRoots(roots: readonly string[]): void {
    const keep = new Set(roots.map((r) => path.resolve(r)));
    const removed: string[] = [];
    for (const [dir, e] of this.entries) {
      if (!keep.has(e.view.root)) {
        this.entries.delete(dir);
        removed.push(dir);
      }
    }
    const changed: RunView[] = [];
    for (const root of keep) changed.push(...this.scanRoot(root));
    this.emit({ changed, removed, structural: true });
  }

  /** Loads runs found in `root` that are not known yet, and reloads known ones. */
  private scanRoot(root: string): RunView[] {
    let names: fs.Dirent[];
    try {
      names = fs.readdirSync(root, { withFileTypes: true });
    } catch {
      return [];
    }
    const out: RunView[] = [];
    for (const d of names) {
      if (!d.isDirectory() || d.name.startsWith('.')) continue;
      const dir = path.join(root, d.name);
      const v = this.load(root, dir, 'all');
      if (v) out.push(v);
    }
    return out;
  }

  /** Applies a batch of changed parts (from the watcher) and emits one change. */
  applyChanges(changes: ReadonlyMap<string, { root: string; parts: Set<RunPart> }>): void {
    const changed: RunView[] = [];
    const removed: string[] = [];
    let structural = false;
    for (const [dir, { root, parts }] of changes) {
      const known = this.entries.has(dir);
      if (!fs.existsSync(dir)) {
        if (known) {
          this.entries.delete(dir);
          removed.push(dir);
          structural = true;
        }
        continue;
      }
      const part: RunPart = !known || parts.has('all') ? 'all' : parts.size === 1 ? [...parts][0]! : 'all';
      let v: RunView | undefined;
      if (part === 'all' || parts.size === 1) v = this.load(root, dir, part);
      else for (const p of parts) v = this.load(root, dir, p);
      if (v) {
        changed.push(v);
        if (!known) structural = true;
      }
    }
    if (changed.length || removed.length) this.emit({ changed, removed, structural });
  }

  /** Re-checks liveness of running runs (a SIGKILLed trainer writes nothing). */
  recheckLiveness(): void {
    const changed: RunView[] = [];
    for (const e of this.entries.values()) {
      const m = e.view.manifest;
      if (!m || m.status !== 'running') continue;
      const status = this.overlay(e.view.dir, m, displayStatus(m, this.host));
      if (status !== e.view.status) {
        e.view = { ...e.view, status };
        changed.push(e.view);
      }
    }
    if (changed.length) this.emit({ changed, removed: [], structural: false });
  }

  /** Re-reads the pending flags (after the launch queue changed). */
  refreshPending(): void {
    const changed: RunView[] = [];
    for (const e of this.entries.values()) {
      const pending = this.pendingOf(e.view.dir);
      if (pending !== e.view.pending) {
        e.view = { ...e.view, pending };
        changed.push(e.view);
      }
    }
    if (changed.length) this.emit({ changed, removed: [], structural: false });
  }

  /** Reloads one run now (e.g. after the launcher changed its run.json). */
  reload(dir: string): RunView | undefined {
    const e = this.entries.get(dir);
    const root = e?.view.root ?? path.dirname(dir);
    const v = this.load(root, dir, 'all');
    if (v) this.emit({ changed: [v], removed: [], structural: !e });
    return v;
  }

  private load(root: string, dir: string, part: RunPart): RunView | undefined {
    let e = this.entries.get(dir);
    if (!e || part === 'all') {
      // A folder without run.json is not a run (yet): createRunDirectory writes it right after mkdir.
      if (!fs.existsSync(path.join(dir, RUN_FILES.run))) {
        if (e) this.entries.delete(dir);
        return undefined;
      }
      e = {
        view: {
          dir,
          id: path.basename(dir),
          root,
          status: 'queued',
          manifest: null,
          problem: null,
          epoch: 0,
          epochs: 0,
          latestEval: null,
          checkpoints: [],
          pending: null,
          tags: [],
          metaProblem: null,
        },
        tail: new MetricsTail(path.join(dir, RUN_FILES.metrics)),
        metricsEpoch: 0,
      };
      this.entries.set(dir, e);
      this.readManifest(e);
      this.readMetrics(e);
      this.readCheckpoints(e);
      this.readMeta(e);
    } else if (part === 'manifest') this.readManifest(e);
    else if (part === 'meta') this.readMeta(e);
    else if (part === 'metrics') this.readMetrics(e);
    else if (part === 'checkpoints') this.readCheckpoints(e);
    // 'files': only the readability line is cached here; emitting the change makes open panels re-read them.
    else if (part === 'files') e.view = { ...e.view, partial: runFileProblems(dir).others };
    e.view = { ...e.view, pending: this.pendingOf(dir) };
    return e.view;
  }

  private readManifest(e: Entry): void {
    let manifest: RunManifest | null = null;
    let problem: string | null = null;
    try {
      manifest = readRunManifest(e.view.dir);
    } catch (err) {
      problem = (err as Error).message;
    }
    const status = manifest ? this.overlay(e.view.dir, manifest, displayStatus(manifest, this.host)) : 'unreadable';
    e.view = {
      ...e.view,
      manifest,
      problem,
      status,
      epochs: manifest?.progress.epochs ?? e.view.epochs,
      epoch: Math.max(manifest?.progress.epoch ?? 0, e.metricsEpoch),
    };
  }

  private readMetrics(e: Entry): void {
    let batch: { records: MetricRecord[]; restarted: boolean };
    try {
      batch = e.tail.readBatch();
    } catch {
      return; // unreadable for now; the next event retries
    }
    const { records, restarted } = batch;
    let latestEval: EvalSummary | null = restarted ? null : e.view.latestEval;
    let epoch = restarted ? 0 : e.metricsEpoch;
    for (const r of records) {
      switch (r.kind) {
        case 'epoch':
          epoch = Math.max(epoch, r.epoch);
          break;
        case 'eval':
          if (!latestEval || r.epoch >= latestEval.epoch) {
            latestEval = { epoch: r.epoch, tag: r.tag, top1: r.top1, many: r.many, medium: r.medium, few: r.few };
          }
          break;
        case 'step':
        case 'checkpoint':
        case 'event':
          break;
      }
    }
    e.metricsEpoch = epoch;
    e.view = { ...e.view, latestEval, epoch: Math.max(e.view.manifest?.progress.epoch ?? 0, epoch) };
  }

  private readCheckpoints(e: Entry): void {
    let checkpoints: CheckpointEntry[];
    try {
      checkpoints = readCheckpointIndex(e.view.dir).checkpoints;
    } catch {
      checkpoints = []; // a malformed index lists nothing rather than something false
    }
    e.view = { ...e.view, checkpoints, partial: runFileProblems(e.view.dir).others };
  }

  private readMeta(e: Entry): void {
    const read = readRunMeta(e.view.dir);
    e.view = { ...e.view, tags: read.meta.tags, metaProblem: read.problem ?? null };
  }

  private emit(change: StoreChange): void {
    this.changes.fire(change);
  }

  dispose(): void {
    this.changes.dispose();
    this.entries.clear();
  }
}
