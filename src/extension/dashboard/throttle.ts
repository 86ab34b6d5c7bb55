// Throttles full-snapshot sends: the first change after a quiet spell goes out at once (an
// appended evaluation shows immediately), later ones at most every `intervalMs`, coalesced.
// No vscode: unit-tested under Node.

export class Throttle {
  private last = -Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(
    private readonly run: () => void,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Asks for a run: now if the interval has passed, else once at the end of it. */
  request(): void {
    if (this.disposed || this.timer !== undefined) return;
    const wait = this.last + this.intervalMs - this.now();
    if (wait <= 0) this.fire();
    else this.timer = setTimeout(() => this.fire(), wait);
  }

  /** Runs now whatever the interval (the webview said `ready` and needs its snapshot). */
  flush(): void {
    if (this.disposed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.fire();
  }

  private fire(): void {
    this.timer = undefined;
    this.last = this.now();
    this.run();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
