// Evaluation math (gpaco-spec.md section 7): confusion matrix, per-class accuracy, top-1 / top-5,
// many / medium / few shot groups and their accuracy. Plain arrays, no TensorFlow.js, so the
// trainer, the CLI, the extension and the tests all compute the same numbers.
import type { Config } from './config/schema';
import { EVAL_SCHEMA, RUN_FILES, SHOT_GROUPS, type EvalFile, type EvalRecord, type GroupRule, type ShotGroup } from './contract';

/** Dense C x C counts, row = true class, column = predicted class. */
export type Confusion = number[][];

export function emptyConfusion(numClasses: number): Confusion {
  return Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
}

function checkLabel(label: number, numClasses: number, what: string): void {
  if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
    throw new RangeError(`${what} ${label} is not a class index in 0..${numClasses - 1}`);
  }
}

/** Confusion counts from true labels and predicted labels. */
export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, numClasses: number): Confusion {
  if (labels.length !== predictions.length) throw new RangeError(`${labels.length} labels but ${predictions.length} predictions`);
  const m = emptyConfusion(numClasses);
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i]!;
    const p = predictions[i]!;
    checkLabel(t, numClasses, 'label');
    checkLabel(p, numClasses, 'prediction');
    m[t]![p]!++;
  }
  return m;
}

/** Test images per class (row sums). */
export function classTotals(confusion: Confusion): number[] {
  return confusion.map((row) => row.reduce((a, b) => a + b, 0));
}

/** Correct / total per true class; 0 for a class with no test images. */
export function perClassAccuracy(confusion: Confusion): number[] {
  return confusion.map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? 0 : row[c]! / total;
  });
}

/** Correct / total over all test images (the diagonal over the sum); 0 when empty. */
export function top1Accuracy(confusion: Confusion): number {
  let correct = 0;
  let total = 0;
  confusion.forEach((row, c) => {
    correct += row[c]!;
    for (const v of row) total += v;
  });
  return total === 0 ? 0 : correct / total;
}

/**
 * Rank of the true class among a sample's scores: how many classes come before it, where a
 * class comes first when its score is higher or, on a tie, its index is lower (the same order
 * as argmax, which takes the first maximum). A NaN true score ranks last.
 */
export function rankOfTrueClass(scores: ArrayLike<number>, offset: number, numClasses: number, label: number): number {
  const s = scores[offset + label]!;
  if (Number.isNaN(s)) return numClasses;
  let rank = 0;
  for (let j = 0; j < numClasses; j++) {
    const v = scores[offset + j]!;
    if (v > s || (v === s && j < label)) rank++;
  }
  return rank;
}

/** argmax per row of row-major `scores` (n x numClasses); the first maximum wins a tie. */
export function predictionsFromScores(scores: ArrayLike<number>, numClasses: number): Int32Array {
  if (scores.length % numClasses !== 0) throw new RangeError(`${scores.length} scores is not a multiple of ${numClasses} classes`);
  const n = scores.length / numClasses;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * numClasses;
    let best = 0;
    for (let j = 1; j < numClasses; j++) if (scores[o + j]! > scores[o + best]! || Number.isNaN(scores[o + best]!)) best = j;
    out[i] = best;
  }
  return out;
}

/** Fraction of samples whose true class is among the k highest scores (k capped at C). */
export function topKAccuracy(scores: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number, k: number): number {
  if (scores.length !== labels.length * numClasses) throw new RangeError(`expected ${labels.length} x ${numClasses} scores, got ${scores.length}`);
  if (labels.length === 0) return 0;
  let hits = 0;
  for (let i = 0; i < labels.length; i++) {
    checkLabel(labels[i]!, numClasses, 'label');
    if (rankOfTrueClass(scores, i * numClasses, numClasses, labels[i]!) < k) hits++;
  }
  return hits / labels.length;
}

