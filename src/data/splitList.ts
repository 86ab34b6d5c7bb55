// Split-list data sets (data.kind "list"): an image folder plus list files of `relative/path
// label` lines, as ImageNet-LT, iNaturalist 2018 and Places-LT are distributed. The training
// list is the long-tailed split itself; labels keep the list's numbering (class i = label i).
// Parsing and checks need no pixels, so the CLI's preflight runs them before anything starts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataConfig } from '../core/config/schema';
import { Rng } from '../core/random';
import { imageFilePart } from './imageFolder';
import { imageSignature } from './imageSignature';
import type { Source } from './source';
import { DataError } from './types';

/** Bad lines named in one error message; the rest are counted. */
const SHOWN_PROBLEMS = 10;
/** Files checked for existence per list besides the first one (a seeded random sample). */
export const SAMPLED_FILES = 32;

export interface ParsedList {
  file: string;
  paths: string[];
  labels: Int32Array;
  /** 1-based line number of each entry, for messages. */
  lines: Int32Array;
  /** `file:line: what is wrong`, one per bad line. */
  problems: string[];
}

const LINE = /^(.*\S)\s+(\S+)$/;

/** A list path must stay inside data.root: relative, no `..` segment, no NUL. */
function pathProblem(p: string): string | undefined {
  if (p.includes('\0')) return 'the path holds a NUL character';
  if (path.isAbsolute(p) || /^[A-Za-z]:[\\/]/.test(p)) return `path "${p}" must be relative to data.root`;
  if (p.split(/[\\/]/).includes('..')) return `path "${p}" must stay inside data.root (no ".." segments)`;
  return undefined;
}

