// Evaluation math (docs/method.md): confusion matrix, per-class accuracy, top-1 / top-5,
// many / medium / few shot groups and their accuracy. Plain arrays, no TensorFlow.js, so the
// trainer, the CLI, the extension and the tests all compute the same numbers.
import type { Config } from './config/schema';
import { EVAL_SCHEMA, RUN_FILES, SHOT_GROUPS, type EvalFile, type EvalRecord, type GroupRule, type ShotGroup } from './contract';
import { confusionTotals, encodePredictions, sparseConfusionOf, sparseFromDense, type SparseConfusion } from './evalEncoding';

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
  return confusionTotals(sparseFromDense(confusion)).totals;
}

/** Correct / total per true class; 0 for a class with no test images. */
export function perClassAccuracy(confusion: Confusion): number[] {
  return sparsePerClassAccuracy(sparseFromDense(confusion));
}

export function sparsePerClassAccuracy(confusion: SparseConfusion): number[] {
  const { totals, correct } = confusionTotals(confusion);
  return totals.map((total, c) => (total === 0 ? 0 : correct[c]! / total));
}

/** Correct / total over all test images (the diagonal over the sum); 0 when empty. */
export function top1Accuracy(confusion: Confusion): number {
  return sparseTop1Accuracy(sparseFromDense(confusion));
}

export function sparseTop1Accuracy(confusion: SparseConfusion): number {
  const { totals, correct } = confusionTotals(confusion);
  const total = totals.reduce((a, b) => a + b, 0);
  return total === 0 ? 0 : correct.reduce((a, b) => a + b, 0) / total;
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
  if (scores.length !== labels.length * numClasses)
    throw new RangeError(`expected ${labels.length} x ${numClasses} scores, got ${scores.length}`);
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
 *   exactly 100 and exactly 20 images are medium (docs/method.md, "Many / medium / few").
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
  if (perClass.length !== assignment.length)
    throw new RangeError(`${perClass.length} accuracies but ${assignment.length} group assignments`);
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
 * `add(labels, scores)` takes row-major scores (labels.length x numClasses). It keeps each
 * image's true and predicted class (4 bytes an image), never a dense C x C matrix, so 8,142
 * classes cost what the test set costs.
 */
export class EvalAccumulator {
  private labels: number[] = [];
  private preds: number[] = [];
  private top5: number[] | null;
  private top5Hits = 0;

  constructor(
    readonly numClasses: number,
    options: { top5Predictions?: boolean } = {},
  ) {
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
    this.top5 = options.top5Predictions ? [] : null;
  }

  add(labels: ArrayLike<number>, scores: ArrayLike<number>): void {
    const c = this.numClasses;
    if (scores.length !== labels.length * c) throw new RangeError(`expected ${labels.length} x ${c} scores, got ${scores.length}`);
    const preds = predictionsFromScores(scores, c);
    for (let i = 0; i < labels.length; i++) {
      const t = labels[i]!;
      checkLabel(t, c, 'label');
      this.labels.push(t);
      this.preds.push(preds[i]!);
      if (rankOfTrueClass(scores, i * c, c, t) < 5) this.top5Hits++;
      if (this.top5) this.top5.push(...topClasses(scores, i * c, c, 5));
    }
  }

  get n(): number {
    return this.labels.length;
  }

  get confusion(): SparseConfusion {
    return sparseConfusionOf(this.labels, this.preds, this.numClasses);
  }

  toEvalFile(meta: EvalMeta): EvalFile {
    if (meta.assignment.length !== this.numClasses) {
      throw new RangeError(`${meta.assignment.length} group assignments for ${this.numClasses} classes`);
    }
    const confusion = this.confusion;
    const perClass = sparsePerClassAccuracy(confusion);
    const n = this.n;
    return {
      schema: EVAL_SCHEMA,
      tag: meta.tag,
      epoch: meta.epoch,
      split: meta.split ?? 'test',
      n,
      top1: sparseTop1Accuracy(confusion),
      top5: n === 0 ? 0 : this.top5Hits / n,
      groupAccuracy: groupAccuracy(perClass, meta.assignment, confusionTotals(confusion).totals),
      perClassAccuracy: perClass,
      confusion,
      predictions: encodePredictions(this.numClasses, this.labels, this.preds, this.top5 ?? undefined),
      ...(meta.checkpoint !== undefined ? { checkpoint: meta.checkpoint } : {}),
    };
  }
}

/**
 * The k best classes of one row (best first; ties by lower index, as argmax), k capped at C,
 * padded with the last class found when C < k so every image has exactly k entries.
 */
export function topClasses(scores: ArrayLike<number>, offset: number, numClasses: number, k: number): number[] {
  const best: number[] = [];
  const better = (a: number, b: number) => {
    const va = scores[offset + a]!;
    const vb = scores[offset + b]!;
    return va > vb || (va === vb && a < b) || (Number.isNaN(vb) && !Number.isNaN(va));
  };
  for (let j = 0; j < numClasses; j++) {
    if (best.length === k && !better(j, best[k - 1]!)) continue;
    let pos = best.length === k ? k - 1 : best.length;
    best[pos] = j;
    while (pos > 0 && better(best[pos]!, best[pos - 1]!)) {
      [best[pos - 1], best[pos]] = [best[pos]!, best[pos - 1]!];
      pos--;
    }
  }
  while (best.length < k) best.push(best[best.length - 1]!);
  return best;
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
