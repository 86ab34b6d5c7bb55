// How a run gets executed. The local launcher runs the trainer as a child process on this
// machine; a Slurm launcher submits a batch job. Either way the run directory is the
// only channel back (docs/architecture.md), so the rest of the extension never cares which.

export interface LaunchTarget {
  /** Absolute run directory (holds run.json and config.json). */
  dir: string;
  id: string;
}

export type LaunchMode = 'start' | 'resume';

/** A launch that failed before the trainer could record anything itself. */
export class LaunchError extends Error {
  constructor(
    message: string,
    /** What the user can do about it (e.g. open a setting). */
    readonly fix?: { label: string; setting?: string },
  ) {
    super(message);
    this.name = 'LaunchError';
  }
}

export interface TrainerExit {
  target: LaunchTarget;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Launcher {
  readonly kind: 'local' | 'slurm';
  /** Starts (or resumes) the run; resolves once the trainer is launched. */
  start(run: LaunchTarget, mode?: LaunchMode): Promise<void>;
  /** Asks the run to stop (checkpoint, then `stopped`); `force` kills it at once. */
  stop(run: LaunchTarget, options?: { force?: boolean }): Promise<void>;
  /** Whether the run's trainer is still alive. */
  isAlive(run: LaunchTarget): boolean;
  /** Called when a trainer this launcher started exits (only while this window lives). */
  onDidExit(listener: (exit: TrainerExit) => void): { dispose(): void };
  dispose(): void;
}