/** Parses list text; blank lines and `#` comments are skipped. Labels are checked later. */
export function parseListText(text: string, file: string): ParsedList {
  const paths: string[] = [];
  const labels: number[] = [];
  const lines: number[] = [];
  const problems: string[] = [];
  const all = text.split(/\r?\n/);
  all.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${file}:${i + 1}`;
    const m = LINE.exec(line);
    if (!m) {
      problems.push(`${where}: expected "relative/path label" (got ${JSON.stringify(line.slice(0, 80))})`);
      return;
    }
    const [, p, labelText] = m as unknown as [string, string, string];
    if (!/^\d{1,9}$/.test(labelText)) {
      problems.push(`${where}: label ${JSON.stringify(labelText.slice(0, 20))} is not a non-negative integer`);
      return;
    }
    const bad = pathProblem(p);
    if (bad) {
      problems.push(`${where}: ${bad}`);
      return;
    }
    paths.push(p);
    labels.push(Number(labelText));
    lines.push(i + 1);
  });
  return { file, paths, labels: Int32Array.from(labels), lines: Int32Array.from(lines), problems };
}

function readText(file: string, field: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new DataError(`${field}: cannot read ${file} (${(err as Error).message})`, field);
  }
}

export function readList(file: string, field: string): ParsedList {
  const list = parseListText(readText(file, field), file);
  if (list.paths.length === 0 && list.problems.length === 0)
    list.problems.push(`${file}: the list has no entries; expected "relative/path label" lines`);
  return list;
}

/** Class names, one per non-empty line: line i names label i. */
export function readClassNames(file: string): { names: string[]; problems: string[] } {
  const names: string[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  readText(file, 'data.classNames')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const name = raw.trim();
      if (name === '') return;
      const before = seen.get(name);
      if (before !== undefined) problems.push(`${file}:${i + 1}: class name "${name}" repeats line ${before}`);
      seen.set(name, i + 1);
      names.push(name);
    });
  if (names.length < 2 && problems.length === 0) problems.push(`${file}: expected one class name per line, at least two classes`);
  return { names, problems };
}

export interface CheckedLists {
  classNames: string[];
  train: ParsedList;
  test: ParsedList;
  val: ParsedList | null;
  /** Training images per label. */
  trainCounts: number[];
  /** Every problem found, `file:line: ...` where a line is to blame. */
  problems: string[];
}

/**
 * Reads and checks the lists of a `list` config: every line parses, every label is in range (the
 * class-name file's count, else the training list's largest label + 1), and every class has
 * training images (a class without any would get a log prior of -infinity).
 */
export function checkLists(data: DataConfig): CheckedLists {
  if (!data.root || !data.train || !data.test)
    throw new DataError('data.root, data.train and data.test are required for data.kind "list"', 'data');
  const train = readList(data.train, 'data.train');
  const test = readList(data.test, 'data.test');
  const val = data.val ? readList(data.val, 'data.val') : null;
  const problems = [...train.problems, ...test.problems, ...(val?.problems ?? [])];
  let classNames: string[];
  if (data.classNames) {
    const read = readClassNames(data.classNames);
    problems.push(...read.problems);
    classNames = read.names;
  } else {
    const max = train.labels.reduce((a, b) => Math.max(a, b), -1);
    classNames = Array.from({ length: max + 1 }, (_, i) => String(i));
  }
  const c = classNames.length;
  const range = data.classNames ? `0..${c - 1} (${c} names in ${data.classNames})` : `0..${c - 1} (the training list's labels)`;
  for (const list of [train, test, ...(val ? [val] : [])]) {
    list.labels.forEach((label, k) => {
      if (label >= c) problems.push(`${list.file}:${list.lines[k]}: label ${label} is out of range ${range}`);
    });
  }
  const trainCounts = new Array<number>(c).fill(0);
  train.labels.forEach((l) => {
    if (l < c) trainCounts[l]!++;
  });
  if (c < 2) problems.push(`${train.file}: one class only; expected at least two`);
  const empty = trainCounts.flatMap((n, i) => (n === 0 ? [i] : []));
  if (empty.length > 0 && c >= 2) {
    const shown = empty.slice(0, 5).map((i) => `${i} (${classNames[i]})`);
    problems.push(
      `${train.file}: ${empty.length} class${empty.length > 1 ? 'es have' : ' has'} no training images: label ${shown.join(', ')}${empty.length > 5 ? ', ...' : ''}`,
    );
  }
  return { classNames, train, test, val, trainCounts, problems };
}

/** Throws one DataError naming the first problems (file:line) and how many more there are. */
export function throwListProblems(problems: readonly string[]): void {
  if (problems.length === 0) return;
  const more = problems.length > SHOWN_PROBLEMS ? `; and ${problems.length - SHOWN_PROBLEMS} more` : '';
  throw new DataError(
    `data.kind "list": ${problems.length} problem${problems.length > 1 ? 's' : ''} in the lists: ${problems.slice(0, SHOWN_PROBLEMS).join('; ')}${more}`,
    problems[0]!.split(':')[0],
  );
}

/**
 * The first entry and a seeded random sample of each list must exist under data.root and start
 * like a PNG / JPEG (cheap: a few dozen small reads, not a scan of 400,000 files).
 */
export function sampleFiles(root: string, lists: readonly ParsedList[], seed = 0): string[] {
  const problems: string[] = [];
  const head = Buffer.alloc(8);
  for (const list of lists) {
    const n = list.paths.length;
    if (n === 0) continue;
    const rng = Rng.derive(seed, `list-sample/${path.basename(list.file)}`);
    const picks = new Set<number>([0]);
    for (let k = 0; k < Math.min(SAMPLED_FILES, n - 1); k++) picks.add(rng.int(n));
    for (const k of [...picks].sort((a, b) => a - b)) {
      const file = path.join(root, list.paths[k]!);
      const where = `${list.file}:${list.lines[k]}`;
      let got: number;
      try {
        const fd = fs.openSync(file, 'r');
        try {
          got = fs.readSync(fd, head, 0, 8, 0);
        } finally {
          fs.closeSync(fd);
        }
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        problems.push(`${where}: ${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as Error).message})`}`);
        continue;
      }
      if (!imageSignature(head.subarray(0, got))) problems.push(`${where}: ${file} is not a PNG or JPEG file`);
    }
  }
  return problems;
}

/** Opens a split-list data set: lists parsed and checked, no pixels read. */
export function openListSource(data: DataConfig): Source {
  const lists = checkLists(data);
  throwListProblems(lists.problems);
  const size = data.imageSize;
  const names = data.val ? `, val ${lists.val!.paths.length}` : '';
  return {
    description: `list (${data.root}: train ${lists.train.paths.length}, test ${lists.test.paths.length}${names}, ${lists.classNames.length} classes) at ${size}x${size}x${data.channels}`,
    classNames: lists.classNames,
    height: size,
    width: size,
    channels: data.channels,
    train: imageFilePart(data.root!, lists.train.paths, lists.train.labels, size, data.channels),
    test: imageFilePart(data.root!, lists.test.paths, lists.test.labels, size, data.channels),
    warnings: [],
  };
}
