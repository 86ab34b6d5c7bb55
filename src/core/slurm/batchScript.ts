// The batch script of a Slurm run (or of a sweep's job array): written into the run directory so
// the user can read it and submit it again by hand (`sbatch slurm-job.sh`). It runs the trainer
// with absolute paths, because the compute node has none of the editor's or the shell's state:
// the Node program, the trainer bundle (dist/, with its .wasm files) and the run directory must
// exist at the same paths there (a shared file system).
import { TRAINER_NODE_FLAGS } from '../trainerFlags';
import { effectiveSignalSeconds, type SlurmJobOptions } from './options';

/** File names inside a run directory. */
export const SLURM_FILES = {
  /** The batch script of the run's own job. */
  script: 'slurm-job.sh',
  /** Written by the batch script when the trainer has exited: how the job ended. */
  exitMarker: 'slurm-exit.json',
} as const;

export interface BatchScriptSpec {
  /** `--job-name`. */
  jobName: string;
  /**
   * Absolute run directories: one for a run's own job, several for a job array (task i trains
   * runDirs[i], picked by SLURM_ARRAY_TASK_ID).
   */
  runDirs: string[];
  /** `--output` (absolute; `%` patterns allowed): the run's trainer.log, or a per-task file of a sweep. */
  output: string;
  /** `--chdir` (absolute). */
  chdir: string;
  options: SlurmJobOptions;
  /** Absolute path of Node on the compute nodes. */
  nodePath: string;
  /** Absolute path of dist/trainer.js on the compute nodes. */
  trainerPath: string;
  /** Command runs (trainer.kind "command"): the trainer bundle runs the run's own command instead of training. */
  command?: boolean;
  /** Extra environment of the trainer (e.g. GPACO_NATIVE_MODULES). */
  env?: Record<string, string>;
  /** Job array: at most this many tasks at once (`--array=0-N%limit`). */
  arrayLimit?: number;
  /** For the header comment. */
  createdAt?: Date;
}

