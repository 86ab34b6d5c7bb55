// The split a run trains on once its images are read: which items were kept (undecodable ones
// are skipped, and too many refuse the load), their labels, the split.json record and the
// description. Shared by the in-memory load and the streamed one (streamed.ts), so both keep
// exactly the same images in the same order.
import * as path from 'node:path';
import type { DataConfig } from '../core/config/schema';
import { DEBIAN_FASHION_MNIST } from '../core/config/validate';
import { checkBadImages } from './imageFolder';
import { classCounts, planLongTailSplit, type SplitPlan } from './longTailSplit';
import type { Source } from './source';
import { DataError, type Dataset, type SplitRecord } from './types';

/** Positions read from a part (in the order asked) and those that could not be. */
export interface PartRead {
  kept: Int32Array;
  failed: { position: number; reason: string }[];
}

/** The record saved as split.json, for a split whose training items are `kept` (positions). */
export function splitRecordOf(
  data: DataConfig,
  source: Source,
  plan: SplitPlan,
  kept: Int32Array,
  skipped: string[],
  testSkipped: string[] = [],
): SplitRecord {
  const labels = source.train.labels;
  const files = source.train.files;
  return {
    kind: data.kind,
    source: data.kind === 'list' ? data.root! : (data.path ?? DEBIAN_FASHION_MNIST),
    ...(data.testPath ? { testSource: data.testPath } : {}),
    ...(source.labels ? { labels: source.labels } : {}),
    splitSeed: plan.splitSeed,
    imbalanceFactor: plan.imbalanceFactor,
    maxPerClass: plan.maxPerClass,
    availableCounts: plan.available,
    counts: classCounts(
      Array.from(kept, (p) => labels[p]!),
      source.classNames.length,
    ),
    // A list names its own files (the list file is the record); others record the kept files.
    ...(files && data.kind !== 'list' ? { files: Array.from(kept, (p) => files[p]!) } : {}),
    ...(files ? { skipped } : {}),
    ...(testSkipped.length > 0 ? { testSkipped } : {}),
    ...(source.holdout !== undefined ? { holdout: source.holdout, testFiles: source.test.files ?? [] } : {}),
  };
}

/**
 * The training split: the papers' long-tailed profile drawn from the full set, or for a split
 * list the list itself (its own profile; nothing is subsampled).
 */
export function planOf(data: DataConfig, source: Source): SplitPlan {
  if (data.kind !== 'list') return planLongTailSplit(source.train.labels, source.classNames, data);
  const counts = classCounts(source.train.labels, source.classNames.length);
  const indices = counts.map((n) => new Int32Array(n));
  const fill = new Array<number>(counts.length).fill(0);
  source.train.labels.forEach((l, p) => (indices[l]![fill[l]!++] = p));
  const max = Math.max(...counts);
  const min = Math.min(...counts);
  return {
    maxPerClass: max,
    imbalanceFactor: min > 0 ? max / min : Infinity,
    splitSeed: data.splitSeed,
    available: counts,
    counts,
    indices,
  };
}

/**
 * Skipped images are warned about (more than MAX_BAD_IMAGE_FRACTION of those read refuses the
 * load); a class left without training images refuses it too.
 */
export function assembleSplit(
  data: DataConfig,
  source: Source,
  plan: SplitPlan,
  train: PartRead,
  test: PartRead,
  warn: (m: string) => void,
): { dataset: Omit<Dataset<never>, 'train' | 'test' | 'warnings'>; trainLabels: Int32Array; testLabels: Int32Array } {
  const wanted = train.kept.length + train.failed.length;
  const nameOf = (part: 'train' | 'test', p: number) => path.join(source[part].root, source[part].files?.[p] ?? `item ${p}`);
  const failures = [
    ...train.failed.map((f) => ({ file: nameOf('train', f.position), reason: f.reason })),
    ...test.failed.map((f) => ({ file: nameOf('test', f.position), reason: f.reason })),
  ];
  checkBadImages(failures, wanted + source.test.count);
  for (const f of failures) warn(`${f.file}: skipped: ${f.reason}`);

  const C = source.classNames.length;
  const trainLabels = Int32Array.from(train.kept, (p) => source.train.labels[p]!);
  const testLabels = Int32Array.from(test.kept, (p) => source.test.labels[p]!);
  const kept = classCounts(trainLabels, C);
  const emptied = kept.findIndex((n) => n === 0);
  if (emptied >= 0) {
    throw new DataError(
      `class "${source.classNames[emptied]}": none of its ${plan.counts[emptied]} chosen training images could be decoded`,
      data.path ?? 'data.path',
    );
  }
  const skipped = train.failed.map((f) => source.train.files?.[f.position] ?? String(f.position));
  // Test images that did not decode are left out of the test set: recorded, so a viewer can map
  // an evaluation's image i back to its file (docs/run-folder.md).
  const testSkipped = test.failed.map((f) => source.test.files?.[f.position] ?? String(f.position));
  const split = splitRecordOf(data, source, plan, train.kept, skipped, testSkipped);
  return {
    dataset: {
      description:
        `${source.description}: ${train.kept.length} training images of ${source.train.count} ` +
        `(largest class ${plan.maxPerClass}, imbalance factor ${plan.imbalanceFactor}, split seed ${plan.splitSeed}), ${test.kept.length} test images`,
      classNames: source.classNames,
      height: source.height,
      width: source.width,
      channels: source.channels,
      trainIndices: train.kept,
      split,
    },
    trainLabels,
    testLabels,
  };
}
