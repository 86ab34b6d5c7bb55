// The launch queue: runs asked for in this workspace wait here until a slot is free
// (gpaco.maxConcurrentRuns), then start in order. The queue is persisted (workspace state), so
// runs queued before a window reload still start after it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dequeue, enqueue, nextLaunches, type LaunchMode, type LaunchRequest } from '../model/queuePolicy';
import { Emitter } from '../../core/emitter';
import type { RunStore } from '../watch/runStore';
import type { Launcher } from './launcher';

/** The part of vscode.Memento the queue needs. */
export interface QueueStorage {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

const KEY = 'gpaco.launchQueue';

export interface LaunchFailure {
  dir: string;
  error: Error;
}

export class Scheduler {
  private queue: LaunchRequest[];
  private pumping = false;
  private again = false;
  private readonly failures = new Emitter<LaunchFailure>();
  readonly onDidFailToLaunch = this.failures.event;

  constructor(
    private readonly store: RunStore,
    private readonly launcher: Launcher,
    private readonly storage: QueueStorage,
    private readonly maxConcurrent: () => number,
  ) {
    const saved = storage.get<LaunchRequest[]>(KEY);
    this.queue = Array.isArray(saved) ? saved.filter((r) => typeof r?.dir === 'string' && fs.existsSync(r.dir)) : [];
    store.setPendingLookup((dir) => this.queue.find((r) => r.dir === dir)?.mode ?? null);
  }

  pendingMode(dir: string): LaunchMode | null {
    return this.queue.find((r) => r.dir === dir)?.mode ?? null;
  }

  get size(): number {
    return this.queue.length;
  }

  async request(dir: string, mode: LaunchMode): Promise<void> {
    this.queue = enqueue(this.queue, { dir: path.resolve(dir), mode, requestedAt: Date.now() });
    await this.save();
    await this.pump();
  }

  async cancel(dir: string): Promise<void> {
    this.queue = dequeue(this.queue, path.resolve(dir));
    await this.save();
  }

  /** Starts waiting runs while slots are free. Safe to call at any time (re-entrant calls merge). */
  async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        const running = this.runningCount();
        for (const req of nextLaunches(this.queue, running, this.maxConcurrent())) {
          this.queue = dequeue(this.queue, req.dir);
          await this.save();
          const view = this.store.get(req.dir) ?? this.store.reload(req.dir);
          if (!view) continue; // deleted meanwhile
          try {
            await this.launcher.start({ dir: view.dir, id: view.id }, req.mode);
          } catch (err) {
            const error = err instanceof Error ? err : new Error(String(err));
            // Node missing or too old: the run stays where it was (queued / stopped), not failed,
            // so it can be started once the setting is fixed.
            this.failures.fire({ dir: view.dir, error });
            continue;
          }
          // The trainer marks itself running within a moment; it takes a slot meanwhile.
          this.launched.add(view.dir);
          this.store.reload(view.dir);
        }
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  }

  /** Runs this window launched; one whose run.json does not say `running` yet still takes a slot. */
  private readonly launched = new Set<string>();

  runningCount(): number {
    let n = 0;
    for (const v of this.store.views()) {
      // Slurm runs train on the cluster: they take no local slot.
      if (v.manifest?.launch?.kind === 'slurm') continue;
      if (v.status === 'running') n++;
      else if (this.launched.has(v.dir)) {
        if (this.launcher.isAlive({ dir: v.dir, id: v.id })) n++;
        else this.launched.delete(v.dir);
      }
    }
    return n;
  }

  private async save(): Promise<void> {
    this.store.refreshPending();
    await this.storage.update(KEY, this.queue);
  }

  dispose(): void {
    this.failures.dispose();
  }
}
