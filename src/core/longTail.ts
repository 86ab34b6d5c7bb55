// The exponential long-tailed profile of the papers (docs/method.md, "The long-tailed split").

/**
 * n_i = floor(nMax * (1/IF)^(i/(C-1))) for classes i = 0 (head) .. C-1 (tail), computed in the
 * same order as upstream's `img_max * (imb_factor ** (cls_idx / (cls_num - 1.0)))`.
 */
export function longTailCounts(nMax: number, imbalanceFactor: number, classes: number): number[] {
  if (classes === 1) return [nMax];
  return Array.from({ length: classes }, (_, i) => Math.floor(nMax * Math.pow(1 / imbalanceFactor, i / (classes - 1))));
}
