// Watches the runs roots, and only them (never the whole workspace), with chokidar, and feeds
// coalesced batches of changed run parts to the RunStore. A root that does not exist yet is
// waited for with a non-recursive watch on its nearest existing parent.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { Coalescer } from '../model/coalescer';
import { classifyPath, type RunPart, type RunStore } from './runStore';

export interface WatcherOptions {
  /** Quiet time that ends a burst (ms). */
  quietMs?: number;
  /** Longest a change waits during a steady stream of writes (ms). */
  maxDelayMs?: number;
  /** How often running runs are checked for a dead process (ms). */
  livenessMs?: number;
  /**
   * > 0: poll the runs folders every this many ms instead of relying on file events (a shared
   * file system does not report writes made by other hosts, e.g. Slurm compute nodes).
   */
  pollIntervalMs?: number;
}

/** chokidar 4 ignores further `change` events of a file for this long after emitting one. */
const CHOKIDAR_CHANGE_THROTTLE_MS = 50;

interface RootWatch {
  root: string;
  watcher?: FSWatcher;
  /** Whether `watcher` finished its initial scan (see close()). */
  ready?: boolean;
  parentWatch?: fs.FSWatcher;
}

export class RunsWatcher {
  private readonly roots = new Map<string, RootWatch>();
  private readonly pending = new Map<string, { root: string; parts: Set<RunPart> }>();
  private readonly coalescer: Coalescer<string>;
  private readonly liveness: ReturnType<typeof setInterval>;
  private disposed = false;
  private pollIntervalMs: number;

  constructor(
    private readonly store: RunStore,
    options: WatcherOptions = {},
  ) {
    this.coalescer = new Coalescer<string>(() => this.flush(), options.quietMs ?? 15, options.maxDelayMs ?? 80);
    this.liveness = setInterval(() => store.recheckLiveness(), options.livenessMs ?? 3000);
    this.liveness.unref();
    this.pollIntervalMs = options.pollIntervalMs ?? 0;
  }

  /** Switches between file events (0) and polling every `ms` (re-opens the root watchers). */
  setPollInterval(ms: number): void {
    if (ms === this.pollIntervalMs) return;
    this.pollIntervalMs = ms;
    for (const w of this.roots.values()) {
      if (!w.watcher) continue;
      this.closeWatcher(w);
      this.attach(w);
    }
  }

  /** Watches exactly these roots (absolute paths) and loads their runs. */
  setRoots(roots: readonly string[]): void {
    const wanted = new Set(roots.map((r) => path.resolve(r)));
    for (const [root, w] of this.roots) {
      if (!wanted.has(root)) {
        this.close(w);
        this.roots.delete(root);
      }
    }
    for (const root of wanted) if (!this.roots.has(root)) this.roots.set(root, this.open(root));
    this.store.setRoots([...wanted]);
  }

  /** Call after creating a root that was missing, so it is watched at once. */
  rootCreated(root: string): void {
    const w = this.roots.get(path.resolve(root));
    if (w && !w.watcher) this.attach(w);
  }

  private open(root: string): RootWatch {
    const w: RootWatch = { root };
    if (fs.existsSync(root)) this.attach(w);
    else this.waitForRoot(w);
    return w;
  }

  private attach(w: RootWatch): void {
    // A parent-folder event can arrive after dispose(), or after an earlier event already attached
    // this root (fs.watch queues several): a second watcher made then would never be closed.
    if (this.disposed || w.watcher) return;
    w.parentWatch?.close();
    w.parentWatch = undefined;
    const watcher = watch(w.root, {
      ignoreInitial: true,
      // <root>/<run>/run.json is depth 1; checkpoints/index.json and evals/<tag>.json depth 2.
      // Checkpoint folders' contents (weights) are never looked at.
      depth: 2,
      ignored: (p: string) => this.ignored(w.root, p),
      // Atomic replace (temp file + rename) is the contract's normal write; report it as a change.
      atomic: false,
      // The extension host (or a test) lives on its own; a handle chokidar fails to close in a
      // race (see closeWatcher) must not keep a process alive.
      persistent: false,
      ...(this.pollIntervalMs > 0 ? { usePolling: true, interval: this.pollIntervalMs, binaryInterval: this.pollIntervalMs } : {}),
    });
    w.ready = false;
    const onEvent = (event: string, p: string) => {
      if (this.disposed || w.watcher !== watcher) return;
      if (p === w.root && event === 'unlinkDir') {
        this.store.setRoots([...this.roots.keys()]);
        return;
      }
      const hit = classifyPath(w.root, p);
      if (!hit) return;
      const entry = this.pending.get(hit.dir) ?? { root: w.root, parts: new Set<RunPart>() };
      entry.parts.add(event === 'addDir' || event === 'unlinkDir' ? 'all' : hit.part);
      this.pending.set(hit.dir, entry);
      this.coalescer.add(hit.dir);
    };
    watcher.on('all', onEvent);
    watcher.on('error', () => {
      /* a run folder removed while being scanned; the next event or refresh recovers */
    });
    w.watcher = watcher;
    // Runs that appeared between the scan and the watch starting.
    watcher.on('ready', () => {
      w.ready = true;
      if (!this.disposed && w.watcher === watcher) this.store.setRoots([...this.roots.keys()]);
    });
  }

