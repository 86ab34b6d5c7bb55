// Runs the real gpaco CLI as a child process: `node dist/cli.js ...`, the bundle `npm test`
// builds first (scripts/build.mjs). A missing or stale bundle (older than any source file it was
// built from, per its source map) fails loudly instead of testing old code.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pollUntil } from '../../../test/shared/poll';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const fakeTrainer = path.join(repoRoot, 'test', 'shared', 'trainers', 'fake-trainer.js');

let checked: string | undefined;

export function cliBundle(): string {
  if (checked) return checked;
  const bundle = path.join(repoRoot, 'dist', 'cli.js');
  if (!fs.existsSync(bundle)) throw new Error(`${bundle} is missing: run \`node scripts/build.mjs\` first`);
  const built = fs.statSync(bundle).mtimeMs;
  const map = JSON.parse(fs.readFileSync(`${bundle}.map`, 'utf8')) as { sources: string[] };
  const stale = map.sources
    .map((s) => path.resolve(repoRoot, 'dist', s))
    .filter((f) => !f.includes(`${path.sep}node_modules${path.sep}`) && fs.existsSync(f) && fs.statSync(f).mtimeMs > built);
  if (stale.length) {
    throw new Error(`${bundle} is older than ${path.relative(repoRoot, stale[0]!)}: run \`node scripts/build.mjs\` first`);
  }
  checked = bundle;
  return bundle;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  done: Promise<CliResult>;
}

export function startCli(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): CliRun {
  const child = spawn(process.execPath, [cliBundle(), ...args], {
    cwd: opts.cwd,
    // By default no trainer exists, so no test can start a real (slow) training by mistake.
    env: { ...process.env, GPACO_TRAINER: path.join(repoRoot, 'test', 'shared', 'trainers', 'absent-trainer.js'), ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, stdout: () => stdout, done };
}

export function cli(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** Polls `check` every 20 ms until it returns a value (or fails after `ms`). */
export function waitFor<T>(check: () => T | undefined | false, ms = 10000, what = 'condition'): Promise<T> {
  return pollUntil(what, check, ms, 20);
}
