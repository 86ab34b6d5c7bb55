// Entry point of the data layer: `loadDataset` for the trainer, `preflightData` for the CLI and
// launchers (cheap checks before anything is created), and the split file helpers.
// No TensorFlow.js here: the CLI imports this folder.
import * as path from 'node:path';
import type { Config, DataConfig } from '../core/config/schema';
import { DEBIAN_FASHION_MNIST } from '../core/config/validate';
import { openCifar } from './cifar';
import { openIdx } from './idx';
import { checkBadImages, openImageFolder, scanSignatures } from './imageFolder';
import { classCounts, flattenIndices, planLongTailSplit, resolveMaxPerClass, type SplitPlan } from './longTailSplit';
import { assignShotGroups, configToGroupRule } from '../core/evalMath';
import { SHOT_GROUPS } from '../core/contract';
import type { Source } from './source';
import { compareSplits, readSplitFile, splitFileOf, type SplitFile } from './splitFile';
import { checkLists, sampleFiles } from './splitList';
import { openListSource } from './splitList';
import { makeSyntheticDataset } from './synthetic';
import { DataError, type Dataset, type DataIssue, type LoadOptions, type SplitRecord } from './types';

export * from './types';
export { readSplitFile, writeSplitFile, SPLIT_FILE, type SplitFile } from './splitFile';
export { MAX_BAD_IMAGE_FRACTION } from './imageFolder';

type FileDataKind = Exclude<DataConfig['kind'], 'synthetic'>;

function requirePath(data: DataConfig): string {
  if (data.path) return data.path;
  throw new DataError(`data.path: required for data.kind "${data.kind}": the folder holding its files`, 'data.path');
}

/** Opens the files of a data set: headers, sizes, labels and listings are checked; no pixels read. */
export async function openSource(data: DataConfig & { kind: FileDataKind }): Promise<Source> {
  const kind: FileDataKind = data.kind;
  switch (kind) {
    case 'fashion-mnist':
      return openIdx(kind, data.path ?? DEBIAN_FASHION_MNIST);
    case 'mnist':
      return openIdx(kind, requirePath(data));
    case 'cifar10':
    case 'cifar100':
      return openCifar(kind, requirePath(data), data.labels);
    case 'image-folder':
      return openImageFolder(data);
    case 'list':
      return openListSource(data);
    default: {
      const never: never = kind;
      throw new DataError(`data.kind: unknown kind ${JSON.stringify(never)}`, 'data.kind');
    }
  }
}

export function isFileKind(data: DataConfig): data is DataConfig & { kind: FileDataKind } {
  return data.kind !== 'synthetic';
}

/** The record saved as split.json, for a split whose training items are `kept` (positions). */
function splitRecordOf(
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

/** Reads the data set of `config.data` and makes its long-tailed training split. */
export async function loadDataset(config: Config, opts: LoadOptions = {}): Promise<Dataset> {
  const data = config.data;
  if (!isFileKind(data)) {
    // The synthetic images are data, not model randomness: they follow the split seed so runs
    // that differ only in `seed` train on the same images.
    return makeSyntheticDataset(data, data.splitSeed);
  }
  const warnings: string[] = [];
  const warn = (m: string): void => {
    warnings.push(m);
    opts.onWarning?.(m);
  };
  const source = await openSource(data);
  for (const w of source.warnings) warn(w.message);
  const plan = planOf(data, source);
  const wanted = flattenIndices(plan.indices);
  const train = await source.train.gather(wanted, (d, t) => opts.onProgress?.(d, t, 'train'));
  const test = await source.test.gather(
    Int32Array.from({ length: source.test.count }, (_, i) => i),
    (d, t) => opts.onProgress?.(d, t, 'test'),
  );

  // Only image folders can fail here (a file that does not decode): skip it, or refuse when many do.
  const nameOf = (part: 'train' | 'test', p: number) => path.join(source[part].root, source[part].files?.[p] ?? `item ${p}`);
  const failures = [
    ...train.failed.map((f) => ({ file: nameOf('train', f.position), reason: f.reason })),
    ...test.failed.map((f) => ({ file: nameOf('test', f.position), reason: f.reason })),
  ];
  checkBadImages(failures, wanted.length + source.test.count);
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
    description:
      `${source.description}: ${train.kept.length} training images of ${source.train.count} ` +
      `(largest class ${plan.maxPerClass}, imbalance factor ${plan.imbalanceFactor}, split seed ${plan.splitSeed}), ${test.kept.length} test images`,
    classNames: source.classNames,
    height: source.height,
    width: source.width,
    channels: source.channels,
    train: { images: train.images, labels: trainLabels, count: train.kept.length },
    test: { images: test.images, labels: testLabels, count: test.kept.length },
    trainIndices: train.kept,
    warnings,
    split,
  };
}

/**
 * The training split: the papers' long-tailed profile drawn from the full set, or for a split
 * list the list itself (its own profile; nothing is subsampled).
 */
