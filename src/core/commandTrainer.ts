// Runs whose trainer is any command (`trainer: {kind: "command", argv}`, docs/architecture.md):
// GPaCo Lab makes the run folder, starts the command in its own process group with
// GPACO_RUN_DIR / GPACO_RUN_ID set and its output appended to trainer.log, and reads the folder
// as for its own trainer. The command writes the folder itself (python/gpaco_lab); what it
// leaves unsaid (its end, when it never got to record one) is recorded here from its exit.
// Shared by the CLI and the extension's local launcher, so both behave the same.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { CommandTrainerConfig } from './config/schema';
import { RUN_FILES, type RunManifest } from './contract';
import { readRunManifest, runPaths, updateRunManifest } from './runDirectory';

/** The command trainer of a run's config, if it has one (tolerates configs written by others). */
export function commandTrainerOf(manifest: Pick<RunManifest, 'config'>): CommandTrainerConfig | undefined {
  const trainer = (manifest.config as { trainer?: unknown } | null)?.trainer;
  if (typeof trainer !== 'object' || trainer === null) return undefined;
  const t = trainer as Partial<CommandTrainerConfig>;
  return t.kind === 'command' && Array.isArray(t.argv) && t.argv.length > 0 && t.argv.every((a) => typeof a === 'string')
    ? (t as CommandTrainerConfig)
    : undefined;
}

/** `python3 train.py --epochs 2`, for logs and messages (not for a shell). */
export function describeArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** The command's environment: the launcher's, the config's `env`, and the run's folder and id. */
export function commandEnvironment(
  base: NodeJS.ProcessEnv,
  trainer: CommandTrainerConfig,
  run: { dir: string; id: string },
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  // An editor's own variables must not leak into the command (desktop VS Code: Electron).
  delete env.ELECTRON_RUN_AS_NODE;
  delete env.NODE_OPTIONS;
  // Python buffers a piped stdout; unbuffered, trainer.log follows the run live.
  env.PYTHONUNBUFFERED ??= '1';
  Object.assign(env, trainer.env ?? {});
  env.GPACO_RUN_DIR = run.dir;
  env.GPACO_RUN_ID = run.id;
  return env;
}

/** The message of a command that could not be started, e.g. `cannot start python4: ENOENT`. */
export function cannotStartMessage(argv0: string, err: Error): string {
  return `cannot start ${argv0}: ${(err as NodeJS.ErrnoException).code ?? err.message}`;
}

export interface StartCommandOptions {
  /** Environment the command inherits (default: this process's). */
  baseEnv?: NodeJS.ProcessEnv;
}

/**
 * Starts the run's command (no shell, own process group, output to trainer.log) and records it
 * as running with its pid and process group. Resolves once it runs; a command that cannot start
 * fails the run at once and rejects with `cannot start ARGV[0]: CODE`.
 */
export function startCommandTrainer(
  run: { dir: string; id: string },
  trainer: CommandTrainerConfig,
  options: StartCommandOptions = {},
): Promise<ChildProcess> {
  const [file, ...args] = trainer.argv;
  const log = fs.openSync(runPaths(run.dir).log, 'a');
  let child: ChildProcess;
  try {
    fs.writeSync(log, `\n[gpaco-lab] ${new Date().toISOString()} starting: ${describeArgv(trainer.argv)} (in ${trainer.cwd ?? run.dir})\n`);
    child = spawn(file!, args, {
      cwd: trainer.cwd ?? run.dir,
      env: commandEnvironment(options.baseEnv ?? process.env, trainer, run),
      stdio: ['ignore', log, log],
      // Its own process group: Stop signals the whole group (a wrapper script and its children).
      detached: true,
      shell: false,
      windowsHide: true,
    });
  } finally {
    // The child holds its own copy of the descriptor.
    fs.closeSync(log);
  }
  return new Promise((resolve, reject) => {
    child.once('spawn', () => {
      const pid = child.pid!;
      try {
        // A Slurm job keeps its launch record (the batch script started this on a compute node).
        const slurm = readRunManifest(run.dir).launch?.kind === 'slurm';
        updateRunManifest(run.dir, {
          status: 'running',
          pid,
          host: os.hostname(),
          startedAt: new Date().toISOString(),
          ...(slurm ? {} : { launch: { kind: 'local' as const, processGroup: pid } }),
        });
      } catch {
        // run.json unreadable: the command's own writer (or its exit) records the run.
      }
      resolve(child);
    });
    child.once('error', (err) => {
      if (child.pid !== undefined) return; // an error after it started is not a start failure
      const message = cannotStartMessage(file!, err);
      try {
        fs.appendFileSync(runPaths(run.dir).log, `[gpaco-lab] ${message}\n`);
        updateRunManifest(run.dir, { status: 'failed', endedAt: new Date().toISOString(), error: { message } });
      } catch {
        // the run folder is gone: the message still reaches the caller
      }
      reject(new Error(message));
    });
  });
}

