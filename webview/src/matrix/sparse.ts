// Reading a confusion matrix in compressed sparse rows (SparseMatrix, src/protocol/matrixCodec.ts):
// one cell by binary search within its row, row totals, the largest value, and the row-share
// difference of two matrices. Everything is in proportion to the non-zero cells, never to
// size*size. Pure; unit-tested under Node against dense references.
import type { SparseMatrix } from '../../../src/protocol/matrixCodec';

export type { SparseMatrix };

/** Index in col / value of cell (row, col), or -1 when the cell is zero. O(log of the row's non-zero cells). */
export function findCell(m: SparseMatrix, row: number, col: number): number {
  let lo = m.rowStart[row]!;
  let hi = m.rowStart[row + 1]! - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = m.col[mid]!;
    if (c === col) return mid;
    if (c < col) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

export function cellValue(m: SparseMatrix, row: number, col: number): number {
  const k = findCell(m, row, col);
  return k < 0 ? 0 : m.value[k]!;
}

/** First index in row `row` whose column is >= `col` (the row's end when none is). */
export function lowerBound(m: SparseMatrix, row: number, col: number): number {
  let lo = m.rowStart[row]!;
  let hi = m.rowStart[row + 1]!;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (m.col[mid]! < col) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface MatrixStats {
  rowTotals: Float64Array;
  /** The largest value (0 for an empty matrix). */
  max: number;
}

export function matrixStats(m: SparseMatrix): MatrixStats {
  const rowTotals = new Float64Array(m.size);
  let max = 0;
  for (let r = 0; r < m.size; r++) {
    let sum = 0;
    for (let k = m.rowStart[r]!; k < m.rowStart[r + 1]!; k++) {
      const v = m.value[k]!;
      sum += v;
      if (v > max) max = v;
    }
    rowTotals[r] = sum;
  }
  return { rowTotals, max };
}

/**
 * Row shares of b minus row shares of a (the compare panel's difference matrix), over the
 * union of both matrices' non-zero cells; cells where the shares are equal are left out.
 */
export function shareDifference(a: SparseMatrix, b: SparseMatrix): SparseMatrix {
  if (a.size !== b.size) throw new Error(`matrices of ${a.size} and ${b.size} classes cannot be subtracted`);
  const size = a.size;
  const ta = matrixStats(a).rowTotals;
  const tb = matrixStats(b).rowTotals;
  const cap = a.col.length + b.col.length;
  const col = new Int32Array(cap);
  const value = new Float64Array(cap);
  const rowStart = new Int32Array(size + 1);
  let n = 0;
  for (let r = 0; r < size; r++) {
    rowStart[r] = n;
    const sa = ta[r]! > 0 ? 1 / ta[r]! : 0;
    const sb = tb[r]! > 0 ? 1 / tb[r]! : 0;
    let i = a.rowStart[r]!;
    let j = b.rowStart[r]!;
    const iEnd = a.rowStart[r + 1]!;
    const jEnd = b.rowStart[r + 1]!;
    // A merge of the two sorted rows.
    while (i < iEnd || j < jEnd) {
      const ca = i < iEnd ? a.col[i]! : size;
      const cb = j < jEnd ? b.col[j]! : size;
      const c = Math.min(ca, cb);
      const pa = ca === c ? a.value[i++]! * sa : 0;
      const pb = cb === c ? b.value[j++]! * sb : 0;
      const d = pb - pa;
      if (d === 0) continue;
      col[n] = c;
      value[n++] = d;
    }
  }
  rowStart[size] = n;
  return { size, rowStart, col: col.slice(0, n), value: value.slice(0, n) };
}
