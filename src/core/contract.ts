// The run-directory contract v1 (docs/run-folder.md): the only channel between a trainer and
// every viewer. Writers may add fields; readers must ignore what they do not know.
import type { Config } from './config/schema';
import type { EvalPredictions, SparseConfusion } from './evalEncoding';

export const RUN_SCHEMA = 'gpaco-run/1';
/** Written by every trainer: sparse confusion + per-image predictions (docs/run-folder.md). */
export const EVAL_SCHEMA = 'gpaco-eval/2';
/** Still read: the dense confusion of the first contract. */
export const EVAL_SCHEMA_V1 = 'gpaco-eval/1';

/** File and folder names inside `<runs root>/<run-id>/`. */
export const RUN_FILES = {
  run: 'run.json',
  config: 'config.json',
  classes: 'classes.json',
  metrics: 'metrics.jsonl',
  evals: 'evals',
  checkpoints: 'checkpoints',
  checkpointIndex: 'checkpoints/index.json',
  log: 'trainer.log',
  /** Held by the one trainer working on the run (docs/run-folder.md, "The run lock"). */
  lock: 'run.lock',
} as const;

/** Status as written in run.json. */
export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'stopped';
export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'completed', 'failed', 'stopped'];

/**
 * Status as shown to a user: a `running` run whose process is gone is `interrupted`;
 * a run.json that cannot be parsed is `unreadable`; `unknown` is a live view's word for a
 * queued / running Slurm run whose scheduler cannot be asked right now (never stored).
 */
export type DisplayStatus = RunStatus | 'interrupted' | 'unreadable' | 'unknown';

export interface RunError {
  message: string;
}

export interface RunProgress {
  epoch: number;
  epochs: number;
  /** Optional finer progress inside the current epoch. */
  step?: number;
  stepsPerEpoch?: number;
}

/** Backend facts recorded at start (vendor etc. only for GPU backends). */
export interface BackendInfo {
  name: string;
  /** Human-readable detail, e.g. "wasm (SIMD, 1 thread)" or a GPU adapter description. */
  detail?: string;
  adapter?: { vendor?: string; architecture?: string; description?: string; emulated?: boolean };
}

export interface RunManifest {
  schema: typeof RUN_SCHEMA;
  id: string;
  name: string;
  createdAt: string;
  status: RunStatus;
  pid: number | null;
  host: string;
  backend: string | null;
  backendInfo?: BackendInfo;
  startedAt: string | null;
  endedAt: string | null;
  exitCode: number | null;
  error: RunError | null;
  progress: RunProgress;
  /**
   * The run's config: a gpaco `Config` for runs this tool created; for an imported run
   * (`imported` set) the facts its source gave instead. Read it through `gpacoConfig()`.
   */
  config: Config | ForeignConfig;
  /** Set for runs imported from another tool's output: such a run is read-only. */
  imported?: ImportRecord;
  /** Set for runs that belong to a sweep. */
  sweepId?: string;
  /** How the trainer split each step (docs/run-folder.md, run.json `parallel`); written at every (re)start. */
  parallel?: ParallelRecord;
  /** Launcher facts: local process or Slurm job. */
  launch?: LocalLaunchRecord | SlurmLaunchRecord;
}

/** A local run. `processGroup`: the group a command trainer was started in (Stop signals it). */
export interface LocalLaunchRecord {
  kind: 'local';
  processGroup?: number;
}

/** A config written by something other than this tool: any JSON object. */
export type ForeignConfig = Record<string, unknown>;

export type ImportKind = 'paco-log' | 'tensorboard';

/**
 * Where an imported run came from (docs/run-folder.md, "Imported runs"). Nothing can be
 * resumed, evaluated or trained from it here; its source is never modified.
 */
export interface ImportRecord {
  kind: ImportKind;
  /** Absolute path of the file or folder that was read. */
  source: string;
  importedAt: string;
  /** Lines (paco-log) or records (tensorboard) that became part of the run. */
  read: number;
  /** Lines or records that could not be used, in total. */
  skipped: number;
  /** Why, for the first of them: `file:line: reason` or `file@offset: reason`. */
  problems: string[];
}

/**
 * The run's gpaco config, or null for an imported run (whose config is its source's facts) and
 * for a config some other program wrote (the Python writer's `Run.create`) without our sections.
 */
export function gpacoConfig(manifest: Pick<RunManifest, 'config' | 'imported'>): Config | null {
  if (manifest.imported !== undefined) return null;
  const c = manifest.config as Record<string, unknown>;
  const sections = ['data', 'model', 'loss', 'optim', 'eval'];
  // Runs this tool creates hold a validated Config (createRunDirectory), which has every section.
  return sections.every((k) => typeof c[k] === 'object' && c[k] !== null) ? (manifest.config as Config) : null;
}

