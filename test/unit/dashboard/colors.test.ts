// Colour math of the matrix (pure): intensities, lookup tables, pixel filling, differences
// and the 3x3 group summary, on matrices in compressed sparse rows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeSparse, encodeMatrix } from '../../../src/protocol/matrixCodec';
import {
  LUT_SIZE,
  cellIntensity,
  divergingIndex,
  divergingLut,
  DIVERGING_MAGNITUDE,
  DIVERGING_ZERO_SLOT,
  SEQUENTIAL_MAGNITUDE,
  countSlots,
  differenceSlots,
  lutIndex,
  mix,
  packRGBA,
  parseColor,
  sequentialLut,
  toHex,
  unpackRGBA,
} from '../../../webview/src/matrix/colors';
import { rasterPixels, rasterise } from '../../../webview/src/matrix/raster';
import { matrixStats, shareDifference, type SparseMatrix } from '../../../webview/src/matrix/sparse';
import { groupSummary } from '../../../webview/src/matrix/summary';

const bg = [30, 30, 30] as const;
const fg = [55, 148, 255] as const;

describe('colour scales', () => {
  it('parses the colour forms VS Code themes use', () => {
    assert.deepEqual(parseColor('#fff'), [255, 255, 255]);
    assert.deepEqual(parseColor('#1E1E1E'), [30, 30, 30]);
    assert.deepEqual(parseColor('#3794ff80'), [55, 148, 255]);
    assert.deepEqual(parseColor('rgb(1, 2, 3)'), [1, 2, 3]);
    assert.deepEqual(parseColor('rgba(10,20,30,0.5)'), [10, 20, 30]);
    assert.equal(parseColor('var(--x)'), null);
    assert.equal(toHex([30, 30, 30]), '#1e1e1e');
  });

  it('row shares, raw counts, and log scales', () => {
    assert.equal(cellIntensity(5, 20, 50, { values: 'row', log: false }), 0.25);
    assert.equal(cellIntensity(5, 20, 50, { values: 'raw', log: false }), 0.1);
    assert.equal(cellIntensity(0, 20, 50, { values: 'row', log: true }), 0);
    assert.equal(cellIntensity(3, 0, 50, { values: 'row', log: false }), 0, 'a row without images');
    assert.equal(cellIntensity(50, 100, 50, { values: 'raw', log: true }), 1);
    const lin = cellIntensity(1, 1000, 1, { values: 'row', log: false });
    const log = cellIntensity(1, 1000, 1, { values: 'row', log: true });
    assert.ok(log > 20 * lin, 'log lifts one image in a thousand');
    assert.ok(cellIntensity(2, 10, 50, { values: 'row', log: true }) < cellIntensity(3, 10, 50, { values: 'row', log: true }), 'monotone');
  });

  it('zero is the background; any non-zero cell differs from it', () => {
    const lut = sequentialLut(bg, fg);
    assert.equal(lut.length, LUT_SIZE);
    assert.deepEqual(unpackRGBA(lut[0]!), bg);
    assert.deepEqual(unpackRGBA(lut[LUT_SIZE - 1]!), fg);
    assert.equal(lutIndex(0), 0);
    assert.equal(lutIndex(1e-9), 1);
    assert.equal(lutIndex(1), LUT_SIZE - 1);
    assert.notDeepEqual(unpackRGBA(lut[1]!), bg);
    assert.deepEqual(mix(bg, fg, 0.5), [43, 89, 143]);
    assert.equal(packRGBA([1, 2, 3]) >>> 24, 255, 'opaque');
  });

  it('fills one pixel per cell from the table', () => {
    const m = sparseOf([8, 2, 0, 0, 5, 5, 1, 0, 0], 3);
    const lut = sequentialLut(bg, fg);
    const stats = matrixStats(m);
    assert.deepEqual([...stats.rowTotals], [10, 10, 1]);
    assert.equal(stats.max, 8);
    let out = pixelsAtOnePerCell(m, countSlots(m, stats, { values: 'row', log: false }), lut, SEQUENTIAL_MAGNITUDE, 0);
    assert.equal(out[0], lut[lutIndex(0.8)]);
    assert.equal(out[1], lut[lutIndex(0.2)]);
    assert.equal(out[2], lut[0]);
    assert.equal(out[4], out[5]);
    assert.equal(out[6], lut[LUT_SIZE - 1], 'the whole row in one cell');
    out = pixelsAtOnePerCell(m, countSlots(m, stats, { values: 'raw', log: false }), lut, SEQUENTIAL_MAGNITUDE, 0);
    assert.equal(out[0], lut[LUT_SIZE - 1]);
    assert.equal(out[6], lut[lutIndex(1 / 8)]);
  });

  it('differences of row shares use a diverging table centred on the background', () => {
    const a = sparseOf([9, 1, 0, 10], 2);
    const b = sparseOf([5, 5, 0, 10], 2);
    const d = shareDifference(a, b);
    assert.deepEqual([...d.rowStart], [0, 2, 2], 'equal shares are left out');
    assert.deepEqual(
      [...d.value].map((v) => Math.round(v * 10) / 10),
      [-0.4, 0.4],
    );
    const lut = divergingLut([200, 0, 0], bg, [0, 0, 200]);
    assert.equal(divergingIndex(0), 128);
    assert.ok(divergingIndex(-0.001) < 128 && divergingIndex(0.001) > 128);
    assert.equal(divergingIndex(1), 255);
    assert.equal(divergingIndex(-1), 1);
    const out = pixelsAtOnePerCell(d, differenceSlots(d), lut, DIVERGING_MAGNITUDE, DIVERGING_ZERO_SLOT);
    assert.deepEqual(unpackRGBA(out[2]!), bg);
    const neg = unpackRGBA(out[0]!);
    const pos = unpackRGBA(out[1]!);
    assert.ok(neg[0] > neg[2] && pos[2] > pos[0]);
  });
});

describe('group summary', () => {
  it('counts true group against predicted group', () => {
    // 4 classes: many, many, medium, few. Row = true, column = predicted.
    const counts = [5, 1, 0, 0, 1, 4, 0, 0, 2, 0, 3, 0, 3, 1, 0, 1];
    const s = groupSummary(sparseOf(counts, 4), ['many', 'many', 'medium', 'few']);
    assert.deepEqual(s.counts, [
      [11, 0, 0],
      [2, 3, 0],
      [4, 0, 1],
    ]);
    assert.deepEqual(s.totals, [11, 5, 5]);
    assert.equal(s.shares[2]![0], 0.8, 'four of five tail images predicted as head classes');
    assert.deepEqual(s.classes, [2, 1, 1]);
    const empty = groupSummary(sparseOf([1], 1), ['many']);
    assert.deepEqual(empty.shares[2], [0, 0, 0]);
  });
});

function sparseOf(dense: number[], size: number): SparseMatrix {
  return decodeSparse(encodeMatrix(dense, size));
}

/** The matrix at one device pixel per cell, as packed pixels. */
function pixelsAtOnePerCell(m: SparseMatrix, slots: Uint8Array, lut: Uint32Array, magnitude: Uint8Array, zero: number): Uint32Array {
  const r = rasterise(m, slots, magnitude, zero, { scale: 1, offsetX: 0, offsetY: 0 }, m.size, m.size);
  const out = new Uint32Array(m.size * m.size);
  rasterPixels(out, r, lut, 0);
  return out;
}
