// Compact wire form of a confusion matrix (see EncodedMatrix): the host encodes, the webview
// and the report decode. Shared so both ends agree by construction.
import type { EncodedMatrix } from './snapshot';

/** Encodes a row-major size*size matrix of non-negative counts, picking the shorter form. */
export function encodeMatrix(flat: ArrayLike<number>, size: number): EncodedMatrix {
  const cells = size * size;
  if (flat.length !== cells) throw new Error(`matrix has ${flat.length} cells, expected ${size}x${size}`);
  let nonZero = 0;
  for (let i = 0; i < cells; i++) if (flat[i] !== 0) nonZero++;
  if (nonZero * 2 >= cells) return { size, encoding: 'dense', data: Array.from(flat) };
  const data = new Array<number>(nonZero * 2);
  let prev = -1;
  let k = 0;
  for (let i = 0; i < cells; i++) {
    const v = flat[i]!;
    if (v === 0) continue;
    data[k++] = i - prev;
    data[k++] = v;
    prev = i;
  }
  return { size, encoding: 'gaps', data };
}

/**
 * Encodes from the non-zero cells only (flat indices ascending, values > 0), so a host never
 * allocates size*size numbers for a sparse matrix (8,142 classes: 66 million cells).
 */
export function encodeSparseMatrix(indices: ArrayLike<number>, values: ArrayLike<number>, size: number): EncodedMatrix {
  const cells = size * size;
  if (indices.length * 2 >= cells) {
    const flat = new Array<number>(cells).fill(0);
    for (let k = 0; k < indices.length; k++) flat[indices[k]!] = values[k]!;
    return { size, encoding: 'dense', data: flat };
  }
  const data = new Array<number>(indices.length * 2);
  let prev = -1;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!(i > prev && i < cells)) throw new Error(`sparse matrix index ${i} is out of order or outside ${size}x${size}`);
    data[2 * k] = i - prev;
    data[2 * k + 1] = values[k]!;
    prev = i;
  }
  return { size, encoding: 'gaps', data };
}

/** Decodes to a flat Float64Array; throws on data that does not fit the declared size. */
export function decodeMatrix(m: EncodedMatrix): Float64Array {
  const cells = m.size * m.size;
  const out = new Float64Array(cells);
  if (m.encoding === 'dense') {
    if (m.data.length !== cells) throw new Error(`dense matrix has ${m.data.length} cells, expected ${cells}`);
    out.set(m.data);
    return out;
  }
  if (m.data.length % 2 !== 0) throw new Error('gaps matrix has an odd number of entries');
  let pos = -1;
  for (let k = 0; k < m.data.length; k += 2) {
    pos += m.data[k]!;
    if (!(pos >= 0 && pos < cells) || m.data[k]! < 1) throw new Error(`gaps matrix entry ${k / 2} falls outside ${m.size}x${m.size}`);
    out[pos] = m.data[k + 1]!;
  }
  return out;
}

/**
 * A matrix in compressed sparse rows: row r's non-zero cells are `col[rowStart[r]]` up to
 * `rowStart[r + 1]` (exclusive), columns ascending, with their `value`s. What a viewer works
 * from, so it never holds size*size numbers (8,142 classes: 66 million cells).
 */
export interface SparseMatrix {
  size: number;
  /** size + 1 offsets into col / value. */
  rowStart: Int32Array;
  col: Int32Array;
  value: Float64Array;
}

/** Decodes to compressed sparse rows without a dense intermediate; throws on data that does not fit the declared size. */
export function decodeSparse(m: EncodedMatrix): SparseMatrix {
  const size = m.size;
  const cells = size * size;
  const rowStart = new Int32Array(size + 1);
  if (m.encoding === 'dense') {
    if (m.data.length !== cells) throw new Error(`dense matrix has ${m.data.length} cells, expected ${cells}`);
    let nnz = 0;
    for (let i = 0; i < cells; i++) if (m.data[i] !== 0) nnz++;
    const col = new Int32Array(nnz);
    const value = new Float64Array(nnz);
    let k = 0;
    for (let r = 0; r < size; r++) {
      rowStart[r] = k;
      for (let c = 0, i = r * size; c < size; c++, i++) {
        const v = m.data[i]!;
        if (v === 0) continue;
        col[k] = c;
        value[k++] = v;
      }
    }
    rowStart[size] = k;
    return { size, rowStart, col, value };
  }
  if (m.data.length % 2 !== 0) throw new Error('gaps matrix has an odd number of entries');
  const nnz = m.data.length / 2;
  const col = new Int32Array(nnz);
  const value = new Float64Array(nnz);
  // Flat positions ascend, so the cells arrive row by row: rowStart fills as rows are passed.
  let pos = -1;
  let row = 0;
  for (let k = 0; k < nnz; k++) {
    const gap = m.data[2 * k]!;
    pos += gap;
    if (!(pos >= 0 && pos < cells) || !(gap >= 1)) throw new Error(`gaps matrix entry ${k} falls outside ${size}x${size}`);
    const r = Math.floor(pos / size);
    while (row < r) rowStart[++row] = k;
    col[k] = pos - r * size;
    value[k] = m.data[2 * k + 1]!;
  }
  while (row < size) rowStart[++row] = nnz;
  return { size, rowStart, col, value };
}
