// Following a run through its files while its trainer child runs: metrics.jsonl is tailed and
// run.json read every ~200 ms; SIGINT / SIGTERM are forwarded to the trainer, which finishes
// its step, checkpoints and stops.
import type { ChildProcess } from 'node:child_process';
import type { RunManifest } from '../core/contract';
import { MetricsTail } from '../core/metricsLog';
import { readRunManifest, runPaths } from '../core/runDirectory';
import type { Output } from './registry';
import {
  initialProgress,
  reduceProgress,
  renderProgressLine,
  renderRecordLine,
  withManifestProgress,
  type ProgressState,
} from './render/progress';
import { ProgressView } from './progressView';

export interface ChildOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the child could not be started at all. */
  spawnError?: Error;
  /** Signals this process forwarded to the child. */
  forwarded: NodeJS.Signals[];
}

export interface FollowOptions {
  io: Output;
  pollMs?: number;
  /** Show the records already in metrics.jsonl (a new run) or only new ones (resume). */
  fromStart?: boolean;
  /** Print metrics progress; false for commands that only wait (eval). */
  showProgress?: boolean;
  /** How a forwarded signal reaches the trainer (default: its process; a command run: its group). */
  send?: (sig: NodeJS.Signals) => void;
}

/** Resolves when the child exits; meanwhile forwards SIGINT / SIGTERM to it. */
export function waitForChild(
  child: ChildProcess,
  onSignal?: (sig: NodeJS.Signals) => void,
  send: (sig: NodeJS.Signals) => void = (sig) => child.kill(sig),
): Promise<ChildOutcome> {
  const forwarded: NodeJS.Signals[] = [];
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((sig) => {
    const h = () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      forwarded.push(sig);
      send(sig);
      onSignal?.(sig);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  const cleanup = () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
  return new Promise((resolve) => {
    child.on('error', (err) => {
      // 'error' without 'exit' means the process never started.
      if (child.pid === undefined) {
        cleanup();
        resolve({ code: null, signal: null, spawnError: err, forwarded });
      }
    });
    child.once('exit', (code, signal) => {
      cleanup();
      resolve({ code, signal, forwarded });
    });
  });
}

/** Shows the run's progress from its files until the trainer child exits. */
export async function followRun(child: ChildProcess, dir: string, options: FollowOptions): Promise<ChildOutcome> {
  const { io } = options;
  const view = new ProgressView(io);
  const tail = new MetricsTail(runPaths(dir).metrics);
  let manifest: RunManifest | undefined;
  try {
    manifest = readRunManifest(dir);
  } catch {
    manifest = undefined;
  }
  let state: ProgressState = initialProgress(manifest?.progress ?? { epoch: 0, epochs: 0 });
  const show = options.showProgress ?? true;

  // A resumed run's earlier records set the state (last top-1) but are not printed again.
  if (!options.fromStart) for (const rec of tail.read()) state = reduceProgress(state, rec);

  const poll = () => {
    for (const rec of tail.read()) {
      state = reduceProgress(state, rec);
      const line = show ? renderRecordLine(rec, state.epochs) : undefined;
      if (line) view.line(line);
    }
    try {
      const m = readRunManifest(dir);
      // Records can be ahead of run.json by a moment: never step the epoch back.
      if (m.progress.epoch >= state.epoch) state = withManifestProgress(state, m.progress);
    } catch {
      // Being replaced right now, or broken: the next poll reads it again.
    }
    if (show && state.epochs > 0) view.status(renderProgressLine(state, io.columns));
  };

  const timer = setInterval(poll, options.pollMs ?? 200);
  try {
    return await waitForChild(
      child,
      (sig) => view.line(`${sig}: asking the trainer to finish its step, save a checkpoint and stop (press again to repeat)`),
      options.send,
    );
  } finally {
    clearInterval(timer);
    poll();
    view.close();
  }
}