/** Single-quotes for bash: `it's` -> `'it'\''s'`. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A value on an `#SBATCH` line: sbatch splits these lines on spaces unless double-quoted. */
function directiveValue(v: string): string {
  if (/[\r\n"]/.test(v)) throw new Error(`cannot put ${JSON.stringify(v)} on an #SBATCH line (newline or double quote)`);
  return /[\s']/.test(v) ? `"${v}"` : v;
}

/** Escapes `%` in a path used as an sbatch file pattern (`%j` etc. are expanded by Slurm). */
export function escapeOutputPattern(p: string): string {
  return p.replace(/%/g, '%%');
}

/** The sbatch options of the job as `[--name, value]` pairs, in order (`value` undefined for a bare flag). */
export function sbatchOptions(spec: BatchScriptSpec): [string, string | undefined][] {
  const o = spec.options;
  const d: [string, string | undefined][] = [
    ['--job-name', spec.jobName],
    ['--chdir', spec.chdir],
    ['--output', spec.output],
    ['--open-mode', 'append'],
    // B: = only the batch shell gets it; the script forwards SIGTERM to the trainer, which
    // finishes its step, checkpoints and exits 0 before the limit.
    ['--signal', `B:USR1@${effectiveSignalSeconds(o.signalSeconds, o.time)}`],
  ];
  if (spec.runDirs.length > 1)
    d.push(['--array', `0-${spec.runDirs.length - 1}${spec.arrayLimit && spec.arrayLimit > 0 ? `%${spec.arrayLimit}` : ''}`]);
  if (o.partition) d.push(['--partition', o.partition]);
  if (o.time) d.push(['--time', o.time]);
  if (o.cpus !== undefined) d.push(['--cpus-per-task', String(o.cpus)]);
  if (o.mem) d.push(['--mem', o.mem]);
  if (o.gpus !== undefined && o.gpus > 0) d.push(['--gres', `gpu:${o.gpus}`]);
  if (o.account) d.push(['--account', o.account]);
  if (o.qos) d.push(['--qos', o.qos]);
  for (const e of o.extra) {
    const eq = e.indexOf('=');
    d.push(eq > 0 ? [e.slice(0, eq), e.slice(eq + 1)] : [e, undefined]);
  }
  return d;
}

/**
 * The same options as sbatch arguments. They are passed on the command line as well as written
 * into the script because sbatch ranks SBATCH_* environment variables above `#SBATCH` lines: a
 * user's SBATCH_OUTPUT must not send the trainer's log elsewhere.
 */
export function sbatchArguments(spec: BatchScriptSpec): string[] {
  return sbatchOptions(spec).map(([k, v]) => (v === undefined ? k : `${k}=${v}`));
}

export function renderBatchScript(spec: BatchScriptSpec): string {
  if (spec.runDirs.length === 0) throw new Error('a batch script needs at least one run directory');
  for (const p of [spec.nodePath, spec.trainerPath, spec.chdir, ...spec.runDirs]) {
    if (!p.startsWith('/')) throw new Error(`the batch script needs absolute paths (got "${p}")`);
    if (/[\r\n]/.test(p)) throw new Error(`a path in the batch script contains a newline: ${JSON.stringify(p)}`);
  }
  const array = spec.runDirs.length > 1;
  const when = (spec.createdAt ?? new Date()).toISOString();
  const lines: string[] = [
    '#!/bin/bash',
    ...sbatchOptions(spec).map(([k, v]) => `#SBATCH ${v === undefined ? k : `${k}=${directiveValue(v)}`}`),
    '#',
    `# GPaCo Lab batch script (${when}). ${array ? `A job array: task i trains run i of RUN_DIRS.` : 'Submit it again with: sbatch <this file>'}`,
    '# Needs, at the same paths on the compute node: the Node program, the trainer bundle',
    '# (its folder also holds the .wasm files) and the run directory (shared file system).',
    '# A run that already has checkpoints continues from the latest one (--resume).',
    'set -u',
    `NODE=${shellQuote(spec.nodePath)}`,
    `TRAINER=${shellQuote(spec.trainerPath)}`,
    `NODE_FLAGS=(${TRAINER_NODE_FLAGS.map(shellQuote).join(' ')})`,
    `RUN_DIRS=(${spec.runDirs.map(shellQuote).join(' ')})`,
    'TASK=${SLURM_ARRAY_TASK_ID:-0}',
    'RUN_DIR=${RUN_DIRS[$TASK]:-}',
    'JOB=${SLURM_ARRAY_JOB_ID:+${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}}',
    'JOB=${JOB:-${SLURM_JOB_ID:-manual}}',
    'if [ -z "$RUN_DIR" ]; then echo "[gpaco-lab] no run for array task $TASK" >&2; exit 2; fi',
    // Each task appends to its own run's log (an array's --output cannot name it).
    'exec >>"$RUN_DIR/trainer.log" 2>&1',
    'cd "$RUN_DIR" || exit 1',
    'say() { echo "[gpaco-lab] $(date -u +%Y-%m-%dT%H:%M:%SZ) slurm job $JOB: $*"; }',
    '# How the job ended, for the launcher once Slurm has forgotten the job (written atomically).',
    'mark() {',
    '  printf \'{"jobId":"%s","exitCode":%d,"signal":"%s","host":"%s","time":"%s"}\\n\' "$JOB" "$1" "$2" "$(hostname)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$RUN_DIR/.slurm-exit.json.$$" &&',
    '    mv -f "$RUN_DIR/.slurm-exit.json.$$" "$RUN_DIR/slurm-exit.json"',
    '}',
  ];
  const env = Object.entries(spec.env ?? {});
  for (const [k, v] of env) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name "${k}"`);
    lines.push(`export ${k}=${shellQuote(v)}`);
  }
  if (spec.options.setup.length) {
    lines.push('# setup (launch.slurm.setup)');
    lines.push(...spec.options.setup);
  }
  lines.push(
    'if [ ! -x "$NODE" ]; then say "error: Node $NODE is not an executable on $(hostname); set gpaco.slurm.nodePath (or GPACO_NODE) to a Node 20.19+ visible on the compute nodes"; mark 127 ""; exit 127; fi',
    'if [ ! -r "$TRAINER" ]; then say "error: the trainer bundle $TRAINER is not readable on $(hostname); put dist/ on a shared file system (gpaco.slurm.trainerPath)"; mark 127 ""; exit 127; fi',
    ...(spec.command
      ? [
          "# A command run: the trainer bundle starts the run's own command (its config's trainer.argv) and records its end.",
          'ARGS=(command "$RUN_DIR")',
        ]
      : ['ARGS=(run "$RUN_DIR")', 'if [ -e "$RUN_DIR/checkpoints/index.json" ]; then ARGS+=(--resume); fi']),
    'say "starting on $(hostname): $NODE ${NODE_FLAGS[*]} $TRAINER ${ARGS[*]}"',
    '"$NODE" "${NODE_FLAGS[@]}" "$TRAINER" "${ARGS[@]}" &',
    'CHILD=$!',
    'SIG=',
    // USR1: the time limit is near (--signal=B:USR1@N). TERM/INT: scancel or the user.
    'stop() { SIG=$1; say "got SIG$1: asking the trainer to checkpoint and stop"; kill -TERM "$CHILD" 2>/dev/null; }',
    "trap 'stop USR1' USR1",
    "trap 'stop TERM' TERM",
    "trap 'stop INT' INT",
    // `wait` returns early when a trapped signal arrives: wait again until the trainer is gone.
    'while :; do',
    '  wait "$CHILD"; RC=$?',
    '  kill -0 "$CHILD" 2>/dev/null || break',
    'done',
    'if [ "$RC" -gt 128 ] && [ -n "$SIG" ]; then wait "$CHILD" 2>/dev/null; R=$?; [ "$R" -ne 127 ] && RC=$R; fi',
    'mark "$RC" "$SIG"',
    'say "trainer exited with code $RC${SIG:+ after SIG$SIG}"',
    'exit "$RC"',
    '',
  );
  return lines.join('\n');
}
