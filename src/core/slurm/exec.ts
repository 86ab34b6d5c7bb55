// Calling the Slurm client programs (sbatch, squeue, scontrol, sacct, scancel): never through a
// shell, always with a timeout. A controller that is down makes every client block for about
// 9 s and then fail; a hung network file system can block them longer. Both are transient and
// are reported as `unreachable`, never as a failure of the job.
import { execFile, type ExecFileException } from 'node:child_process';
import { Emitter } from '../emitter';

export type SlurmProgram = 'sbatch' | 'squeue' | 'scontrol' | 'sacct' | 'scancel';

export type SlurmCallResult =
  /** The program ran and exited 0 (stderr may still carry warnings). */
  | { kind: 'ok'; stdout: string; stderr: string; ms: number }
  /** The program ran and refused (bad request, unknown job id, ...): `message` is its stderr. */
  | { kind: 'failed'; exitCode: number; stdout: string; stderr: string; message: string; ms: number }
  /** The controller could not be reached (the client said so, or the call timed out). */
  | { kind: 'unreachable'; timedOut: boolean; message: string; ms: number }
  /** The program is not installed here (or not executable). */
  | { kind: 'missing'; message: string; ms: number };

/** What the client prints when slurmctld does not answer (all client programs, 22.05 and later). */
const UNREACHABLE =
  /Unable to contact slurm controller|Socket timed out on send\/recv|Zero Bytes were transmitted or received|Connection refused|slurm_load_jobs error: Slurm backup controller in standby mode/i;

export interface SlurmClientOptions {
  /** Per-call limit (ms); default 20 s, above the ~9 s a client takes to give up on a dead controller. */
  timeoutMs?: number;
  /** Base environment (default process.env); cleaned by `slurmEnvironment`. */
  env?: NodeJS.ProcessEnv;
  /** Folder of the client programs (default: found on the PATH). */
  binDir?: string;
}

export interface SlurmCallRecord {
  program: SlurmProgram;
  args: readonly string[];
  result: SlurmCallResult['kind'];
  ms: number;
}

/**
 * The environment for Slurm clients and the jobs they submit (sbatch passes it on to the job):
 * variables of an enclosing allocation (SLURM_JOB_ID, SLURM_NTASKS, ...) would silently change
 * what a new job asks for, so SLURM_* goes, except SLURM_CONF (which cluster to talk to).
 * SBATCH_* stay: they are a user's deliberate defaults (e.g. SBATCH_ACCOUNT); our explicit
 * options win over them anyway. The editor's own Node settings must not reach the trainer.
 */
export function slurmEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) {
    if (v === undefined) continue;
    if (k.startsWith('SLURM_') && k !== 'SLURM_CONF') continue;
    if (k === 'ELECTRON_RUN_AS_NODE' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return env;
}

/** Runs Slurm client programs and counts the calls (the follower's cost is reported from this). */
export class SlurmClient {
  readonly timeoutMs: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly binDir: string | undefined;
  private readonly calls = new Emitter<SlurmCallRecord>();
  /** Listens to every call (tests and the follow-cost figure). */
  readonly onCall = this.calls.event;
  /** Calls made, per program. */
  readonly counts: Record<SlurmProgram, number> = { sbatch: 0, squeue: 0, scontrol: 0, sacct: 0, scancel: 0 };

  constructor(options: SlurmClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 20_000;
    this.env = slurmEnvironment(options.env ?? process.env);
    this.binDir = options.binDir;
  }

  call(program: SlurmProgram, args: readonly string[]): Promise<SlurmCallResult> {
    this.counts[program]++;
    const file = this.binDir ? `${this.binDir.replace(/\/+$/, '')}/${program}` : program;
    const t0 = performance.now();
    return new Promise<SlurmCallResult>((resolve) => {
      execFile(
        file,
        [...args],
        { env: this.env, timeout: this.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, windowsHide: true, encoding: 'utf8' },
        (err, stdout, stderr) => {
          const ms = performance.now() - t0;
          resolve(classify(program, err, stdout, stderr, ms, this.timeoutMs));
        },
      );
    }).then((result) => {
      this.calls.fire({ program, args, result: result.kind, ms: result.ms });
      return result;
    });
  }
}

type ExecError = ExecFileException | null;

function classify(program: SlurmProgram, err: ExecError, stdout: string, stderr: string, ms: number, timeoutMs: number): SlurmCallResult {
  if (!err) return { kind: 'ok', stdout, stderr, ms };
  if (err.code === 'ENOENT' || err.code === 'EACCES') {
    return {
      kind: 'missing',
      message: `${program} ${err.code === 'ENOENT' ? 'was not found on the PATH' : 'is not executable'}: is this a Slurm login node?`,
      ms,
    };
  }
  if (err.killed || err.signal === 'SIGKILL') {
    return {
      kind: 'unreachable',
      timedOut: true,
      message: `${program} did not answer within ${Math.round(timeoutMs / 1000)} s (the Slurm controller may be down or overloaded)`,
      ms,
    };
  }
  const text = stderr.trim();
  if (UNREACHABLE.test(text))
    return { kind: 'unreachable', timedOut: false, message: firstLine(text) || `${program}: cannot reach the Slurm controller`, ms };
  const exitCode = typeof err.code === 'number' ? err.code : 1;
  return { kind: 'failed', exitCode, stdout, stderr, message: cleanError(program, text) || `${program} exited with code ${exitCode}`, ms };
}

function firstLine(s: string): string {
  return (
    s
      .split(/\r?\n/)
      .find((l) => l.trim())
      ?.trim() ?? ''
  );
}

/**
 * `sbatch: error: Batch job submission failed: Invalid partition name specified` ->
 * `Batch job submission failed: Invalid partition name specified` (the last error line: earlier
 * lines are often warnings).
 */
export function cleanError(program: string, stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const errors = lines.filter((l) => /error/i.test(l));
  const line = (errors.length ? errors[errors.length - 1] : lines[lines.length - 1]) ?? '';
  return line.replace(new RegExp(`^${program}:\\s*`), '').replace(/^error:\s*/i, '');
}