export function top5Accuracy(scores: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number {
  return topKAccuracy(scores, labels, numClasses, 5);
}

// ---------------------------------------------------------------------------------------------
// Shot groups

/** The group rule a config asks for, as recorded in classes.json. */
export function configToGroupRule(config: Pick<Config, 'eval'>): GroupRule {
  const { eval: ev } = config;
  switch (ev.groups) {
    case 'shots':
      return { kind: 'shots', many: ev.manyThreshold, few: ev.fewThreshold };
    case 'terciles':
      return { kind: 'terciles' };
    default: {
      const never: never = ev.groups;
      throw new Error(`unknown eval.groups ${String(never)}`);
    }
  }
}

/** Class indices ordered by training count, head first; equal counts keep label order. */
export function headToTailOrder(trainCounts: readonly number[]): number[] {
  return trainCounts.map((_, i) => i).sort((a, b) => trainCounts[b]! - trainCounts[a]! || a - b);
}

/**
 * Group of each class from its training count.
 * - `shots` (the papers' rule, strict): many if n > many, few if n < few, else medium, so
 *   exactly 100 and exactly 20 images are medium (gpaco-spec.md section 7, pitfall 20).
 * - `terciles`: classes in head-to-tail order split into three parts as equal as possible, the
 *   larger parts first (10 classes: 4 / 3 / 3). Ties are split by label order so every part
 *   has its share even on balanced data.
 */
export function assignShotGroups(trainCounts: readonly number[], rule: GroupRule): ShotGroup[] {
  switch (rule.kind) {
    case 'shots':
      return trainCounts.map((n) => (n > rule.many ? 'many' : n < rule.few ? 'few' : 'medium'));
    case 'terciles': {
      const c = trainCounts.length;
      const sizes = [0, 1, 2].map((i) => Math.floor(c / 3) + (i < c % 3 ? 1 : 0));
      const out = new Array<ShotGroup>(c);
      headToTailOrder(trainCounts).forEach((cls, rank) => {
        out[cls] = rank < sizes[0]! ? 'many' : rank < sizes[0]! + sizes[1]! ? 'medium' : 'few';
      });
      return out;
    }
    default: {
      const never: never = rule;
      throw new Error(`unknown group rule ${JSON.stringify(never)}`);
    }
  }
}

/** Number of classes in each group. */
export function groupSizes(assignment: readonly ShotGroup[]): Record<ShotGroup, number> {
  const out: Record<ShotGroup, number> = { many: 0, medium: 0, few: 0 };
  for (const g of assignment) out[g]++;
  return out;
}

/**
 * Mean of the per-class accuracies of each group's classes that occur in the test set
 * (`testCounts[c] > 0`; all classes when omitted). An empty group reports 0, as upstream.
 */
export function groupAccuracy(
  perClass: readonly number[],
  assignment: readonly ShotGroup[],
  testCounts?: readonly number[],
): Record<ShotGroup, number> {
  if (perClass.length !== assignment.length) throw new RangeError(`${perClass.length} accuracies but ${assignment.length} group assignments`);
  const sum: Record<ShotGroup, number> = { many: 0, medium: 0, few: 0 };
  const count: Record<ShotGroup, number> = { many: 0, medium: 0, few: 0 };
  perClass.forEach((acc, c) => {
    if (testCounts && !(testCounts[c]! > 0)) return;
    const g = assignment[c]!;
    sum[g] += acc;
    count[g]++;
  });
  const out = { many: 0, medium: 0, few: 0 };
  for (const g of SHOT_GROUPS) out[g] = count[g] === 0 ? 0 : sum[g] / count[g];
  return out;
}

/** Each row divided by its sum (rows without samples stay 0): what a confusion display shows. */
export function rowNormalize(confusion: Confusion): number[][] {
  return confusion.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (total === 0 ? 0 : v / total));
  });
}

// ---------------------------------------------------------------------------------------------
// Building an evaluation

export interface EvalMeta {
  tag: string;
  epoch: number;
  /** Group of each class (classes.json `groups.assignment`). */
  assignment: readonly ShotGroup[];
  /** Default "test". */
  split?: string;
  checkpoint?: string;
}

/**
 * Accumulates an evaluation batch by batch, so the trainer never holds all scores at once.
 * `add(labels, scores)` takes row-major scores (labels.length x numClasses).
 */
export class EvalAccumulator {
  readonly confusion: Confusion;
  private top5Hits = 0;
  private count = 0;

  constructor(readonly numClasses: number) {
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
    this.confusion = emptyConfusion(numClasses);
  }

  add(labels: ArrayLike<number>, scores: ArrayLike<number>): void {
    const c = this.numClasses;
    if (scores.length !== labels.length * c) throw new RangeError(`expected ${labels.length} x ${c} scores, got ${scores.length}`);
    const preds = predictionsFromScores(scores, c);
    for (let i = 0; i < labels.length; i++) {
      const t = labels[i]!;
      checkLabel(t, c, 'label');
      this.confusion[t]![preds[i]!]!++;
      if (rankOfTrueClass(scores, i * c, c, t) < 5) this.top5Hits++;
    }
    this.count += labels.length;
  }

  get n(): number {
    return this.count;
  }

  toEvalFile(meta: EvalMeta): EvalFile {
    if (meta.assignment.length !== this.numClasses) {
      throw new RangeError(`${meta.assignment.length} group assignments for ${this.numClasses} classes`);
    }
    const perClass = perClassAccuracy(this.confusion);
    return {
      schema: EVAL_SCHEMA,
      tag: meta.tag,
      epoch: meta.epoch,
      split: meta.split ?? 'test',
      n: this.count,
      top1: top1Accuracy(this.confusion),
      top5: this.count === 0 ? 0 : this.top5Hits / this.count,
      groupAccuracy: groupAccuracy(perClass, meta.assignment, classTotals(this.confusion)),
      perClassAccuracy: perClass,
      confusion: this.confusion.map((row) => [...row]),
      ...(meta.checkpoint !== undefined ? { checkpoint: meta.checkpoint } : {}),
    };
  }
}

export interface EvalInput extends EvalMeta {
  numClasses: number;
  labels: ArrayLike<number>;
  /** Row-major logits or probabilities, labels.length x numClasses. */
  scores: ArrayLike<number>;
}

/** The `EvalFile` (evals/<tag>.json) of one evaluation over all test images at once. */
export function buildEvalFile(input: EvalInput): EvalFile {
  const acc = new EvalAccumulator(input.numClasses);
  acc.add(input.labels, input.scores);
  return acc.toEvalFile(input);
}

/** The metrics.jsonl record announcing an eval file. */
export function evalRecordOf(evalFile: EvalFile, time = new Date()): EvalRecord {
  return {
    kind: 'eval',
    epoch: evalFile.epoch,
    tag: evalFile.tag,
    top1: evalFile.top1,
    top5: evalFile.top5,
    many: evalFile.groupAccuracy.many,
    medium: evalFile.groupAccuracy.medium,
    few: evalFile.groupAccuracy.few,
    file: `${RUN_FILES.evals}/${evalFile.tag}.json`,
    time: time.toISOString(),
  };
}
