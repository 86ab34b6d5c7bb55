// The confusion matrix and per-image predictions of an evaluation file, in the forms v1 and v2
// of `evals/<tag>.json` store them (docs/run-folder.md, "Evaluation files"). One decoder for
// both versions, so every viewer (CLI, tree, dashboard, report, experiments) reads both alike.

/**
 * A confusion matrix as its non-zero cells: `cells` holds triplets (true class, predicted
 * class, count), sorted by true class then predicted class, every count > 0. This is both the
 * in-memory form and the v2 file form, so a 8,142-class matrix costs its non-zero cells only.
 */
export interface SparseConfusion {
  layout: 'sparse';
  /** Number of classes (the matrix is classes x classes). */
  classes: number;
  cells: number[];
}

/** Integer type of the per-image class indices (little-endian in the base64 strings). */
export type PredictionType = 'uint16' | 'uint32';

/**
 * Each test image's true and predicted class, in the test-set order of the run's split (the
 * order the trainer evaluated in): image i is `true[i]`, predicted `top1[i]`, and optionally its
 * five best classes `top5[5i..5i+4]` (best first). Base64 of little-endian typed arrays.
 */
export interface EvalPredictions {
  order: 'test';
  n: number;
  type: PredictionType;
  true: string;
  top1: string;
  top5?: string;
}

/** Decoded predictions: plain typed arrays. */
export interface DecodedPredictions {
  n: number;
  true: Uint32Array;
  top1: Uint32Array;
  top5: Uint32Array | null;
}

/** A problem with the confusion / predictions fields, phrased for `<file>: <message>`. */
export class EvalEncodingError extends Error {}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * The confusion field of a v1 (dense `number[][]`) or v2 (`{layout: "sparse", ...}`) eval file,
 * checked against the number of classes; throws EvalEncodingError with what is wrong.
 */
