// split.json in the run directory: the exact long-tailed split a run trained on, so it can be
// rebuilt and checked later (verifySplit), or compared across runs.
import * as path from 'node:path';
import { writeFileAtomic } from '../core/atomicWrite';
import type { AnySet, Dataset, SplitRecord } from './types';
import { DataError } from './types';
import { errorReason, readRunText } from '../core/runFile';

export const SPLIT_FILE = 'split.json';
export const SPLIT_SCHEMA = 'gpaco-split/1';

/** On disk: a SplitRecord with the class names, and indices / files grouped per class. */
export interface SplitFile extends Omit<SplitRecord, 'files'> {
  schema: typeof SPLIT_SCHEMA;
  classNames: string[];
  /** Per class (head first): kept positions in the full training set, ascending. */
  indices: number[][];
  /** image-folder: per class, the kept images (paths relative to `source`). */
  files?: string[][];
}

function perClass<T>(flat: ArrayLike<T>, counts: readonly number[]): T[][] {
  const out: T[][] = [];
  let k = 0;
  for (const n of counts) {
    out.push(Array.from({ length: n }, (_, i) => flat[k + i]!));
    k += n;
  }
  return out;
}

/** The split file's content for a data set, or undefined when it has no recorded split (synthetic). */
export function splitFileOf(dataset: Dataset<AnySet>): SplitFile | undefined {
  const s = dataset.split;
  if (!s || !dataset.trainIndices) return undefined;
  const { files, ...rest } = s;
  return {
    schema: SPLIT_SCHEMA,
    ...rest,
    classNames: dataset.classNames,
    indices: perClass(dataset.trainIndices, s.counts),
    ...(files ? { files: perClass(files, s.counts) } : {}),
  };
}

/** One line per class, so the file stays readable and diffable at 100 classes. */
function serialise(file: SplitFile): string {
  const lines = Object.entries(file).map(([key, value]) => {
    if ((key === 'indices' || key === 'files') && Array.isArray(value)) {
      return `  ${JSON.stringify(key)}: [\n${(value as unknown[]).map((row) => `    ${JSON.stringify(row)}`).join(',\n')}\n  ]`;
    }
    return `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`;
  });
  return `{\n${lines.join(',\n')}\n}\n`;
}

/** Writes `<dir>/split.json` atomically; returns its path, or undefined when there is no split to record. */
export function writeSplitFile(dir: string, dataset: Dataset<AnySet>): string | undefined {
  const content = splitFileOf(dataset);
  if (!content) return undefined;
  const file = path.join(dir, SPLIT_FILE);
  writeFileAtomic(file, serialise(content));
  return file;
}

const isIntArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isInteger(x) && (x as number) >= 0);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Reads and checks `<dir>/split.json`; errors name the file and the field. */
export function readSplitFile(dir: string): SplitFile {
  const file = path.join(dir, SPLIT_FILE);
  let text: string;
  try {
    text = readRunText('splitFile', file);
  } catch (err) {
    throw new DataError(`${file}: cannot read (${errorReason(err)})`, file);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DataError(`${file}: invalid JSON (${(err as Error).message})`, file);
  }
  const bad = (field: string, expected: string): DataError => new DataError(`${file}: field "${field}": expected ${expected}`, file);
  if (typeof value !== 'object' || value === null) throw bad('(root)', 'an object');
  const v = value as Record<string, unknown>;
  if (v.schema !== SPLIT_SCHEMA) throw bad('schema', `"${SPLIT_SCHEMA}" (got ${JSON.stringify(v.schema)})`);
  if (typeof v.kind !== 'string') throw bad('kind', 'a string');
  if (typeof v.source !== 'string') throw bad('source', 'a string');
  for (const key of ['splitSeed', 'imbalanceFactor', 'maxPerClass'] as const) if (typeof v[key] !== 'number') throw bad(key, 'a number');
  if (!isStringArray(v.classNames)) throw bad('classNames', 'an array of strings');
  const C = v.classNames.length;
  for (const key of ['availableCounts', 'counts'] as const) {
    if (!isIntArray(v[key]) || v[key].length !== C) throw bad(key, `${C} non-negative integers (one per class)`);
  }
  const counts = v.counts as number[];
  if (!Array.isArray(v.indices) || v.indices.length !== C || !v.indices.every((row, c) => isIntArray(row) && row.length === counts[c])) {
    throw bad('indices', 'one array of positions per class, as long as its entry in "counts"');
  }
  if (
    v.files !== undefined &&
    (!Array.isArray(v.files) || v.files.length !== C || !v.files.every((row, c) => isStringArray(row) && row.length === counts[c]))
  ) {
    throw bad('files', 'one array of paths per class, as long as its entry in "counts"');
  }
  for (const key of ['skipped', 'testFiles'] as const)
    if (v[key] !== undefined && !isStringArray(v[key])) throw bad(key, 'an array of strings');
  return v as unknown as SplitFile;
}

/** Differences between a recorded split and a rebuilt one (empty when they are the same). */
export function compareSplits(recorded: SplitFile, rebuilt: SplitFile): string[] {
  const problems: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  for (const key of [
    'kind',
    'labels',
    'splitSeed',
    'imbalanceFactor',
    'maxPerClass',
    'classNames',
    'availableCounts',
    'counts',
    'holdout',
  ] as const) {
    if (!same(recorded[key], rebuilt[key]))
      problems.push(`${key}: recorded ${JSON.stringify(recorded[key])}, rebuilt ${JSON.stringify(rebuilt[key])}`);
  }
  if (problems.length > 0) return problems;
  recorded.indices.forEach((row, c) => {
    const other = rebuilt.indices[c]!;
    const differ = row.filter((x, i) => x !== other[i]).length;
    if (differ > 0) problems.push(`indices of class ${c} ("${recorded.classNames[c]}"): ${differ} of ${row.length} differ`);
  });
  for (const key of ['files', 'skipped', 'testFiles'] as const) {
    if (!same(recorded[key], rebuilt[key])) problems.push(`${key}: the recorded list differs from the rebuilt one`);
  }
  return problems;
}
