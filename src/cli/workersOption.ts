// `--workers N|auto` of gpaco train and gpaco resume: worker threads that share each training
// step (config optim.workers; docs/architecture.md, "Worker threads and shards").
import { type OptionSpec, UsageError } from './registry';

export const WORKERS_OPTION: OptionSpec = {
  name: 'workers',
  type: 'string',
  value: 'N|auto',
  help: 'worker threads per step (optim.workers; auto = min(CPUs, batch / 16))',
};

/** The flag's value as the config holds it: a number, or "auto" (anything else is left for validation to reject). */
export function workersValue(text: string): number | string {
  return /^\d+$/.test(text) ? Number(text) : text;
}

/** The flag checked for `gpaco resume` (no config validation runs there). */
export function parseWorkersFlag(text: string): string {
  const v = workersValue(text);
  if (v === 'auto' || (typeof v === 'number' && v >= 1 && v <= 256)) return String(v);
  throw new UsageError(`--workers: expected a whole number from 1 to 256 or "auto" (got "${text}")`);
}
