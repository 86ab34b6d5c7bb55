// The Node / V8 flags every launch of the trainer bundle puts before the script: the CLI, the
// extension (runs and evaluations), and the Slurm batch script all start it through here, so a
// run behaves the same wherever it was started.
//
// --single-threaded-gc: V8 collects garbage on the thread that made it, without helper threads.
// The decode threads allocate a few MB of short-lived buffers per JPEG, and the helper threads
// V8 starts to collect them compete with the decode threads themselves for the cores: with 2
// decode threads on 2 cores they decode 1.76–1.84x as many 500x375 JPEGs as 1 thread, with the
// flag 1.92–1.95x. Training steps measure the same with and without it (docs/architecture.md,
// "Data loading").
export const TRAINER_NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];

/** The arguments of `node` for the trainer bundle `script` run with `args`. */
export function trainerNodeArgs(script: string, args: readonly string[]): string[] {
  return [...TRAINER_NODE_FLAGS, script, ...args];
}

/**
 * A benchmark's `--node-flags` value: its flags (space-separated; "" for none), or the trainer's
 * own when the option is absent, so a benchmark measures what the trainer runs by default.
 */
export function nodeFlagsOption(value: string | undefined): string[] {
  return value === undefined ? [...TRAINER_NODE_FLAGS] : value.split(/\s+/).filter(Boolean);
}
