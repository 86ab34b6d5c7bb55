// An error no command expected (ENOSPC, ENOTDIR, a RangeError from a bug): the user gets ONE
// line with the cause and, when the command was working on a run, that run's folder; the stack
// trace goes to the run's trainer.log, where a bug report can take it from.
import * as fs from 'node:fs';
import { runPaths } from '../core/runDirectory';
import type { Output } from './registry';

// One command per `gpaco` process (and per runCli call in tests, which resets it).
let involved: string | undefined;

/** Remembers the run folder the running command works on, for the failure line. */
export function noteRunFolder(dir: string): void {
  involved = dir;
}

export function forgetRunFolder(): void {
  involved = undefined;
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? text
  );
}

/** The trace into the run's trainer.log; false when that is not possible (the line says so). */
function appendTrace(dir: string, command: string, err: unknown): boolean {
  const trace = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  try {
    fs.appendFileSync(runPaths(dir).log, `\n[${new Date().toISOString()}] gpaco ${command} failed:\n${trace}\n`);
    return true;
  } catch {
    return false;
  }
}

/** Prints the one line (see the file comment) and writes the trace where it belongs. */
export function reportUnexpected(io: Output, command: string, err: unknown): void {
  const cause = firstLine(err instanceof Error ? err.message || err.name : String(err));
  const dir = involved;
  if (dir === undefined) {
    io.err(`gpaco ${command}: ${cause}`);
    return;
  }
  const logged = appendTrace(dir, command, err);
  io.err(`gpaco ${command}: ${cause} (run folder ${dir}${logged ? '; trace in its trainer.log' : ''})`);
}