  private ignored(root: string, p: string): boolean {
    const rel = path.relative(root, p);
    if (!rel) return false;
    const segs = rel.split(path.sep);
    if (segs[0]!.startsWith('.')) return true;
    if (segs.length === 3 && segs[1] === 'checkpoints') return segs[2] !== 'index.json';
    if (segs.length === 2) return !['run.json', 'metrics.jsonl', 'classes.json', 'meta.json', 'checkpoints', 'evals'].includes(segs[1]!);
    return false;
  }

  private waitForRoot(w: RootWatch): void {
    let parent = path.dirname(w.root);
    while (!fs.existsSync(parent) && path.dirname(parent) !== parent) parent = path.dirname(parent);
    try {
      w.parentWatch = fs.watch(parent, { persistent: false }, () => {
        if (fs.existsSync(w.root)) {
          this.attach(w);
          this.store.setRoots([...this.roots.keys()]);
        } else if (!fs.existsSync(parent) || path.dirname(w.root) !== parent) {
          // A deeper missing folder: move the wait one level down when it appears.
          w.parentWatch?.close();
          this.waitForRoot(w);
        }
      });
    } catch {
      /* no parent can be watched (e.g. it is not a folder): only refresh finds the root */
    }
  }

  private flush(): void {
    if (this.disposed || this.pending.size === 0) return;
    const batch = new Map(this.pending);
    this.pending.clear();
    this.store.applyChanges(batch);
    // chokidar drops a file's `change` events for 50 ms after it emitted one (its throttle), so a
    // trainer writing an eval line right after an epoch line would not be seen until its next
    // write. Reading the same parts again once that window has passed picks such writes up (a
    // tail read of an unchanged file reads nothing).
    for (const [dir, entry] of batch) {
      const t = this.trailing.get(dir) ?? { root: entry.root, parts: new Set<RunPart>() };
      for (const p of entry.parts) if (p !== 'all') t.parts.add(p);
      if (t.parts.size) this.trailing.set(dir, t);
    }
    // Restarted by every flush: each dropped write falls within 50 ms of an emitted event, whose
    // flush comes later, so the read after the last flush sees all of them.
    if (this.trailingTimer) clearTimeout(this.trailingTimer);
    if (this.trailing.size) {
      this.trailingTimer = setTimeout(() => {
        this.trailingTimer = undefined;
        if (this.disposed) return;
        const again = new Map(this.trailing);
        this.trailing.clear();
        this.store.applyChanges(again);
      }, CHOKIDAR_CHANGE_THROTTLE_MS + 15);
    }
  }

  private readonly trailing = new Map<string, { root: string; parts: Set<RunPart> }>();
  private trailingTimer: ReturnType<typeof setTimeout> | undefined;

  /** Number of chokidar watchers (one per existing root). */
  get watchedRoots(): number {
    return [...this.roots.values()].filter((w) => w.watcher).length;
  }

  private closeWatcher(w: RootWatch): void {
    const watcher = w.watcher;
    w.watcher = undefined;
    // chokidar 4 drops (never closes) a folder's fs.watch handle that it opens while close() is
    // pending during a scan, so a watcher still scanning is closed once its scan is done.
    if (watcher && w.ready) void watcher.close();
    else if (watcher) watcher.once('ready', () => void watcher.close());
  }

  private close(w: RootWatch): void {
    this.closeWatcher(w);
    w.parentWatch?.close();
    w.parentWatch = undefined;
  }

  dispose(): void {
    this.disposed = true;
    clearInterval(this.liveness);
    if (this.trailingTimer) clearTimeout(this.trailingTimer);
    this.coalescer.dispose();
    for (const w of this.roots.values()) this.close(w);
    this.roots.clear();
  }
}
