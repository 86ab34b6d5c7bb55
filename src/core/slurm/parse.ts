// Parsing what the Slurm clients print. Text formats only (`-h -o`, `-P`, `scontrol -o`): the
// JSON outputs change shape between releases and `squeue --json` ignores -j / -t on 22.05
// (measured on the test cluster, Slurm 22.05).

/** One job as a status poll sees it. */
export interface JobInfo {
  /** `123`, or `123_4` for an array task. */
  jobId: string;
  /** The first word, upper case: `CANCELLED by 0` -> `CANCELLED`, `CANCELLED+` -> `CANCELLED`. */
  state: string;
  /** Slurm's reason (`None` when there is none). */
  reason: string;
  /** `A:B` (exit status : signal) when the source reports it. */
  exitCode?: string;
  /** Node list, when running. */
  nodes?: string;
}

/** The squeue format used by every poll: stable across releases, one line per job (with -r). */
export const SQUEUE_FORMAT = '%i|%T|%r|%N';

/** `sbatch --parsable` prints `JOBID` or `JOBID;CLUSTER`. */
export function parseSbatchParsable(stdout: string): string | undefined {
  const first = stdout.split(/\r?\n/).find((l) => l.trim());
  const id = first?.split(';')[0]?.trim();
  return id && /^\d+$/.test(id) ? id : undefined;
}

export function normalizeState(raw: string): string {
  return (raw.trim().split(/\s+/)[0] ?? '').replace(/\+$/, '').toUpperCase();
}

/** Lines of `squeue -h -r -t all -o '%i|%T|%r|%N'`. */
export function parseSqueue(stdout: string): JobInfo[] {
  const out: JobInfo[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const [jobId, state, reason, nodes] = line.split('|');
    if (!jobId?.trim() || !state?.trim()) continue;
    out.push({
      jobId: jobId.trim(),
      state: normalizeState(state),
      reason: (reason ?? '').trim() || 'None',
      ...(nodes?.trim() ? { nodes: nodes.trim() } : {}),
    });
  }
  return out;
}

/** Lines of `sacct -X -n -P -j IDS -o JobID,State,ExitCode,Reason`. */
export function parseSacct(stdout: string): JobInfo[] {
  const out: JobInfo[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const [jobId, state, exitCode, reason] = line.split('|');
    if (!jobId?.trim() || !state?.trim()) continue;
    out.push({
      jobId: jobId.trim(),
      state: normalizeState(state),
      reason: (reason ?? '').trim() || 'None',
      ...(exitCode?.trim() ? { exitCode: exitCode.trim() } : {}),
    });
  }
  return out;
}

/**
 * `scontrol -o show job ID`: one line of `Key=Value` pairs. Values may contain spaces (Command=,
 * WorkDir= of paths with spaces), so a pair ends only where the next `Key=` begins.
 */
export function parseScontrolLine(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /(?:^|\s)([A-Za-z][A-Za-z0-9_:/]*)=/g;
  const keys: { key: string; start: number; valueStart: number }[] = [];
  for (let m = re.exec(line); m; m = re.exec(line)) {
    keys.push({ key: m[1]!, start: m.index, valueStart: m.index + m[0].length });
  }
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const end = i + 1 < keys.length ? keys[i + 1]!.start : line.length;
    if (!(k.key in out)) out[k.key] = line.slice(k.valueStart, end).trim();
  }
  return out;
}

/** `scontrol -o show job` output (one line per job; an array job prints one per task). */
export function parseScontrol(stdout: string): JobInfo[] {
  const out: JobInfo[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const kv = parseScontrolLine(line);
    const state = kv.JobState;
    if (!state || !kv.JobId) continue;
    const jobId = kv.ArrayJobId && kv.ArrayTaskId && /^\d+$/.test(kv.ArrayTaskId) ? `${kv.ArrayJobId}_${kv.ArrayTaskId}` : kv.JobId;
    out.push({
      jobId,
      state: normalizeState(state),
      reason: kv.Reason || 'None',
      ...(kv.ExitCode ? { exitCode: kv.ExitCode } : {}),
      ...(kv.NodeList && kv.NodeList !== '(null)' ? { nodes: kv.NodeList } : {}),
    });
  }
  return out;
}

/** `3:0` -> exit 3, signal 0. */
export function parseExitCode(text: string): { exit: number; signal: number } | undefined {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  return m ? { exit: Number(m[1]), signal: Number(m[2]) } : undefined;
}

/** True when a client's error says the id is not (or no longer) known to the controller. */
export function isInvalidJobId(message: string): boolean {
  return /Invalid job id specified/i.test(message);
}
