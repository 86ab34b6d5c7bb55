// Data parallelism of a training step (docs/architecture.md, "Worker threads and shards"): how
// many worker threads a run uses and how each batch is cut into shards. A shard is a contiguous
// slice of the batch normalised with its own batch-norm statistics; the shard layout, not the
// number of threads, decides the numbers a run produces. Pure: used by the trainer, the CLI and
// the Slurm launcher.
import * as os from 'node:os';

/** Images per worker below which another thread costs more than it brings. */
export const MIN_IMAGES_PER_WORKER = 16;

/** CPUs this process may use: the Slurm allocation inside a job, else what Node reports. */
export function availableCpus(env: NodeJS.ProcessEnv = process.env): number {
  const slurm = Number(env.SLURM_CPUS_PER_TASK);
  if (Number.isInteger(slurm) && slurm >= 1) return slurm;
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** `optim.workers` as a number: auto = min(CPUs, batch / 16), at least 1. */
export function resolveWorkers(setting: 'auto' | number, batchSize: number, cpus = availableCpus()): number {
  if (setting !== 'auto') return setting;
  return Math.max(1, Math.min(cpus, Math.floor(batchSize / MIN_IMAGES_PER_WORKER)));
}

/** The shard layout of a run: `shards` contiguous slices of every batch of `batchSize`. */
export interface ShardLayout {
  shards: number;
  batchSize: number;
}

/** [start, end) of each shard: sizes differ by at most one image, larger ones first. */
export function shardRanges(batchSize: number, shards: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < shards; i++) out.push([Math.floor((i * batchSize) / shards), Math.floor(((i + 1) * batchSize) / shards)]);
  return out;
}

/** The largest shard (the images one forward pass of a worker holds). */
export function shardSize(l: ShardLayout): number {
  return Math.ceil(l.batchSize / l.shards);
}

/** Contiguous groups of shard indices, one group per worker (a worker runs its shards in order). */
export function assignShards(shards: number, workers: number): number[][] {
  return shardRanges(shards, Math.min(workers, shards)).map(([a, b]) => Array.from({ length: b - a }, (_, i) => a + i));
}

export interface ParallelPlan {
  workers: number;
  shards: number;
  /** Why the plan differs from what was asked (a resume keeping its checkpoint's layout), else null. */
  note: string | null;
}

export type PlanResult = { ok: true; plan: ParallelPlan } | { ok: false; reason: string };

export interface PlanRequest {
  workers: 'auto' | number;
  /** optim.shards as configured (undefined = one per worker). */
  shards: number | undefined;
  batchSize: number;
  /** The shard layout of the checkpoint a resume starts from (1 for checkpoints made before shards existed). */
  resumedShards?: number;
  /** Whether this backend runs worker threads (CPU backends); GPU backends run the shards in sequence. */
  threads: boolean;
  cpus?: number;
}

const layoutText = (shards: number, batch: number) =>
  shards === 1
    ? `one shard (batch-norm statistics over the whole batch of ${batch})`
    : `${shards} shards of ${shardSize({ shards, batchSize: batch })} images (batch-norm statistics per shard)`;

/**
 * Workers and shards for a run. A resume keeps the checkpoint's shard layout (so it stays exact)
 * and may change the worker count within it; an explicit request that would change the layout
 * is refused with the reason.
 */
export function planParallel(r: PlanRequest): PlanResult {
  const cpus = r.cpus ?? availableCpus();
  const asked = r.threads ? resolveWorkers(r.workers, r.batchSize, cpus) : 1;
  if (r.resumedShards === undefined) {
    const shards = r.shards ?? asked;
    if (shards > r.batchSize)
      return { ok: false, reason: `${shards} shards need at least ${shards} images per batch (optim.batchSize is ${r.batchSize})` };
    return { ok: true, plan: { workers: Math.min(asked, shards), shards, note: null } };
  }
  const kept = r.resumedShards;
  if (r.shards !== undefined && r.shards !== kept) {
    return {
      ok: false,
      reason: `the checkpoint was trained with ${layoutText(kept, r.batchSize)}; optim.shards ${r.shards} would change the batch-norm statistics, so the resume would not be exact. Set optim.shards to ${kept} (or start a new run)`,
    };
  }
  if (r.workers !== 'auto' && r.threads && r.workers > kept) {
    return {
      ok: false,
      reason: `the checkpoint was trained with ${layoutText(kept, r.batchSize)}: at most ${kept} worker${kept === 1 ? '' : 's'} can share that layout exactly; resume with --workers ${kept} or fewer`,
    };
  }
  const workers = Math.min(asked, kept);
  const note =
    r.shards === undefined && kept !== asked
      ? `resuming with the checkpoint's ${layoutText(kept, r.batchSize)} on ${workers} worker${workers === 1 ? '' : 's'}`
      : null;
  return { ok: true, plan: { workers, shards: kept, note } };
}