/** Worker threads and the shard layout of a run's steps (batch-norm statistics are per shard). */
export interface ParallelRecord {
  /** Worker threads of the latest (re)start; 1 = the main thread alone. */
  workers: number;
  /** Contiguous shards each batch is split into. */
  shards: number;
  /** Images of the largest shard. */
  shardSize: number;
}

/**
 * A Slurm run's job as its launcher last recorded it. Written only while the trainer
 * cannot be writing run.json (before the job starts, after it ended), so the two never race.
 */
export interface SlurmLaunchRecord {
  kind: 'slurm';
  /** `123`, or `123_4` for a job-array task; null until sbatch accepted the job. */
  jobId: string | null;
  /** Slurm's job state (PENDING, RUNNING, COMPLETED, TIMEOUT, ...) or LOST (no longer known). */
  state?: string;
  /** Slurm's reason (e.g. the pending reason `PartitionConfig`). */
  reason?: string;
  /** Slurm's `exit:signal` pair of the batch script, once the job ended. */
  exitCode?: string;
  /** True when the run was stopped by (or at) its time limit: shown as interrupted, resumable. */
  timeLimit?: boolean;
  submittedAt?: string;
  /** The batch script, relative to the run directory (or absolute for a sweep's array script). */
  script?: string;
}

export type ShotGroup = 'many' | 'medium' | 'few';
export const SHOT_GROUPS: readonly ShotGroup[] = ['many', 'medium', 'few'];

export type GroupRule = { kind: 'shots'; many: number; few: number } | { kind: 'terciles' };

export interface ClassesFile {
  names: string[];
  trainCounts: number[];
  testCounts: number[];
  groups: { rule: GroupRule; assignment: ShotGroup[] };
}

export interface StepRecord {
  kind: 'step';
  epoch: number;
  step: number;
  loss: number;
  lr: number;
  time: string;
}
/**
 * A value a writer could not measure: null in JSON (an imported log that never printed the
 * learning rate, say). Our trainer always writes numbers.
 */
export type Unrecorded = null;

export interface EpochRecord {
  kind: 'epoch';
  epoch: number;
  loss: number;
  /** Training accuracy of the epoch (on augmented views), 0..1. */
  accuracy: number | Unrecorded;
  lr: number | Unrecorded;
  seconds: number | Unrecorded;
  imagesPerSecond: number | Unrecorded;
  time: string;
}
export interface EvalRecord {
  kind: 'eval';
  epoch: number;
  tag: string;
  top1: number;
  top5: number | Unrecorded;
  /** Group accuracies; null when the source had no group figures (an imported log). */
  many: number | Unrecorded;
  medium: number | Unrecorded;
  few: number | Unrecorded;
  /**
   * Path of the eval file relative to the run directory, e.g. `evals/epoch-0012.json`; absent
   * for an imported evaluation that has only these summary figures (no per-class numbers).
   */
  file?: string;
  time: string;
}
export interface CheckpointRecord {
  kind: 'checkpoint';
  epoch: number;
  tag: string;
  time: string;
}
export interface EventRecord {
  kind: 'event';
  level: 'info' | 'warn' | 'error';
  message: string;
  time: string;
}
export type MetricRecord = StepRecord | EpochRecord | EvalRecord | CheckpointRecord | EventRecord;
export type MetricKind = MetricRecord['kind'];

export interface EvalFile {
  schema: typeof EVAL_SCHEMA;
  tag: string;
  epoch: number;
  split: string;
  n: number;
  top1: number;
  top5: number;
  groupAccuracy: Record<ShotGroup, number>;
  perClassAccuracy: number[];
  /** Non-zero counts, true class x predicted class (label order); v1 files are converted on read. */
  confusion: SparseConfusion;
  /** Each test image's true and predicted class; absent in v1 files and from trainers that skip it. */
  predictions?: EvalPredictions;
  /** Optional: the checkpoint the evaluation was made from. */
  checkpoint?: string;
}

/** An eval file as the first contract wrote it: dense confusion, no predictions (still read). */
export type EvalFileV1 = Omit<EvalFile, 'schema' | 'confusion' | 'predictions'> & {
  schema: typeof EVAL_SCHEMA_V1;
  /** Dense C x C counts, row = true class, column = predicted class (label order). */
  confusion: number[][];
};

export interface CheckpointEntry {
  tag: string;
  epoch: number;
  step: number;
  /** Relative to the run directory, e.g. `checkpoints/epoch-0012`. */
  path: string;
  top1: number | null;
  many: number | null;
  medium: number | null;
  few: number | null;
  bytes: number;
  time: string;
  best: boolean;
  /**
   * A checkpoint file this tool did not write (an imported run's `.pth.tar`, a Python writer's
   * `model.pt`): listed with its size and time, never resumed from or evaluated here.
   */
  external?: boolean;
  /** An external checkpoint's file, absolute (docs/run-folder.md, "External checkpoints"). */
  file?: string;
}

export interface CheckpointIndex {
  checkpoints: CheckpointEntry[];
}

/** `epoch-0012` style tags, zero-padded so names sort. */
export function epochTag(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}`;
}
