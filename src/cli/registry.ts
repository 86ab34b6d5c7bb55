// The command registry: each file in commands/ registers itself with `registerCommand`, and
// commands/index.ts imports each file (one line per command).
import type { ParseArgsConfig } from 'node:util';

/** Exit codes of every gpaco command. */
export const EXIT = {
  ok: 0,
  /** The run (or the command's work) failed. */
  failed: 1,
  /** Bad usage or an invalid config: nothing was started. */
  usage: 2,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface OptionSpec {
  name: string;
  type: 'string' | 'boolean';
  /** May be given several times (values collected in order). */
  multiple?: boolean;
  short?: string;
  /** Placeholder in help, e.g. DIR. */
  value?: string;
  help: string;
}

/** Where a command writes. `columns` and `isTTY` describe stdout. */
export interface Output {
  out(line?: string): void;
  err(line?: string): void;
  /** Raw write to stdout (progress bar redraws). */
  write(text: string): void;
  isTTY: boolean;
  columns: number;
}

export interface CommandContext {
  name: string;
  positionals: string[];
  io: Output;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Folder of the running CLI bundle (dist/); the trainer bundle sits beside it. */
  bundleDir: string;
  string(name: string): string | undefined;
  strings(name: string): string[];
  flag(name: string): boolean;
}

export interface CommandSpec {
  name: string;
  /** One line for `gpaco help`. */
  summary: string;
  /** Synopsis lines, e.g. `gpaco ls [--runs-dir DIR] [--json]`. */
  usage: string[];
  /** Paragraphs shown by `gpaco <cmd> --help` after the options. */
  details?: string[];
  options: OptionSpec[];
  /** Names of positional arguments, for help and count checks; a trailing "..." means any number. */
  positionals: string[];
  /** How many positionals are required (default: all named ones). */
  minPositionals?: number;
  /** Arguments such as `-old` are positionals, not options (`gpaco tag RUN +new -old`). */
  dashPositionals?: boolean;
  run(ctx: CommandContext): Promise<number>;
}

/** Bad usage found by a command: printed with a pointer to `--help`, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const commands: CommandSpec[] = [];

export function registerCommand(spec: CommandSpec): void {
  if (commands.some((c) => c.name === spec.name)) throw new Error(`command "${spec.name}" registered twice`);
  commands.push(spec);
}

export function allCommands(): readonly CommandSpec[] {
  return commands;
}

export function findCommand(name: string): CommandSpec | undefined {
  return commands.find((c) => c.name === name);
}

/** The option every command has. */
export const RUNS_DIR_OPTION: OptionSpec = { name: 'runs-dir', type: 'string', value: 'DIR', help: 'folder of the runs (default ./runs)' };
export const HELP_OPTION: OptionSpec = { name: 'help', type: 'boolean', short: 'h', help: 'show this help' };

export function parseArgsOptions(options: readonly OptionSpec[]): NonNullable<ParseArgsConfig['options']> {
  const out: NonNullable<ParseArgsConfig['options']> = {};
  for (const o of [...options, HELP_OPTION]) {
    out[o.name] = { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) };
  }
  return out;
}
