// The 3x3 group-to-group summary of a confusion matrix: of the test images whose true class is
// in group g, how many were predicted as a class of group h. The long-tail question in one
// table: how much of the tail is swallowed by the head. Pure; unit-tested under Node.
import type { SparseMatrix } from './sparse';

export const GROUP_ORDER = ['many', 'medium', 'few'] as const;
export type GroupName = (typeof GROUP_ORDER)[number];

export interface GroupSummary {
  /** counts[g][h]: images of true group g predicted as group h (GROUP_ORDER indices). */
  counts: number[][];
  /** shares[g][h] = counts[g][h] / sum over h (0 for a group without images). */
  shares: number[][];
  /** Test images per true group. */
  totals: number[];
  /** Classes per group. */
  classes: number[];
}

/** From the non-zero cells only (compressed sparse rows). */
export function groupSummary(m: SparseMatrix, groups: readonly GroupName[]): GroupSummary {
  const gi = groups.map((g) => GROUP_ORDER.indexOf(g));
  const sums = [0, 1, 2].map(() => [0, 0, 0]);
  for (let r = 0; r < m.size; r++) {
    const row = sums[gi[r]!]!;
    for (let k = m.rowStart[r]!; k < m.rowStart[r + 1]!; k++) row[gi[m.col[k]!]!]! += m.value[k]!;
  }
  const totals = sums.map((row) => row.reduce((a, b) => a + b, 0));
  const shares = sums.map((row, g) => row.map((v) => (totals[g]! > 0 ? v / totals[g]! : 0)));
  const classes = [0, 1, 2].map((g) => gi.filter((x) => x === g).length);
  return { counts: sums, shares, totals, classes };
}
