// Training images per class for an imported run, from a split list (`path label` per line, as
// ImageNet_LT_train.txt / Places_LT_train.txt / iNaturalist18_train.txt) or a counts file (a
// JSON array, or whitespace-separated integers). Pure text parsing; problems carry line numbers.
import type { ClassesFile } from '../contract';
import { assignShotGroups } from '../evalMath';
import type { LogProblem } from './pacoLog';

/** The official scripts' shot rule (many: more than 100 training images, few: fewer than 20). */
export const PACO_SHOT_RULE = { kind: 'shots', many: 100, few: 20 } as const;

/** Label indices above this are refused: a typo should not make a 10-million-class table. */
const MAX_CLASSES = 100_000;

export interface ClassCounts {
  counts: number[];
  /** Lines that were used. */
  read: number;
  problems: LogProblem[];
}

const excerpt = (s: string) => (s.length > 80 ? `${s.slice(0, 77)}...` : s);

/** Counts labels of a `path label` list; classes are 0..max label (a class with no line counts 0). */
export function countsFromSplitList(text: string): ClassCounts {
  const counts: number[] = [];
  const problems: LogProblem[] = [];
  let read = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    // The label is the last field: paths may contain spaces.
    const m = /^(.+?)\s+(\d+)$/.exec(line);
    const label = m ? Number(m[2]) : NaN;
    if (!m || !Number.isSafeInteger(label) || label >= MAX_CLASSES) {
      problems.push({ line: i + 1, reason: m ? `label ${m[2]} is too large` : 'expected "path label"', text: excerpt(line) });
      return;
    }
    while (counts.length <= label) counts.push(0);
    counts[label]!++;
    read++;
  });
  return { counts, read, problems };
}

/** A counts file: a JSON array of counts, or integers separated by white space (one per class). */
export function parseClassCounts(text: string): ClassCounts {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (err) {
      return { counts: [], read: 0, problems: [{ line: 1, reason: `not valid JSON: ${(err as Error).message}`, text: excerpt(trimmed) }] };
    }
    const arr = Array.isArray(value) ? value : [];
    const bad = arr.findIndex((v) => !(Number.isSafeInteger(v) && (v as number) >= 0));
    if (bad !== -1)
      return {
        counts: [],
        read: 0,
        problems: [{ line: 1, reason: `entry ${bad} is not a count (a whole number >= 0)`, text: excerpt(JSON.stringify(arr[bad])) }],
      };
    return { counts: arr as number[], read: arr.length, problems: [] };
  }
  const counts: number[] = [];
  const problems: LogProblem[] = [];
  text.split('\n').forEach((raw, i) => {
    for (const word of raw.trim().split(/\s+/).filter(Boolean)) {
      const n = Number(word);
      if (Number.isSafeInteger(n) && n >= 0) counts.push(n);
      else problems.push({ line: i + 1, reason: `"${excerpt(word)}" is not a count (a whole number >= 0)`, text: excerpt(raw.trim()) });
    }
  });
  return { counts, read: counts.length, problems };
}

/** classes.json of an imported run: names `class-<i>`, test counts unknown (0), the scripts' shot groups. */
export function importedClasses(trainCounts: readonly number[]): ClassesFile {
  return {
    names: trainCounts.map((_, i) => `class-${i}`),
    trainCounts: [...trainCounts],
    testCounts: trainCounts.map(() => 0),
    groups: { rule: { ...PACO_SHOT_RULE }, assignment: assignShotGroups(trainCounts, PACO_SHOT_RULE) },
  };
}
