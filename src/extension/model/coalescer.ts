// Coalesces bursts of file events: keys added within `quietMs` of each other are flushed
// together, and never later than `maxMs` after the first one (so a steady stream of writes still
// shows up promptly).

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class Coalescer<K> {
  private keys = new Set<K>();
  private quiet: unknown;
  private deadline: unknown;
  private disposed = false;

  constructor(
    private readonly flushFn: (keys: Set<K>) => void,
    private readonly quietMs = 20,
    private readonly maxMs = 100,
    private readonly timers: Timers = realTimers,
  ) {}

  add(key: K): void {
    if (this.disposed) return;
    this.keys.add(key);
    if (this.quiet !== undefined) this.timers.clearTimeout(this.quiet);
    this.quiet = this.timers.setTimeout(() => this.flush(), this.quietMs);
    if (this.deadline === undefined) this.deadline = this.timers.setTimeout(() => this.flush(), this.maxMs);
  }

  /** Flushes now (nothing happens when no key is waiting). */
  flush(): void {
    if (this.quiet !== undefined) this.timers.clearTimeout(this.quiet);
    if (this.deadline !== undefined) this.timers.clearTimeout(this.deadline);
    this.quiet = this.deadline = undefined;
    if (this.keys.size === 0) return;
    const keys = this.keys;
    this.keys = new Set();
    this.flushFn(keys);
  }

  dispose(): void {
    this.disposed = true;
    if (this.quiet !== undefined) this.timers.clearTimeout(this.quiet);
    if (this.deadline !== undefined) this.timers.clearTimeout(this.deadline);
    this.keys.clear();
  }
}
