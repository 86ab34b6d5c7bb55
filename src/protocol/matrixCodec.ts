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
 * Decodes and also lists the non-zero cells (flat indices, ascending). For the gaps form this
 * comes free from the encoding, so a viewer never has to scan all C*C cells to find them.
 */
export function decodeMatrixCells(m: EncodedMatrix): { values: Float64Array; cells: Int32Array } {
  const values = decodeMatrix(m);
  if (m.encoding === 'gaps') {
    const cells = new Int32Array(m.data.length / 2);
    let pos = -1;
    for (let k = 0; k < cells.length; k++) cells[k] = pos += m.data[2 * k]!;
    return { values, cells };
  }
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) n++;
  const cells = new Int32Array(n);
  for (let i = 0, k = 0; i < values.length; i++) if (values[i] !== 0) cells[k++] = i;
  return { values, cells };
}