export function decodeConfusion(schemaVersion: 1 | 2, value: unknown, classes: number): SparseConfusion {
  if (schemaVersion === 1) {
    if (!Array.isArray(value) || value.length !== classes || value.some((row) => !Array.isArray(row) || row.length !== classes)) {
      throw new EvalEncodingError(`confusion must be ${classes} x ${classes} (one row and column per class)`);
    }
    const rows = value as unknown[][];
    const cells: number[] = [];
    for (let t = 0; t < classes; t++) {
      const row = rows[t]!;
      for (let p = 0; p < classes; p++) {
        const v = row[p];
        if (!isCount(v))
          throw new EvalEncodingError(`confusion[${t}][${p}] must be a non-negative integer count (got ${JSON.stringify(v)})`);
        if (v > 0) cells.push(t, p, v);
      }
    }
    return { layout: 'sparse', classes, cells };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new EvalEncodingError('confusion must be an object {layout: "sparse", classes, cells}');
  const o = value as Record<string, unknown>;
  if (o.layout !== 'sparse') throw new EvalEncodingError(`confusion.layout must be "sparse" (got ${JSON.stringify(o.layout)})`);
  if (o.classes !== classes)
    throw new EvalEncodingError(
      `confusion.classes must be ${classes}, the number of per-class accuracies (got ${JSON.stringify(o.classes)})`,
    );
  const cells = o.cells;
  if (!Array.isArray(cells) || cells.length % 3 !== 0)
    throw new EvalEncodingError('confusion.cells must be an array of (true, predicted, count) triplets');
  let prev = -1;
  for (let k = 0; k < cells.length; k += 3) {
    const t: unknown = cells[k];
    const p: unknown = cells[k + 1];
    const n: unknown = cells[k + 2];
    if (!isCount(t) || !isCount(p) || t >= classes || p >= classes) {
      throw new EvalEncodingError(
        `confusion.cells triplet ${k / 3}: classes must be integers in 0..${classes - 1} (got ${JSON.stringify(t)}, ${JSON.stringify(p)})`,
      );
    }
    if (!isCount(n) || n === 0)
      throw new EvalEncodingError(`confusion.cells triplet ${k / 3}: count must be a positive integer (got ${JSON.stringify(n)})`);
    const key = t * classes + p;
    if (key <= prev)
      throw new EvalEncodingError(`confusion.cells triplet ${k / 3}: cells must be sorted by true then predicted class, each once`);
    prev = key;
  }
  return { layout: 'sparse', classes, cells: cells as number[] };
}

/** The `predictions` field of a v2 eval file (absent: null), checked against classes and n. */
export function decodePredictionsField(value: unknown, classes: number, n: number): EvalPredictions | null {
  if (value === undefined) return null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new EvalEncodingError('predictions must be an object');
  const o = value as Record<string, unknown>;
  if (o.order !== 'test') throw new EvalEncodingError(`predictions.order must be "test" (got ${JSON.stringify(o.order)})`);
  if (o.n !== n) throw new EvalEncodingError(`predictions.n must equal n (${n}), got ${JSON.stringify(o.n)}`);
  if (o.type !== 'uint16' && o.type !== 'uint32')
    throw new EvalEncodingError(`predictions.type must be "uint16" or "uint32" (got ${JSON.stringify(o.type)})`);
  for (const key of ['true', 'top1', 'top5'] as const) {
    if (key === 'top5' && o[key] === undefined) continue;
    if (typeof o[key] !== 'string' || !BASE64.test(o[key])) throw new EvalEncodingError(`predictions.${key} must be a base64 string`);
  }
  const p = o as unknown as EvalPredictions;
  // Decoding checks the lengths and ranges once here, so later readers can trust the field.
  decodePredictions(p, classes);
  return p;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function bytesPer(type: PredictionType): number {
  return type === 'uint16' ? 2 : 4;
}

function decodeIndices(b64: string, type: PredictionType, count: number, classes: number, what: string): Uint32Array {
  const buf = Buffer.from(b64, 'base64');
  const size = bytesPer(type);
  if (buf.length !== count * size)
    throw new EvalEncodingError(`predictions.${what} holds ${buf.length} bytes, expected ${count * size} (${count} x ${type})`);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const v = size === 2 ? buf.readUInt16LE(i * 2) : buf.readUInt32LE(i * 4);
    if (v >= classes) throw new EvalEncodingError(`predictions.${what}[${i}] is ${v}, not a class index in 0..${classes - 1}`);
    out[i] = v;
  }
  return out;
}

export function decodePredictions(p: EvalPredictions, classes: number): DecodedPredictions {
  return {
    n: p.n,
    true: decodeIndices(p.true, p.type, p.n, classes, 'true'),
    top1: decodeIndices(p.top1, p.type, p.n, classes, 'top1'),
    top5: p.top5 === undefined ? null : decodeIndices(p.top5, p.type, p.n * 5, classes, 'top5'),
  };
}

function encodeIndices(values: ArrayLike<number>, type: PredictionType): string {
  const size = bytesPer(type);
  const buf = Buffer.alloc(values.length * size);
  for (let i = 0; i < values.length; i++) {
    if (size === 2) buf.writeUInt16LE(values[i]!, i * 2);
    else buf.writeUInt32LE(values[i]!, i * 4);
  }
  return buf.toString('base64');
}

/** The predictions field for `classes` classes: uint16 up to 65,536 classes (2 bytes a label). */
export function encodePredictions(
  classes: number,
  labels: ArrayLike<number>,
  top1: ArrayLike<number>,
  top5?: ArrayLike<number>,
): EvalPredictions {
  if (top1.length !== labels.length) throw new RangeError(`${labels.length} labels but ${top1.length} predictions`);
  if (top5 !== undefined && top5.length !== labels.length * 5)
    throw new RangeError(`top-5 needs 5 x ${labels.length} entries, got ${top5.length}`);
  const type: PredictionType = classes <= 0x10000 ? 'uint16' : 'uint32';
  return {
    order: 'test',
    n: labels.length,
    type,
    true: encodeIndices(labels, type),
    top1: encodeIndices(top1, type),
    ...(top5 !== undefined ? { top5: encodeIndices(top5, type) } : {}),
  };
}

/**
 * Which test images to show: one confusion cell (true t predicted as p), a class's mistakes
 * (true c, predicted anything else), or the images wrongly predicted as a class.
 */
export type ImageSelection =
  { kind: 'cell'; true: number; pred: number } | { kind: 'mistakes'; cls: number } | { kind: 'predictedAs'; cls: number };

/** Test-set indices (ascending) of the selected images. */
export function selectImages(pred: DecodedPredictions, sel: ImageSelection): number[] {
  const out: number[] = [];
  const match = (t: number, p: number): boolean => {
    switch (sel.kind) {
      case 'cell':
        return t === sel.true && p === sel.pred;
      case 'mistakes':
        return t === sel.cls && p !== sel.cls;
      case 'predictedAs':
        return p === sel.cls && t !== sel.cls;
      default: {
        const never: never = sel;
        throw new Error(`unknown selection ${JSON.stringify(never)}`);
      }
    }
  };
  for (let i = 0; i < pred.n; i++) if (match(pred.true[i]!, pred.top1[i]!)) out.push(i);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sparse confusion helpers

/** Sparse cells from parallel label / prediction arrays (labels already checked in range). */
export function sparseConfusionOf(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes: number): SparseConfusion {
  const keys = new Float64Array(labels.length);
  for (let i = 0; i < labels.length; i++) keys[i] = labels[i]! * classes + predictions[i]!;
  keys.sort();
  const cells: number[] = [];
  for (let i = 0; i < keys.length;) {
    const key = keys[i]!;
    let j = i;
    while (j < keys.length && keys[j] === key) j++;
    cells.push(Math.floor(key / classes), key % classes, j - i);
    i = j;
  }
  return { layout: 'sparse', classes, cells };
}

export function sparseFromDense(dense: readonly (readonly number[])[]): SparseConfusion {
  const cells: number[] = [];
  dense.forEach((row, t) => row.forEach((v, p) => (v > 0 ? cells.push(t, p, v) : undefined)));
  return { layout: 'sparse', classes: dense.length, cells };
}

/** The dense C x C matrix (for small C only: text rendering, tests). */
export function denseFromSparse(m: SparseConfusion): number[][] {
  const out = Array.from({ length: m.classes }, () => new Array<number>(m.classes).fill(0));
  for (let k = 0; k < m.cells.length; k += 3) out[m.cells[k]!]![m.cells[k + 1]!] = m.cells[k + 2]!;
  return out;
}

/** Count of one cell (binary search: the cells are sorted). */
export function confusionCell(m: SparseConfusion, t: number, p: number): number {
  const key = t * m.classes + p;
  let lo = 0;
  let hi = m.cells.length / 3 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const k = m.cells[mid * 3]! * m.classes + m.cells[mid * 3 + 1]!;
    if (k === key) return m.cells[mid * 3 + 2]!;
    if (k < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0;
}

/** Row sums (test images per true class) and the diagonal (correct per class). */
export function confusionTotals(m: SparseConfusion): { totals: number[]; correct: number[] } {
  const totals = new Array<number>(m.classes).fill(0);
  const correct = new Array<number>(m.classes).fill(0);
  for (let k = 0; k < m.cells.length; k += 3) {
    const t = m.cells[k]!;
    totals[t]! += m.cells[k + 2]!;
    if (m.cells[k + 1] === t) correct[t]! += m.cells[k + 2]!;
  }
  return { totals, correct };
}
