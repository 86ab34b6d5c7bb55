// Runs the trainer as a child process of this machine: `<node> dist/trainer.js run <dir>
// [--resume]`, or a command run's own argv (core/commandTrainer), never through a shell,
// stdout + stderr appended to <dir>/trainer.log. The child
// is detached (its own process group) so it keeps training when the window reloads; the next
// window finds it again from run.json (pid, host).
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { Emitter } from '../../core/emitter';
import { RUN_FILES } from '../../core/contract';
import { readRunManifest, runPaths, updateRunManifest } from '../../core/runDirectory';
import { isProcessAlive } from '../../core/catalog';
import {
  commandProcessGroup,
  commandTrainerOf,
  describeArgv,
  recordCommandExit,
  signalProcessGroup,
  startCommandTrainer,
} from '../../core/commandTrainer';
import type { CommandTrainerConfig } from '../../core/config/schema';
import { isCommandProcess, isTrainerProcess } from '../../core/processIdentity';
import { lockedMessage } from '../../core/runLock';
import { trainerNodeArgs } from '../../core/trainerFlags';
import { LaunchError, type LaunchMode, type LaunchTarget, type Launcher, type TrainerExit } from './launcher';
import { checkNode } from './nodeRuntime';

export interface LocalLauncherSettings {
  nodePath: string;
  /** GPACO_NATIVE_MODULES for the trainer ('' = unset). */
  nativeModulesPath: string;
}

export class LocalLauncher implements Launcher {
  readonly kind = 'local' as const;
  private readonly children = new Map<string, ChildProcess>();
  private readonly exits = new Emitter<TrainerExit>();
  readonly onDidExit = this.exits.event;
  /** Command runs asked to stop: their exit by SIGINT is `stopped`, not `failed`. */
  private readonly stopping = new Set<string>();

  constructor(
    /** Absolute path of dist/trainer.js. */
    private trainerScript: string,
    private readonly settings: () => LocalLauncherSettings,
  ) {}

  /** Tests point the launcher at another trainer script (e.g. one that crashes on start). */
  setTrainerScript(file: string): void {
    this.trainerScript = file;
  }

  get trainer(): string {
    return this.trainerScript;
  }

  /** Checks Node and the trainer bundle; returns the Node program to run. */
  async preflight(): Promise<string> {
    const { nodePath } = this.settings();
    const node = nodePath.trim() || 'node';
    const check = await checkNode(node);
    if (!check.ok) throw new LaunchError(check.message, { label: 'Open Setting', setting: 'gpaco.nodePath' });
    if (!fs.existsSync(this.trainerScript)) {
      throw new LaunchError(`The trainer bundle ${this.trainerScript} is missing: build the extension (npm run build).`);
    }
    return node;
  }

