// Entry point of the data layer: `openTrainingData` / `loadDataset` for the trainer, `preflightData` for the CLI and
// launchers (cheap checks before anything is created), and the split file helpers.
// No TensorFlow.js here: the CLI imports this folder.
import * as path from 'node:path';
import type { Config, DataConfig } from '../core/config/schema';
import { DEBIAN_FASHION_MNIST } from '../core/config/validate';
import { openCifar } from './cifar';
import { openIdx } from './idx';
import { checkBadImages, openImageFolder, scanSignatures } from './imageFolder';
import { assembleSplit, planOf, splitRecordOf } from './keptSplit';
import { classCounts, flattenIndices, resolveMaxPerClass } from './longTailSplit';
import { defaultDecodeWorkers } from './decodePool';
import { openStreamedParts } from './streamed';
import { assignShotGroups, configToGroupRule } from '../core/evalMath';
import { SHOT_GROUPS } from '../core/contract';
import type { Source } from './source';
import { compareSplits, readSplitFile, splitFileOf, type SplitFile } from './splitFile';
import { checkLists, sampleFiles } from './splitList';
import { openListSource } from './splitList';
import { makeSyntheticDataset } from './synthetic';
import { type AnySet, DataError, type Dataset, type DataIssue, type LoadOptions } from './types';

export * from './types';
export { readSplitFile, writeSplitFile, SPLIT_FILE, type SplitFile } from './splitFile';
export { MAX_BAD_IMAGE_FRACTION } from './imageFolder';

type FileDataKind = Exclude<DataConfig['kind'], 'synthetic'>;

/** data.cache values (absent = memory). */
export type DataCache = NonNullable<DataConfig['cache']>;
export { dataCacheDir } from './streamed';
export { DecodeWorkerFailure } from './decodePool';

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

/** Reads the data set of `config.data` and makes its long-tailed training split (images in memory). */
export async function loadDataset(config: Config, opts: LoadOptions = {}): Promise<Dataset> {
  const data = config.data;
  if (!isFileKind(data)) {
    // The synthetic images are data, not model randomness: they follow the split seed so runs
    // that differ only in `seed` train on the same images.
    return makeSyntheticDataset(data, data.splitSeed);
  }
  const warn = warner(opts);
  const source = await openSource(data);
  for (const w of source.warnings) warn.add(w.message);
  const plan = planOf(data, source);
  const wanted = flattenIndices(plan.indices);
  const train = await source.train.gather(wanted, (d, t) => opts.onProgress?.(d, t, 'train'));
  const test = await source.test.gather(
    Int32Array.from({ length: source.test.count }, (_, i) => i),
    (d, t) => opts.onProgress?.(d, t, 'test'),
  );
  const kept = assembleSplit(data, source, plan, train, test, warn.add);
  return {
    ...kept.dataset,
    train: { images: train.images, labels: kept.trainLabels, count: train.kept.length },
    test: { images: test.images, labels: kept.testLabels, count: test.kept.length },
    warnings: warn.all,
  };
}

/** A training data set as a run reads it, with what it holds open (decode threads, cache files). */
export interface TrainingData extends Dataset<AnySet> {
  /** data.cache in effect: memory for every kind but image folders and lists that ask otherwise. */
  cache: DataCache;
  dispose(): Promise<void>;
}

export interface TrainingDataOptions extends LoadOptions {
  /** data.cache "disk": where the cache files are (dataCacheDir). */
  cacheDir: string;
  /** Test hook: a decode worker exits at a job (DecodePoolOptions.exitAt). */
  decodeExitAt?: { worker: number; job: number };
}

/**
 * The data of a run: `loadDataset` for data.cache "memory" (the default), else the same split
 * with images read batch by batch through decode worker threads (cache "none") or a disk cache
 * of resized images (cache "disk"), so memory stays flat whatever the data set size.
 */
export async function openTrainingData(config: Config, opts: TrainingDataOptions): Promise<TrainingData> {
  const data = config.data;
  const cache = data.cache ?? 'memory';
  if (!isFileKind(data) || cache === 'memory') {
    const ds = await loadDataset(config, opts);
    return { ...ds, cache: 'memory', dispose: () => Promise.resolve() };
  }
  if (data.kind !== 'image-folder' && data.kind !== 'list') {
    throw new DataError(`data.cache: "${cache}" is only used with data.kind "image-folder" or "list"`, 'data.cache');
  }
  const warn = warner(opts);
  const source = await openSource(data);
  for (const w of source.warnings) warn.add(w.message);
  const plan = planOf(data, source);
  const wanted = flattenIndices(plan.indices);
  const streamed = await openStreamedParts(source, wanted, {
    cache,
    cacheDir: opts.cacheDir,
    workers: data.decodeWorkers ?? defaultDecodeWorkers(),
    warn: warn.add,
    ...(opts.onInfo ? { info: opts.onInfo } : {}),
    ...(opts.decodeExitAt ? { exitAt: opts.decodeExitAt } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  try {
    const kept = assembleSplit(data, source, plan, streamed.train, streamed.test, warn.add);
    return {
      ...kept.dataset,
      train: streamed.set('train', kept.trainLabels),
      test: streamed.set('test', kept.testLabels),
      warnings: warn.all,
      cache,
      dispose: () => streamed.dispose(),
    };
  } catch (err) {
    await streamed.dispose();
    throw err;
  }
}

function warner(opts: LoadOptions): { all: string[]; add: (m: string) => void } {
  const all: string[] = [];
  return {
    all,
    add: (m) => {
      all.push(m);
      opts.onWarning?.(m);
    },
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
