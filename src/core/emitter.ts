// Listeners of an event: subscribe (the handle unsubscribes), fire, drop all on dispose. The one
// implementation behind every `onDidX(listener)` of the store, the launchers, the scheduler and
// the Slurm follower and client (vscode-free, so core can use it too).

export interface Subscription {
  dispose(): void;
}

export class Emitter<T> {
  private readonly listeners = new Set<(event: T) => void>();

  /** Subscribes `listener`; disposing the result unsubscribes it. */
  readonly event = (listener: (event: T) => void): Subscription => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  /** Calls every listener (one that unsubscribes another during the call does not disturb the loop). */
  fire(event: T): void {
    for (const l of [...this.listeners]) l(event);
  }

  get size(): number {
    return this.listeners.size;
  }

  dispose(): void {
    this.listeners.clear();
  }
}
