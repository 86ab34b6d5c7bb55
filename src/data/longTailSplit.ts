// The long-tailed training split (docs/method.md): class i (0 = head) keeps
// n_i = floor(maxPerClass * IF^(-i/(C-1))) images, a random subset drawn from the split seed.
// Only labels are needed, so the CLI's preflight and `verifySplit` run it without any pixels.
import { DEFAULT_IMBALANCE_FACTOR, type DataConfig } from '../core/config/schema';
import { longTailCounts } from '../core/longTail';
import { Rng } from '../core/random';
import { DataError } from './types';

export interface SplitPlan {
  maxPerClass: number;
  imbalanceFactor: number;
  splitSeed: number;
  /** Items per class in the full training pool. */
  available: number[];
  /** The profile: items to keep per class. */
  counts: number[];
  /** Per class, the kept positions in the full training pool, ascending. */
  indices: Int32Array[];
}

export function classCounts(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  return counts;
}

function fits(nMax: number, imbalanceFactor: number, available: readonly number[]): boolean {
  const need = longTailCounts(nMax, imbalanceFactor, available.length);
  return need.every((n, i) => n <= available[i]!);
}

/**
 * The largest head size whose whole profile the data can supply: the largest class for balanced
 * data, less when a later class has too few images (e.g. MNIST, whose classes differ in size).
 */
export function largestFeasibleMax(available: readonly number[], imbalanceFactor: number): number {
  let hi = Math.max(...available);
  let lo = 0;
  // fits() is monotone in nMax (every n_i is non-decreasing in it): binary search.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid, imbalanceFactor, available)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Smallest head size that leaves every class at least one image. */
function smallestUsableMax(imbalanceFactor: number, classes: number): number {
  let n = 1;
  while (longTailCounts(n, imbalanceFactor, classes)[classes - 1]! < 1) n++;
  return n;
}

type SplitParams = Pick<DataConfig, 'imbalanceFactor' | 'maxPerClass' | 'splitSeed'>;

/**
 * Checks the config against the class sizes and returns the head size to use. Errors name the
 * config field and what the data allows.
 */
export function resolveMaxPerClass(params: SplitParams, available: readonly number[], classNames: readonly string[]): number {
  const { maxPerClass } = params;
  const imbalanceFactor = params.imbalanceFactor ?? DEFAULT_IMBALANCE_FACTOR;
  const C = available.length;
  if (!(imbalanceFactor >= 1)) {
    throw new DataError(
      `data.imbalanceFactor: must be at least 1 (largest class / smallest class), got ${imbalanceFactor}`,
      'data.imbalanceFactor',
    );
  }
  const empty = available.findIndex((n) => n === 0);
  if (empty >= 0) {
    throw new DataError(`class ${empty} "${classNames[empty]}" has no training images; every class needs at least one`, 'data.path');
  }
  const largest = Math.max(...available);
  const feasible = largestFeasibleMax(available, imbalanceFactor);
  const minimum = smallestUsableMax(imbalanceFactor, C);
  if (maxPerClass !== undefined) {
    if (maxPerClass > largest) {
      const head = available.indexOf(largest);
      throw new DataError(
        `data.maxPerClass: ${maxPerClass} is more than the data has: its largest class ("${classNames[head]}") has ${largest} training images; use at most ${feasible}`,
        'data.maxPerClass',
      );
    }
    const need = longTailCounts(maxPerClass, imbalanceFactor, C);
    const short = need.findIndex((n, i) => n > available[i]!);
    if (short >= 0) {
      throw new DataError(
        `data.maxPerClass: ${maxPerClass} with data.imbalanceFactor ${imbalanceFactor} needs ${need[short]} images of class ${short} ("${classNames[short]}"), which has ${available[short]}; use data.maxPerClass of at most ${feasible}`,
        'data.maxPerClass',
      );
    }
    if (need[C - 1]! < 1) {
      throw new DataError(
        `data.maxPerClass: ${maxPerClass} with data.imbalanceFactor ${imbalanceFactor} leaves the last class ("${classNames[C - 1]}") with no training images; use data.maxPerClass of at least ${minimum} or a smaller data.imbalanceFactor`,
        'data.maxPerClass',
      );
    }
    return maxPerClass;
  }
  if (feasible < minimum) {
    throw new DataError(
      `data.imbalanceFactor: ${imbalanceFactor} needs a largest class of at least ${minimum} images so the last class keeps one, but the data allows at most ${feasible}; lower data.imbalanceFactor`,
      'data.imbalanceFactor',
    );
  }
  return feasible;
}

/**
 * Per class (head first), shuffle the class's positions with one stream drawn from the split
 * seed and keep the first n_i, like upstream's per-class `np.random.shuffle` under a fixed seed.
 */
export function planLongTailSplit(labels: Int32Array, classNames: readonly string[], params: SplitParams): SplitPlan {
  const C = classNames.length;
  const available = classCounts(labels, C);
  const maxPerClass = resolveMaxPerClass(params, available, classNames);
  const imbalanceFactor = params.imbalanceFactor ?? DEFAULT_IMBALANCE_FACTOR;
  const counts = longTailCounts(maxPerClass, imbalanceFactor, C);
  const byClass = available.map((n) => new Int32Array(n));
  const fill = new Array<number>(C).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    byClass[c]![fill[c]!++] = i;
  }
  const rng = Rng.derive(params.splitSeed, 'long-tail-split');
  const indices = byClass.map((positions, c) => rng.shuffle(positions).subarray(0, counts[c]).sort());
  return { maxPerClass, imbalanceFactor, splitSeed: params.splitSeed, available, counts, indices };
}

/** All kept positions in class order (head first), the order of `Dataset.trainIndices`. */
export function flattenIndices(indices: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(indices.reduce((s, a) => s + a.length, 0));
  let k = 0;
  for (const a of indices) {
    out.set(a, k);
    k += a.length;
  }
  return out;
}
