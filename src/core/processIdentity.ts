// Telling a run's trainer from any other process with the same pid. A pid comes from run.json,
// which is untrusted (docs/run-folder.md): before a pid counts as "the trainer of this run" (to
// show the run as running, to hold its lock, to be signalled by Stop), its command line must be
// a trainer invocation for this run folder, with the run folder as a whole argument.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A process's arguments (Linux /proc); undefined where the OS does not expose them or it is gone. */
export function processArgv(pid: number): string[] | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const args = raw.split('\0');
    if (args[args.length - 1] === '') args.pop();
    return args;
  } catch {
    return undefined;
  }
}

function processCwd(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/** Whether /proc can answer at all on this machine (Linux). */
export function canInspectProcesses(): boolean {
  return fs.existsSync(`/proc/${process.pid}/cmdline`);
}

export interface TrainerMatch {
  /** The run folder (absolute), matched as the argument after `run` / `eval`. */
  runDir: string;
  /**
   * The launcher's trainer script; when given, it (or another build's `trainer.js` bundle, e.g.
   * the CLI's) must appear as a whole argument before the command.
   */
  script?: string;
}

/** File name of the trainer bundle (dist/trainer.js). */
const TRAINER_BUNDLE = 'trainer.js';

/**
 * True when `argv` (run from `cwd`) is `... <script> run|eval <runDir> ...`: the run folder is
 * one whole argument, resolved against the process's working folder, equal to `runDir`.
 */
export function isTrainerInvocation(argv: readonly string[], cwd: string | undefined, match: TrainerMatch): boolean {
  const want = path.resolve(match.runDir);
  const script = match.script !== undefined ? path.resolve(match.script) : undefined;
  for (let i = 1; i + 1 < argv.length; i++) {
    if (argv[i] !== 'run' && argv[i] !== 'eval') continue;
    const dirArg = argv[i + 1]!;
    if (dirArg === '') continue;
    const resolved = path.isAbsolute(dirArg) ? path.resolve(dirArg) : cwd !== undefined ? path.resolve(cwd, dirArg) : undefined;
    if (resolved !== want) continue;
    if (script === undefined) return true;
    const before = argv.slice(0, i);
    const isScript = (a: string) => {
      const abs = path.isAbsolute(a) ? path.resolve(a) : cwd !== undefined ? path.resolve(cwd, a) : a;
      return abs === script || path.basename(abs) === TRAINER_BUNDLE;
    };
    if (before.some((a) => a !== '' && isScript(a))) return true;
  }
  return false;
}

/**
 * Whether process `pid` is a trainer of `match.runDir`: true / false from its command line, or
 * undefined where command lines cannot be read (then nobody may signal it on run.json's word).
 */
export function isTrainerProcess(pid: number, match: TrainerMatch): boolean | undefined {
  const argv = processArgv(pid);
  if (argv === undefined) return canInspectProcesses() ? false : undefined;
  return isTrainerInvocation(argv, processCwd(pid), match);
}

/**
 * Whether process `pid` is a command trainer started for `runDir` (docs/run-folder.md, command
 * runs): the launcher gives it GPACO_RUN_DIR=<runDir> in its environment, which only the same
 * user can read. Undefined where /proc cannot answer.
 */
export function isCommandProcess(pid: number, runDir: string): boolean | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  let env: string[];
  try {
    env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return canInspectProcesses() ? false : undefined;
  }
  return env.includes(`GPACO_RUN_DIR=${path.resolve(runDir)}`) || env.includes(`GPACO_RUN_DIR=${runDir}`);
}
