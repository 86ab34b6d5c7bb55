// Streamed parts of an image-folder or list data set (data.cache "none" or "disk";
// docs/architecture.md, Data loading): images are read when a batch needs them, through the
// decode worker threads (none) or from a disk cache of resized images built once by them (disk).
// The kept images are the ones the in-memory load keeps, so batches are the same bit for bit:
//   disk: the cache build decodes every image, so an undecodable one is skipped exactly as in
//         memory;
//   none: a file that is not a PNG / JPEG (its first bytes) is skipped at the start, as in
//         memory; one that starts right but does not decode is only found when read: it is then
//         counted and warned about once, and MAX_BAD_IMAGE_FRACTION of the data refuses the run
//         (the in-memory rule); its place in a batch is filled by the caller.
import * as path from 'node:path';
import type { DataConfig } from '../core/config/schema';
import { DecodePool } from './decodePool';
import { ImageCacheReader, openImageCache } from './imageCache';
import { checkBadImages, scanSignatures } from './imageFolder';
import type { PartRead } from './keptSplit';
import type { Source, SourcePart } from './source';
import type { LoadOptions, StreamedImageSet } from './types';

export interface StreamOptions {
  cache: 'none' | 'disk';
  cacheDir: string;
  workers: number;
  warn: (m: string) => void;
  info?: (m: string) => void;
  exitAt?: { worker: number; job: number };
  onProgress?: LoadOptions['onProgress'];
}

export interface StreamedParts {
  train: PartRead;
  test: PartRead;
  /** The readable set of a part's kept images (labels from the split). */
  set(part: 'train' | 'test', labels: Int32Array): StreamedImageSet;
  dispose(): Promise<void>;
}

/**
 * Folder of the disk cache: data.cacheDir, else $GPACO_DATA_CACHE, else `.gpaco-cache/data`
 * beside the runs folder (the run folder's grandparent), so every run of a workspace shares it.
 */
export function dataCacheDir(data: DataConfig, runDir: string, env: NodeJS.ProcessEnv = process.env): string {
  if (data.cacheDir) return data.cacheDir;
  if (env.GPACO_DATA_CACHE) return path.resolve(env.GPACO_DATA_CACHE);
  return path.join(path.dirname(path.dirname(path.resolve(runDir))), '.gpaco-cache', 'data');
}

const allPositions = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

function splitKept(positions: Int32Array, failed: { slot: number; reason: string }[]): PartRead & { slots: Int32Array } {
  const bad = new Set(failed.map((f) => f.slot));
  const slots: number[] = [];
  for (let k = 0; k < positions.length; k++) if (!bad.has(k)) slots.push(k);
  return {
    kept: Int32Array.from(slots, (k) => positions[k]!),
    slots: Int32Array.from(slots),
    failed: failed.map((f) => ({ position: positions[f.slot]!, reason: f.reason })),
  };
}

export async function openStreamedParts(source: Source, wanted: Int32Array, o: StreamOptions): Promise<StreamedParts> {
  const parts = {
    train: { part: source.train, positions: wanted },
    test: { part: source.test, positions: allPositions(source.test.count) },
  };
  const size = source.width;
  const channels = source.channels;
  const bytes = size * size * channels;
  const pool = new DecodePool({ workers: o.workers, ...(o.exitAt ? { exitAt: o.exitAt } : {}) });
  try {
    if (o.cache === 'disk') {
      const openPart = async (name: 'train' | 'test'): Promise<PartRead & { slots: Int32Array; file: string }> => {
        const { part, positions } = parts[name];
        const files = Array.from(positions, (p) => part.files![p]!);
        const t0 = performance.now();
        const c = await openImageCache(o.cacheDir, { root: part.root, files, size, channels }, pool, (d, t) => o.onProgress?.(d, t, name));
        const took = `${((performance.now() - t0) / 1000).toFixed(1)} s`;
        const how =
          c.how.kind === 'reused'
            ? 'reused'
            : c.how.kind === 'built'
              ? `built with ${o.workers} decode threads (${took})`
              : `rebuilt (${c.how.reason}) with ${o.workers} decode threads (${took})`;
        o.info?.(`${name} images: disk cache ${c.file} ${how}`);
        return { ...splitKept(positions, c.failed), file: c.file };
      };
      const opened = { train: await openPart('train'), test: await openPart('test') };
      // Every image is in the cache files now: the threads are not needed any more.
      await pool.dispose();
      const readers: ImageCacheReader[] = [];
      return {
        train: opened.train,
        test: opened.test,
        set(name, labels) {
          const reader = new ImageCacheReader(opened[name].file, bytes);
          readers.push(reader);
          const slots = opened[name].slots;
          return {
            labels,
            count: slots.length,
            read: async (indices) => ({ images: await reader.read(Array.from(indices, (i) => slots[i]!)), failed: [] }),
          };
        },
        dispose: async () => {
          await Promise.all(readers.splice(0).map((r) => r.close()));
        },
      };
    }
    const scanned = {
      train: scan(parts.train.part, parts.train.positions),
      test: scan(parts.test.part, parts.test.positions),
    };
    // Files that start right but do not decode, found while training: counted once each.
    const lateFailures = new Map<string, string>();
    const known = (['train', 'test'] as const).flatMap((name) =>
      scanned[name].failed.map((f) => ({ file: path.join(parts[name].part.root, parts[name].part.files![f.position]!), reason: f.reason })),
    );
    const attempted = wanted.length + source.test.count;
    return {
      train: scanned.train,
      test: scanned.test,
      set(name, labels) {
        const part = parts[name].part;
        const kept = scanned[name].kept;
        return {
          labels,
          count: kept.length,
          read: async (indices) => {
            const files = Array.from(indices, (i) => path.join(part.root, part.files![kept[i]!]!));
            const got = await pool.decode(files, size, channels);
            for (const f of got.failed) {
              if (lateFailures.has(files[f.k]!)) continue;
              lateFailures.set(files[f.k]!, f.reason);
              o.warn(`${files[f.k]}: skipped: ${f.reason} (found while reading it; data.cache "none")`);
              checkBadImages([...[...lateFailures].map(([file, reason]) => ({ file, reason })), ...known], attempted);
            }
            return { images: got.images, failed: got.failed.map((f) => f.k) };
          },
        };
      },
      dispose: () => pool.dispose(),
    };
  } catch (err) {
    await pool.dispose();
    throw err;
  }
}

/** data.cache "none": the files of `positions` whose first bytes are not a PNG / JPEG are skipped up front. */
function scan(part: SourcePart, positions: Int32Array): PartRead {
  const bad = scanSignatures(part, positions);
  const badSet = new Set(bad.map((b) => b.position));
  return {
    kept: positions.filter((p) => !badSet.has(p)),
    failed: bad.map((b) => ({ position: b.position, reason: b.reason })),
  };
}