/**
 * Records how a command ended when it did not record that itself (run.json still queued or
 * running): `completed` for exit code 0, `stopped` when a stop was asked for and it ended by
 * that signal, else `failed`; the exit code is kept. Returns the manifest as it now is.
 */
export function recordCommandExit(
  dir: string,
  code: number | null,
  signal: NodeJS.Signals | null,
  stopRequested = false,
): RunManifest | undefined {
  let m: RunManifest;
  try {
    m = readRunManifest(dir);
  } catch {
    return undefined;
  }
  if (m.status !== 'queued' && m.status !== 'running') return m;
  const endedAt = new Date().toISOString();
  // 130 = 128 + SIGINT: how a program that lets SIGINT end it usually exits.
  const byStop = stopRequested && (signal === 'SIGINT' || signal === 'SIGTERM' || code === 130);
  if (code === 0 || byStop) {
    return updateRunManifest(dir, { status: byStop && code !== 0 ? 'stopped' : 'completed', exitCode: code, endedAt, error: null });
  }
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  return updateRunManifest(dir, {
    status: 'failed',
    exitCode: code,
    endedAt,
    error: { message: `The command ${how} without recording a result; see ${RUN_FILES.log}.` },
  });
}

/** The process group to signal for a command run: the one recorded at start, on this host. */
export function commandProcessGroup(m: RunManifest, hostname = os.hostname()): number | undefined {
  if (m.host !== hostname) return undefined;
  return m.launch?.kind === 'local' ? m.launch.processGroup : undefined;
}

/** Signals a whole process group; false when it is gone already. */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(process.platform === 'win32' ? pgid : -pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/**
 * Runs a run's command to its end, as `trainer.js command <runDir>` does inside a Slurm job:
 * SIGINT / SIGTERM / SIGUSR1 are passed on to the command's process group (the Python writer
 * turns them into a clean stop), and the end is recorded when the command left it unsaid.
 * Resolves to the exit code to leave with (127: it could not start; 128 + n: killed by signal n).
 */
export async function runCommandToEnd(
  run: { dir: string; id: string },
  trainer: CommandTrainerConfig,
  say: (line: string) => void,
): Promise<number> {
  let child: ChildProcess;
  try {
    child = await startCommandTrainer(run, trainer);
  } catch (err) {
    say(`error: ${(err as Error).message}`);
    return 127;
  }
  const pgid = child.pid!;
  let stopRequested = false;
  const handlers = (['SIGINT', 'SIGTERM', 'SIGUSR1'] as const).map((sig) => {
    const h = () => {
      stopRequested = true;
      say(`${sig}: passing it on to the command's process group`);
      signalProcessGroup(pgid, sig === 'SIGUSR1' ? 'SIGTERM' : sig);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (c, s) => resolve({ code: c, signal: s })),
  );
  for (const [sig, h] of handlers) process.off(sig, h);
  const m = recordCommandExit(run.dir, code, signal, stopRequested);
  say(`the command ended (${signal ?? `exit code ${code}`}); the run is ${m?.status ?? 'unreadable'}`);
  return code ?? 128 + (os.constants.signals[signal!] ?? 0);
}
