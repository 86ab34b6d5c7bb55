// Launch queue policy: at most `max` runs at a time, the rest wait and start in the order they
// were asked for. Pure; the scheduler applies it.

export type LaunchMode = 'start' | 'resume';

export interface LaunchRequest {
  dir: string;
  mode: LaunchMode;
  /** ms since the epoch; ties keep insertion order. */
  requestedAt: number;
}

/** The setting as a usable limit (integer >= 1; anything else falls back to 1). */
export function normalizeMaxConcurrent(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 ? Math.floor(value) : 1;
}

/** Requests to launch now, oldest first, given how many runs are already running. */
export function nextLaunches(queue: readonly LaunchRequest[], running: number, max: number): LaunchRequest[] {
  const free = Math.max(0, normalizeMaxConcurrent(max) - running);
  return [...queue]
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r.requestedAt - b.r.requestedAt || a.i - b.i)
    .slice(0, free)
    .map(({ r }) => r);
}

/** Adds a request unless the same run is already waiting (then the queue is returned as is). */
export function enqueue(queue: readonly LaunchRequest[], request: LaunchRequest): LaunchRequest[] {
  return queue.some((r) => r.dir === request.dir) ? [...queue] : [...queue, request];
}

export function dequeue(queue: readonly LaunchRequest[], dir: string): LaunchRequest[] {
  return queue.filter((r) => r.dir !== dir);
}
