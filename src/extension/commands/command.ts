// One command of the extension: its id and what it does with the objects activate() built.
// activate() registers every entry of commands/index.ts; each command lives in its own module.
import type { Lab } from '../lab';

export interface LabCommand {
  id: string;
  run(lab: Lab, ...args: unknown[]): unknown;
}

/** What commands that do not return a run or a sweep return (tests and other extensions read it). */
export type CommandResult = { ok: true; detail?: string } | { ok: false; reason: string; message: string };
