// Starting the trainer bundle (`node dist/trainer.js ...`) for a run: no shell, stdout and
// stderr appended to <run>/trainer.log (the launcher contract of the team brief).
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runPaths } from '../core/runDirectory';
import { openRunFile } from '../core/runFile';
import { trainerNodeArgs } from '../core/trainerFlags';
import type { CommandContext } from './registry';

/**
 * The trainer bundle next to the CLI bundle (dist/trainer.js beside dist/cli.js).
 * `GPACO_TRAINER` names another script (development and tests of the launcher).
 */
export function trainerScript(ctx: Pick<CommandContext, 'env' | 'bundleDir'>): string {
  return ctx.env.GPACO_TRAINER ? path.resolve(ctx.env.GPACO_TRAINER) : path.join(ctx.bundleDir, 'trainer.js');
}

/** A message when the trainer bundle is missing, else undefined. */
export function checkTrainer(script: string): string | undefined {
  if (fs.existsSync(script)) return undefined;
  return `the trainer bundle ${script} is missing; build it with \`npm run build\``;
}

export interface SpawnOptions {
  /** Leave the trainer running on its own when this process exits (`--detach`). */
  detach?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * Spawns `node <script> <args...>` with its output appended to the run's trainer.log. The child
 * gets its own process group so a terminal's Ctrl-C reaches only the CLI, which forwards exactly
 * one SIGINT per press (the trainer must not see each press twice).
 */
export function spawnTrainer(script: string, args: readonly string[], runDir: string, options: SpawnOptions = {}): ChildProcess {
  const logFd = fs.openSync(runPaths(runDir).log, 'a');
  try {
    const child = spawn(process.execPath, trainerNodeArgs(script, args), {
      stdio: ['ignore', logFd, logFd],
      detached: true,
      windowsHide: true,
      env: options.env ?? process.env,
    });
    if (options.detach) child.unref();
    return child;
  } finally {
    // The child holds its own copy of the descriptor.
    fs.closeSync(logFd);
  }
}

const STACK_FRAME = /^\s+at \S/;

/** The last `n` lines of a text file (reading at most its last 16 KiB); [] when unreadable. */
export function lastLines(file: string, n: number): string[] {
  let fd: number | undefined;
  try {
    let size: number;
    ({ fd, size } = openRunFile('tail', file));
    const len = Math.min(size, 16 * 1024);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    // Stack frames stay in the log: the terminal gets the cause line, not a trace.
    const lines = buf
      .toString('utf8')
      .split(/\r?\n/)
      .filter((l) => !STACK_FRAME.test(l));
    if (lines[lines.length - 1] === '') lines.pop();
    if (len < size) lines.shift(); // probably cut
    return lines.slice(-n);
  } catch {
    return [];
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
