// The Slurm options of a job: the run config's `launch.slurm` section over the user's defaults
// (editor settings), checked before anything is submitted, every problem naming its field.
import type { Config } from '../config/schema';

export type SlurmConfig = Config['launch']['slurm'];

/** Options with every default applied, ready for the batch script. */
export interface SlurmJobOptions {
  partition?: string;
  time?: string;
  cpus?: number;
  mem?: string;
  gpus?: number;
  account?: string;
  qos?: string;
  /** Extra `#SBATCH` lines, without the prefix (e.g. `--constraint=a100`). */
  extra: string[];
  /** Shell lines run on the compute node before the trainer (module load, conda activate). */
  setup: string[];
  /** Seconds before the time limit at which the trainer is asked to checkpoint and stop. */
  signalSeconds: number;
}

/** Defaults from settings; the config's own values win field by field. */
export type SlurmDefaults = Partial<Omit<SlurmJobOptions, 'extra' | 'setup'>> & { extra?: string[]; setup?: string[] };

export const DEFAULT_SIGNAL_SECONDS = 300;

export interface OptionIssue {
  /** Dotted path, e.g. `launch.slurm.time`. */
  path: string;
  message: string;
}

/**
 * A Slurm time limit in seconds: `minutes`, `minutes:seconds`, `hours:minutes:seconds`,
 * `days-hours`, `days-hours:minutes`, `days-hours:minutes:seconds` (sbatch(1)); null for
 * UNLIMITED / INFINITE; undefined when the text is not a time.
 */
export function parseSlurmTime(text: string): number | null | undefined {
  const t = text.trim();
  if (/^(unlimited|infinite)$/i.test(t)) return null;
  let m = /^(\d+)-(\d+)(?::(\d+))?(?::(\d+))?$/.exec(t);
  if (m) return Number(m[1]) * 86400 + Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  m = /^(\d+)(?::(\d+))?(?::(\d+))?$/.exec(t);
  if (!m) return undefined;
  if (m[3] !== undefined) return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  if (m[2] !== undefined) return Number(m[1]) * 60 + Number(m[2]);
  return Number(m[1]) * 60;
}

/**
 * When to warn the trainer: `signalSeconds` before the limit, but never more than half the limit
 * (a 1-minute test job gets 30 s), and Slurm checks limits only about every 30 s, so the signal
 * arrives up to that much later than asked.
 */
export function effectiveSignalSeconds(signalSeconds: number, time: string | undefined): number {
  const limit = time ? parseSlurmTime(time) : null;
  if (!limit) return signalSeconds;
  return Math.max(1, Math.min(signalSeconds, Math.floor(limit / 2)));
}

const NO_SPACE = /^[^\s"'`$\\]+$/;
const MEM = /^\d+(?:[KMGT]B?)?$/i;

/** Merges and checks; errors name the config field (`launch.slurm.*`). */
export function resolveJobOptions(
  slurm: Partial<SlurmConfig> | undefined,
  defaults: SlurmDefaults = {},
): { ok: true; options: SlurmJobOptions } | { ok: false; errors: OptionIssue[] } {
  const c = slurm ?? {};
  const pick = <K extends keyof SlurmDefaults>(k: K): SlurmDefaults[K] => {
    const v = (c as SlurmDefaults)[k];
    return v !== undefined && v !== '' ? v : defaults[k];
  };
  const options: SlurmJobOptions = {
    extra: [...(defaults.extra ?? []), ...(c.extra ?? [])],
    setup: [...(defaults.setup ?? []), ...(c.setup ?? [])],
    signalSeconds: pick('signalSeconds') ?? DEFAULT_SIGNAL_SECONDS,
  };
  const partition = pick('partition');
  const time = pick('time');
  const cpus = pick('cpus');
  const mem = pick('mem');
  const gpus = pick('gpus');
  const account = pick('account');
  const qos = pick('qos');
  if (partition !== undefined) options.partition = partition;
  if (time !== undefined) options.time = time;
  if (cpus !== undefined) options.cpus = cpus;
  if (mem !== undefined) options.mem = mem;
  if (gpus !== undefined && gpus > 0) options.gpus = gpus;
  if (account !== undefined) options.account = account;
  if (qos !== undefined) options.qos = qos;

  const errors: OptionIssue[] = [];
  const p = (f: string) => `launch.slurm.${f}`;
  for (const [field, v] of [
    ['partition', options.partition],
    ['account', options.account],
    ['qos', options.qos],
  ] as const) {
    if (v !== undefined && !NO_SPACE.test(v))
      errors.push({ path: p(field), message: `"${v}" must be one word without quotes, spaces or $` });
  }
  if (options.time !== undefined && parseSlurmTime(options.time) === undefined) {
    errors.push({
      path: p('time'),
      message: `"${options.time}" is not a Slurm time limit (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS)`,
    });
  }
  if (options.mem !== undefined && !MEM.test(options.mem))
    errors.push({ path: p('mem'), message: `"${options.mem}" is not a memory size such as 8G or 4000M` });
  if (options.cpus !== undefined && !(Number.isInteger(options.cpus) && options.cpus >= 1))
    errors.push({ path: p('cpus'), message: 'must be a whole number >= 1' });
  if (!(Number.isInteger(options.signalSeconds) && options.signalSeconds >= 1 && options.signalSeconds <= 65535)) {
    errors.push({ path: p('signalSeconds'), message: 'must be a whole number of seconds from 1 to 65535' });
  }
  options.extra.forEach((line, i) => {
    const l = line.trim().replace(/^#SBATCH\s+/, '');
    if (!l.startsWith('-') || /[\r\n]/.test(l))
      errors.push({ path: `${p('extra')}.${i}`, message: `"${line}" must be one sbatch option such as --constraint=a100` });
    // The batch script writer cannot quote a double quote on an #SBATCH line: refuse it here,
    // before any run folder exists, rather than there, after.
    else if (l.includes('"'))
      errors.push({ path: `${p('extra')}.${i}`, message: `"${line}" cannot contain a double quote (an #SBATCH line cannot quote it)` });
  });
  options.extra = options.extra.map((l) => l.trim().replace(/^#SBATCH\s+/, ''));
  options.setup.forEach((line, i) => {
    if (/[\r\n]/.test(line)) errors.push({ path: `${p('setup')}.${i}`, message: 'must be a single shell line' });
  });
  return errors.length ? { ok: false, errors } : { ok: true, options };
}

/**
 * A run with a fixed `optim.workers` asks Slurm for that many CPUs when the options name none;
 * `auto` takes whatever the job gets (the trainer reads SLURM_CPUS_PER_TASK).
 */
export function withWorkerCpus(options: SlurmJobOptions, workers: 'auto' | number | undefined): SlurmJobOptions {
  return options.cpus === undefined && typeof workers === 'number' ? { ...options, cpus: workers } : options;
}
