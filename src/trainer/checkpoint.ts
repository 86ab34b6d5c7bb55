// Checkpoint folders `checkpoints/<tag>/`: `weights.bin` (every tensor, little-endian, one after
// another) then `manifest.json` (tensor table, trainer state, records), written LAST: a folder
// without its manifest is incomplete and ignored. checkpoints/index.json is updated after, with
// keep-last-K, keep-best and "always keep the latest" (what a resume needs).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../core/atomicWrite';
import { type CheckpointEntry, type MetricRecord, RUN_FILES, epochTag } from '../core/contract';
import type { RngState } from '../core/random';
import { CHECKPOINT_MANIFEST, readCheckpointIndex, runPaths, writeCheckpointIndex } from '../core/runDirectory';
import { errorReason, readRunFile, readRunJson } from '../core/runFile';
import type { JsonValue } from './methods/types';

export const CHECKPOINT_SCHEMA = 'gpaco-checkpoint/1';
export const WEIGHTS_FILE = 'weights.bin';

export type StoredDtype = 'float32' | 'int32';

export interface TensorEntry {
  name: string;
  dtype: StoredDtype;
  shape: number[];
  /** Byte offset in weights.bin. */
  offset: number;
  bytes: number;
}

/** Loop state an exact resume needs besides the tensors. */
export interface TrainerState {
  rng: { shuffle: RngState; augment: RngState };
  /** Partial-epoch sums when the checkpoint was taken mid-epoch (a stop), else null. */
  partialEpoch: { lossSum: number; lossCount: number; correct: number; seen: number; seconds: number } | null;
  /** Shards each batch was split into (batch-norm statistics per shard); absent in older checkpoints = 1. */
  shards?: number;
}

export interface CheckpointManifest {
  schema: typeof CHECKPOINT_SCHEMA;
  tag: string;
  /** Completed epochs. */
  epoch: number;
  /** Optimizer steps done in total. */
  step: number;
  /** Steps done in epoch `epoch + 1` (0 at an epoch end; > 0 for a stop mid-epoch). */
  stepInEpoch: number;
  time: string;
  arch: string;
  backend: string;
  weightsFile: string;
  bytes: number;
  tensors: TensorEntry[];
  trainer: TrainerState;
  method: JsonValue;
  /** metrics.jsonl records that announce this checkpoint's epoch; re-appended on resume if lost. */
  records: MetricRecord[];
  /** Evaluation summary of this epoch, when there was one. */
  eval: { top1: number; many: number; medium: number; few: number } | null;
}

export interface HostTensor {
  dtype: StoredDtype;
  shape: number[];
  values: Float32Array | Int32Array;
}

/** The tag of a checkpoint: `epoch-0012` at an epoch end, `epoch-0012-step-0000345` mid-epoch. */
export function checkpointTag(epoch: number, step: number, stepInEpoch: number): string {
  return stepInEpoch === 0 ? epochTag(epoch) : `${epochTag(epoch)}-step-${String(step).padStart(7, '0')}`;
}

export type ManifestInput = Omit<CheckpointManifest, 'schema' | 'weightsFile' | 'bytes' | 'tensors'>;

/** Writes the folder (weights, then manifest last). Returns the bytes written. */
export function writeCheckpoint(runDir: string, input: ManifestInput, tensors: ReadonlyMap<string, HostTensor>): number {
  const folder = runPaths(runDir).checkpointDir(input.tag);
  // A folder of the same tag left incomplete by a killed writer is replaced.
  if (fs.existsSync(folder)) fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
  const table: TensorEntry[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.values.byteLength;
    table.push({ name, dtype: t.dtype, shape: t.shape, offset, bytes });
    offset += bytes;
  }
  const blob = new Uint8Array(offset);
  table.forEach((e, i) => {
    const t = [...tensors.values()][i]!;
    blob.set(new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength), e.offset);
  });
  writeFileAtomic(path.join(folder, WEIGHTS_FILE), blob);
  const manifest: CheckpointManifest = { schema: CHECKPOINT_SCHEMA, ...input, weightsFile: WEIGHTS_FILE, bytes: offset, tensors: table };
  writeJsonAtomic(path.join(folder, CHECKPOINT_MANIFEST), manifest);
  return offset + fs.statSync(path.join(folder, CHECKPOINT_MANIFEST)).size;
}

export function readCheckpointManifest(runDir: string, tag: string): CheckpointManifest {
  const file = path.join(runPaths(runDir).checkpointDir(tag), CHECKPOINT_MANIFEST);
  let value: unknown;
  try {
    value = readRunJson('checkpointManifest', file);
  } catch (e) {
    throw new Error(`checkpoint ${tag}: cannot read ${file}: ${errorReason(e)}`, { cause: e });
  }
  const m = value as Partial<CheckpointManifest>;
  if (m.schema !== CHECKPOINT_SCHEMA || !Array.isArray(m.tensors) || typeof m.epoch !== 'number' || typeof m.step !== 'number') {
    throw new Error(`checkpoint ${tag}: ${file} is not a ${CHECKPOINT_SCHEMA} manifest`);
  }
  return value as CheckpointManifest;
}