function planOf(data: DataConfig, source: Source): SplitPlan {
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
 * Preflight of a split list: every line parses, labels are in range, the first and a random
 * sample of each list's files exist, and the counts per shot group are reported (info).
 */
function preflightList(config: Config): DataIssue[] {
  const data = config.data;
  const lists = checkLists(data);
  const issues: DataIssue[] = lists.problems.map((p) => ({ level: 'error', where: whereOf(p), message: p }));
  const parsed = [lists.train, lists.test, ...(lists.val ? [lists.val] : [])];
  for (const p of sampleFiles(data.root!, parsed)) issues.push({ level: 'error', where: whereOf(p), message: p });
  if (lists.problems.length === 0) {
    const groups = assignShotGroups(lists.trainCounts, configToGroupRule(config));
    const parts = SHOT_GROUPS.map((g) => {
      const classes = groups.filter((x) => x === g).length;
      const images = lists.trainCounts.reduce((s, n, i) => s + (groups[i] === g ? n : 0), 0);
      return `${g} ${classes} classes / ${images} images`;
    });
    const max = Math.max(...lists.trainCounts);
    const min = Math.min(...lists.trainCounts);
    issues.push({
      level: 'info',
      where: data.train!,
      message:
        `${data.train}: ${lists.train.paths.length} training images in ${lists.classNames.length} classes (largest ${max}, smallest ${min}, imbalance ${(max / min).toFixed(1)}): ${parts.join(', ')}; ` +
        `test ${lists.test.paths.length} images${lists.val ? `, val ${lists.val.paths.length}` : ''}`,
    });
  }
  return issues;
}

/** `file:line` of a `file:line: message` problem (the file alone when no line is named). */
function whereOf(problem: string): string {
  const m = /^(.*?:\d+): /.exec(problem) ?? /^(.*?): /.exec(problem);
  return m ? m[1]! : 'data';
}

function issueOf(err: unknown): DataIssue {
  if (err instanceof DataError) return { level: 'error', where: err.where ?? 'data', message: err.message };
  return { level: 'error', where: 'data', message: `data: ${(err as Error).message ?? String(err)}` };
}

/**
 * Cheap checks of the data a config names (files exist, headers, sizes, counts, class folders,
 * the long-tailed profile against the class sizes). An `error` issue means the run cannot start;
 * the caller should then create nothing. Images of image folders are not decoded here.
 */
export async function preflightData(config: Config): Promise<DataIssue[]> {
  const data = config.data;
  if (!isFileKind(data)) return [];
  const issues: DataIssue[] = [];
  try {
    if (data.kind === 'list') return preflightList(config);
    const source = await openSource(data);
    for (const w of source.warnings) issues.push({ level: 'warning', ...w });
    resolveMaxPerClass(data, classCounts(source.train.labels, source.classNames.length), source.classNames);
    if (data.kind === 'image-folder') {
      const bad = [...scanSignatures(source.train), ...scanSignatures(source.test)];
      checkBadImages(bad, source.train.count + source.test.count);
      for (const b of bad) issues.push({ level: 'warning', where: b.file, message: `${b.file}: will be skipped: ${b.reason}` });
    }
    if (source.test.count === 0) issues.push({ level: 'error', where: 'data', message: `${source.test.root}: no test images` });
  } catch (err) {
    issues.push(issueOf(err));
  }
  return issues;
}

export interface SplitCheck {
  ok: boolean;
  problems: string[];
  file: string;
}

/**
 * Rebuilds the split of `config` from the data (labels or listings only) and compares it with
 * the run directory's split.json.
 */
export async function verifySplit(config: Config, runDir: string): Promise<SplitCheck> {
  const recorded = readSplitFile(runDir);
  const file = path.join(runDir, 'split.json');
  const data = config.data;
  if (!isFileKind(data)) return { ok: false, problems: ['data.kind is "synthetic": synthetic data has no recorded split'], file };
  const source = await openSource(data);
  const plan = planOf(data, source);
  let wanted = flattenIndices(plan.indices);
  // Images that did not decode when the run loaded were dropped from the split; drop them again.
  const skipped = recorded.skipped ?? [];
  if (skipped.length > 0 && source.train.files) {
    const gone = new Set(skipped);
    wanted = wanted.filter((p) => !gone.has(source.train.files![p]!));
  }
  const rebuilt: SplitFile | undefined = splitFileOf({
    description: '',
    classNames: source.classNames,
    height: source.height,
    width: source.width,
    channels: source.channels,
    train: { images: new Uint8Array(0), labels: new Int32Array(0), count: wanted.length },
    test: { images: new Uint8Array(0), labels: new Int32Array(0), count: 0 },
    trainIndices: wanted,
    warnings: [],
    split: splitRecordOf(data, source, plan, wanted, source.train.files ? skipped : []),
  });
  const problems = compareSplits(recorded, rebuilt!);
  return { ok: problems.length === 0, problems, file };
}