  async start(run: LaunchTarget, mode: LaunchMode = 'start'): Promise<void> {
    const locked = lockedMessage(run.dir);
    if (locked) throw new LaunchError(`Run ${locked}.`);
    const command = this.commandOf(run);
    if (command) return this.startCommand(run, command, mode);
    const node = await this.preflight();
    const args = trainerNodeArgs(this.trainerScript, ['run', run.dir, ...(mode === 'resume' ? ['--resume'] : [])]);
    const log = fs.openSync(runPaths(run.dir).log, 'a');
    const { nativeModulesPath } = this.settings();
    const env: NodeJS.ProcessEnv = { ...process.env };
    // The editor's own variables must not leak into a plain Node (desktop VS Code: Electron).
    delete env.ELECTRON_RUN_AS_NODE;
    delete env.NODE_OPTIONS;
    if (nativeModulesPath.trim()) env.GPACO_NATIVE_MODULES = nativeModulesPath.trim();
    let child: ChildProcess;
    try {
      fs.writeSync(
        log,
        `\n[gpaco-lab] ${new Date().toISOString()} ${mode === 'resume' ? 'resuming' : 'starting'}: ${node} ${args.join(' ')}\n`,
      );
      child = spawn(node, args, { cwd: run.dir, detached: true, stdio: ['ignore', log, log], env, windowsHide: true, shell: false });
    } finally {
      fs.closeSync(log);
    }
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) =>
        reject(
          new LaunchError(`Could not start the trainer with "${node}": ${err.message}`, {
            label: 'Open Setting',
            setting: 'gpaco.nodePath',
          }),
        ),
      );
    });
    this.children.set(run.dir, child);
    child.unref();
    child.once('exit', (code, signal) => {
      this.children.delete(run.dir);
      this.markIfSilent(run, code, signal);
      this.exits.fire({ target: run, code, signal });
    });
  }

  private commandOf(run: LaunchTarget): CommandTrainerConfig | undefined {
    try {
      return commandTrainerOf(readRunManifest(run.dir));
    } catch {
      return undefined;
    }
  }

  /** A command run (trainer.kind "command"): the command itself, in its own process group. */
  private async startCommand(run: LaunchTarget, command: CommandTrainerConfig, mode: LaunchMode): Promise<void> {
    if (mode === 'resume')
      throw new LaunchError(
        `Run ${run.id} was trained by a command (${describeArgv(command.argv)}); GPaCo Lab cannot resume it. Start a new run instead.`,
      );
    let child: ChildProcess;
    try {
      child = await startCommandTrainer(run, command);
    } catch (err) {
      throw new LaunchError(`Run ${run.id}: ${(err as Error).message}`);
    }
    this.children.set(run.dir, child);
    child.unref();
    child.once('exit', (code, signal) => {
      this.children.delete(run.dir);
      recordCommandExit(run.dir, code, signal, this.stopping.delete(run.dir));
      this.exits.fire({ target: run, code, signal });
    });
  }

  /**
   * A trainer that exited without recording its own end (a crash on start, an uncaught error)
   * leaves run.json at queued / running: mark it failed, pointing at the log.
   */
  private markIfSilent(run: LaunchTarget, code: number | null, signal: NodeJS.Signals | null): void {
    try {
      const m = readRunManifest(run.dir);
      if (m.status !== 'queued' && m.status !== 'running') return;
      // Killed by a signal after it started: shown as interrupted and resumable from its last
      // checkpoint, which is what it is.
      if (m.status === 'running' && signal !== null) return;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      updateRunManifest(run.dir, {
        status: 'failed',
        endedAt: new Date().toISOString(),
        exitCode: code,
        pid: null,
        error: { message: `The trainer ${how} before recording a result; see ${RUN_FILES.log}.` },
      });
    } catch {
      /* run folder deleted or unreadable: nothing to mark */
    }
  }

  /**
   * The pid this launcher may signal: its own child, or a trainer started elsewhere (an earlier
   * window, the CLI) whose command line is a trainer invocation for this very run folder. A pid
   * read from run.json alone is never trusted (run.json is workspace content), and a queued
   * run has no process.
   */
  private pidOf(run: LaunchTarget): number | null {
    const child = this.children.get(run.dir);
    if (child?.pid !== undefined && child.exitCode === null) return child.pid;
    try {
      const m = readRunManifest(run.dir);
      if (m.status !== 'running' || m.pid === null || m.host !== os.hostname()) return null;
      return isTrainerProcess(m.pid, { runDir: run.dir, script: this.trainerScript }) === true ? m.pid : null;
    } catch {
      return null;
    }
  }

  stop(run: LaunchTarget, options: { force?: boolean } = {}): Promise<void> {
    // Signalling is synchronous; a failure rejects the promise (as before), it does not throw.
    return new Promise((resolve) => {
      this.signalStop(run, options);
      resolve();
    });
  }

  private signalStop(run: LaunchTarget, options: { force?: boolean }): void {
    const group = this.processGroupOf(run);
    if (group !== undefined) {
      // A command run: the whole group (a wrapper script and what it started) gets the signal;
      // the Python writer's stop_requested() turns SIGINT into a clean `stopped`.
      this.stopping.add(run.dir);
      signalProcessGroup(group, options.force ? 'SIGKILL' : 'SIGINT');
      return;
    }
    const pid = this.pidOf(run);
    if (pid === null || !isProcessAlive(pid)) return;
    // SIGINT: the trainer finishes the step, checkpoints, writes `stopped` and exits 0.
    process.kill(pid, options.force ? 'SIGKILL' : 'SIGINT');
  }

  private processGroupOf(run: LaunchTarget): number | undefined {
    const child = this.children.get(run.dir);
    try {
      const m = readRunManifest(run.dir);
      if (!commandTrainerOf(m)) return undefined;
      if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) return child.pid;
      // A group named by run.json alone is signalled only if its leader was started for this run.
      const group = m.status === 'running' ? commandProcessGroup(m) : undefined;
      return group !== undefined && isCommandProcess(group, run.dir) === true ? group : undefined;
    } catch {
      return undefined;
    }
  }

  isAlive(run: LaunchTarget): boolean {
    const pid = this.pidOf(run);
    return pid !== null && isProcessAlive(pid);
  }

  /** Trainers keep running (that is the point); only this window's bookkeeping ends. */
  dispose(): void {
    for (const c of this.children.values()) c.removeAllListeners('exit');
    this.children.clear();
    this.exits.dispose();
  }
}