/** The manifest and every tensor of a complete checkpoint. */
export function readCheckpoint(runDir: string, tag: string): { manifest: CheckpointManifest; tensors: Map<string, HostTensor> } {
  const manifest = readCheckpointManifest(runDir, tag);
  const file = path.join(runPaths(runDir).checkpointDir(tag), manifest.weightsFile);
  const blob = readRunFile('checkpointWeights', file);
  if (blob.length !== manifest.bytes)
    throw new Error(`checkpoint ${tag}: ${file} has ${blob.length} bytes, the manifest says ${manifest.bytes}`);
  const tensors = new Map<string, HostTensor>();
  for (const e of manifest.tensors) {
    // Copy into an aligned buffer (a Buffer slice may start at any byte).
    const bytes = new Uint8Array(e.bytes);
    bytes.set(blob.subarray(e.offset, e.offset + e.bytes));
    const values = e.dtype === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
    const expected = e.shape.reduce((a, b) => a * b, 1);
    if (values.length !== expected)
      throw new Error(`checkpoint ${tag}: tensor ${e.name} has ${values.length} values for shape [${e.shape.join(', ')}]`);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, values });
  }
  return { manifest, tensors };
}

/**
 * The complete checkpoint with the most progress, found from the folders themselves (an index
 * update may have been lost to a kill); folders without manifest or with a bad one are skipped.
 */
export function findLatestCheckpoint(runDir: string, onSkip?: (tag: string, why: string) => void): CheckpointManifest | undefined {
  const root = runPaths(runDir).checkpoints;
  if (!fs.existsSync(root)) return undefined;
  let best: CheckpointManifest | undefined;
  for (const d of fs.readdirSync(root, { withFileTypes: true })) {
    if (!d.isDirectory() || d.name.startsWith('.')) continue;
    if (!fs.existsSync(path.join(root, d.name, CHECKPOINT_MANIFEST))) {
      onSkip?.(d.name, 'no manifest.json (incomplete)');
      continue;
    }
    let m: CheckpointManifest;
    try {
      m = readCheckpointManifest(runDir, d.name);
    } catch (e) {
      onSkip?.(d.name, e instanceof Error ? e.message : String(e));
      continue;
    }
    if (!best || m.step > best.step || (m.step === best.step && m.epoch > best.epoch)) best = m;
  }
  return best;
}

export interface RetentionPolicy {
  every: number;
  keepLast: number;
  keepBest: boolean;
  /** The run's last epoch (its checkpoint counts as on the grid). */
  epochs: number;
}

export function indexEntryOf(m: CheckpointManifest, bytes: number): CheckpointEntry & { partial: boolean } {
  return {
    tag: m.tag,
    epoch: m.epoch,
    step: m.step,
    path: `${RUN_FILES.checkpoints}/${m.tag}`,
    top1: m.eval?.top1 ?? null,
    many: m.eval?.many ?? null,
    medium: m.eval?.medium ?? null,
    few: m.eval?.few ?? null,
    bytes,
    time: m.time,
    best: false,
    partial: m.stepInEpoch !== 0,
  };
}

/**
 * Adds `entry` to index.json and prunes: kept are the latest checkpoint (resume), the last
 * `keepLast` epoch-end checkpoints on the `every` grid (or of the final epoch), and the best
 * by top-1 when keepBest. Pruned folders lose their manifest first, so a half-deleted folder is
 * never taken for a complete one. Returns the new index entries.
 */
export function recordCheckpoint(
  runDir: string,
  entry: CheckpointEntry & { partial?: boolean },
  policy: RetentionPolicy,
): CheckpointEntry[] {
  const current = readCheckpointIndex(runDir).checkpoints.filter((e) => e.tag !== entry.tag);
  const all = [...current, entry].sort((a, b) => a.step - b.step || a.epoch - b.epoch);
  const isPartial = (e: CheckpointEntry) => (e as { partial?: unknown }).partial === true;
  const onGrid = all.filter((e) => !isPartial(e) && (e.epoch % policy.every === 0 || e.epoch === policy.epochs));
  const keep = new Set<string>(onGrid.slice(-policy.keepLast).map((e) => e.tag));
  keep.add(all[all.length - 1]!.tag);
  let best: CheckpointEntry | undefined;
  for (const e of all) if (e.top1 !== null && (!best || e.top1 > best.top1!)) best = e;
  if (policy.keepBest && best) keep.add(best.tag);
  const kept = all.filter((e) => keep.has(e.tag)).map((e) => ({ ...e, best: best !== undefined && e.tag === best.tag }));
  writeCheckpointIndex(runDir, { checkpoints: kept });
  for (const e of all) if (!keep.has(e.tag)) removeCheckpointFolder(runDir, e.path);
  return kept;
}

function removeCheckpointFolder(runDir: string, relPath: string): void {
  const folder = path.resolve(runDir, relPath);
  const rel = path.relative(path.resolve(runPaths(runDir).checkpoints), folder);
  if (rel.startsWith('..') || path.isAbsolute(rel) || rel === '') return; // never outside checkpoints/
  fs.rmSync(path.join(folder, CHECKPOINT_MANIFEST), { force: true });
  fs.rmSync(folder, { recursive: true, force: true });
}
