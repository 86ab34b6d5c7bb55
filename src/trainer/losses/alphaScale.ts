// alpha * |P| (docs/method.md, "Why the presets scale alpha"): the centre's target share of an anchor's positives is
// 1 / (1 + alpha |P|). Published settings put alpha |P| of the largest class at ~0.5-5; far above,
// the head centres are ignored and the head class collapses.

export type ContrastLayout = 'gpaco' | 'paco' | 'gpaco_single_view';

/**
 * Expected |P| of an anchor of the largest class once the queue is full: its other view (two-view
 * methods) plus the same-class share of the other batch rows and the queue.
 */
export function expectedHeadPositives(
  layout: ContrastLayout,
  batchSize: number,
  queueSize: number,
  trainCounts: readonly number[],
): number {
  const total = trainCounts.reduce((s, n) => s + n, 0);
  const share = total > 0 ? Math.max(...trainCounts) / total : 0;
  const single = layout === 'gpaco_single_view';
  const others = (single ? batchSize - 1 : 2 * batchSize - 2) + queueSize;
  return (single ? 0 : 1) + others * share;
}

/** The published range of alpha * |P| for the largest class (approximate). */
export const PUBLISHED_ALPHA_P = [0.5, 5] as const;
