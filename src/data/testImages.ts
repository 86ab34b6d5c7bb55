// The test images behind an evaluation: image i of an eval file's `predictions` is the i-th image
// of the run's test set, in the order the trainer read it (docs/run-folder.md). This reopens the
// same readers (image folders, split lists, IDX, CIFAR, synthetic) from the run's config, leaves
// out the test images the run skipped (split.json `testSkipped`) and reads only the images asked
// for, as the model saw them (data.imageSize, data.channels). No TensorFlow.js.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Config } from '../core/config/schema';
import { isFileKind, openSource } from './index';
import { SPLIT_FILE } from './splitFile';
import { makeSyntheticDataset } from './synthetic';
import { DataError } from './types';

export interface TestImage {
  /** Index in the evaluated test set. */
  index: number;
  /** Label read from the data now (compared with the evaluation's true class by callers). */
  label: number;
  /** HWC uint8 pixels, or null when the file cannot be read any more (with the reason). */
  pixels: Uint8Array | null;
  error?: string;
}

export interface TestImageSet {
  count: number;
  width: number;
  height: number;
  channels: 1 | 3;
  /** Where image i comes from, for a person: a file path, or `file #position` for packed sets. */
  describe(index: number): string;
  label(index: number): number;
  read(indices: readonly number[]): Promise<TestImage[]>;
}

/** `testSkipped` of the run's split.json (relative paths); empty when there is none. */
function testSkipped(runDir: string): Set<string> {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(runDir, SPLIT_FILE), 'utf8')) as { testSkipped?: unknown };
    return new Set(Array.isArray(v.testSkipped) ? v.testSkipped.filter((x): x is string => typeof x === 'string') : []);
  } catch {
    return new Set();
  }
}

export async function openTestImages(config: Config, runDir: string): Promise<TestImageSet> {
  const data = config.data;
  if (!isFileKind(data)) {
    // Generated from the split seed, exactly as the trainer made it (a few MB at most).
    const ds = makeSyntheticDataset(data, data.splitSeed);
    const bytes = ds.height * ds.width * ds.channels;
    const check = (i: number) => {
      if (!(Number.isInteger(i) && i >= 0 && i < ds.test.count)) throw new DataError(`test image ${i} is outside 0..${ds.test.count - 1}`);
    };
    return {
      count: ds.test.count,
      width: ds.width,
      height: ds.height,
      channels: ds.channels,
      describe: (i) => `synthetic test image #${i}`,
      label: (i) => (check(i), ds.test.labels[i]!),
      // A bad index rejects the promise (as an async function would), it does not throw.
      read: (indices) =>
        new Promise((resolve) =>
          resolve(
            indices.map((i) => {
              check(i);
              return { index: i, label: ds.test.labels[i]!, pixels: ds.test.images.slice(i * bytes, (i + 1) * bytes) };
            }),
          ),
        ),
    };
  }
  const source = await openSource(data);
  const part = source.test;
  const skipped = testSkipped(runDir);
  const positions: number[] = [];
  for (let p = 0; p < part.count; p++) if (!(part.files && skipped.has(part.files[p]!))) positions.push(p);
  const position = (i: number): number => {
    const p = positions[i];
    if (!Number.isInteger(i) || p === undefined) throw new DataError(`test image ${i} is outside 0..${positions.length - 1}`);
    return p;
  };
  const bytes = source.height * source.width * source.channels;
  return {
    count: positions.length,
    width: source.width,
    height: source.height,
    channels: source.channels,
    describe: (i) => {
      const p = position(i);
      return part.files ? path.join(part.root, part.files[p]!) : `${part.root} #${p}`;
    },
    label: (i) => part.labels[position(i)]!,
    async read(indices) {
      const pos = Int32Array.from(indices, position);
      const got = await part.gather(pos);
      const slot = new Map<number, number>();
      got.kept.forEach((p, k) => slot.set(p, k));
      const reasons = new Map(got.failed.map((f) => [f.position, f.reason]));
      return indices.map((i, k) => {
        const p = pos[k]!;
        const s = slot.get(p);
        const label = part.labels[p]!;
        if (s === undefined) return { index: i, label, pixels: null, error: reasons.get(p) ?? 'not read' };
        return { index: i, label, pixels: got.images.slice(s * bytes, (s + 1) * bytes) };
      });
    },
  };
}
