// Colour math of the matrix (pure): intensities, lookup tables, pixel filling, differences
// and the 3x3 group summary.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LUT_SIZE,
  cellIntensity,
  divergingIndex,
  divergingLut,
  fillCountPixels,
  fillDifferencePixels,
  DIVERGING_MAGNITUDE,
  SEQUENTIAL_MAGNITUDE,
  lutIndex,
  matrixStats,
  maxPool2,
  mix,
  packRGBA,
  parseColor,
  sequentialLut,
  shareDifference,
  toHex,
  unpackRGBA,
} from '../../../webview/src/matrix/colors';
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
    const counts = [8, 2, 0, 0, 5, 5, 1, 0, 0];
    const out = new Uint32Array(9);
    const lut = sequentialLut(bg, fg);
    const stats = matrixStats(counts, 3);
    assert.deepEqual([...stats.rowTotals], [10, 10, 1]);
    assert.equal(stats.max, 8);
    fillCountPixels(out, counts, 3, stats, { values: 'row', log: false }, lut);
    assert.equal(out[0], lut[lutIndex(0.8)]);
    assert.equal(out[1], lut[lutIndex(0.2)]);
    assert.equal(out[2], lut[0]);
    assert.equal(out[4], out[5]);
    assert.equal(out[6], lut[LUT_SIZE - 1], 'the whole row in one cell');
    fillCountPixels(out, counts, 3, stats, { values: 'raw', log: false }, lut);
    assert.equal(out[0], lut[LUT_SIZE - 1]);
    assert.equal(out[6], lut[lutIndex(1 / 8)]);
  });

  it('differences of row shares use a diverging table centred on the background', () => {
    const a = [9, 1, 0, 10];
    const b = [5, 5, 0, 10];
    const d = shareDifference(a, b, 2);
    assert.deepEqual([...d].map((v) => Math.round(v * 10) / 10), [-0.4, 0.4, 0, 0]);
    const lut = divergingLut([200, 0, 0], bg, [0, 0, 200]);
    assert.equal(divergingIndex(0), 128);
    assert.ok(divergingIndex(-0.001) < 128 && divergingIndex(0.001) > 128);
    assert.equal(divergingIndex(1), 255);
    assert.equal(divergingIndex(-1), 1);
    const out = new Uint32Array(4);
    fillDifferencePixels(out, d, lut);
    assert.deepEqual(unpackRGBA(out[2]!), bg);
    const neg = unpackRGBA(out[0]!);
    const pos = unpackRGBA(out[1]!);
    assert.ok(neg[0] > neg[2] && pos[2] > pos[0]);
  });
});

describe('zoomed-out levels', () => {
  it('max-pooling keeps a lone non-zero cell visible', () => {
    // 5x5 slots, one faint cell at (3, 4); odd sizes pool their last row/column alone.
    const src = new Uint8Array(25);
    src[3 * 5 + 4] = 7;
    src[0] = 3;
    const l1 = maxPool2(src, 5, SEQUENTIAL_MAGNITUDE);
    assert.equal(l1.size, 3);
    assert.deepEqual([...l1.data], [3, 0, 0, 0, 0, 7, 0, 0, 0]);
    const l2 = maxPool2(l1.data, l1.size, SEQUENTIAL_MAGNITUDE);
    assert.deepEqual([...l2.data], [3, 7, 0, 0]);
  });

  it('differences pool by distance from zero, keeping the sign', () => {
    const src = Uint8Array.from([130, 20, 128, 128]);
    assert.deepEqual([...maxPool2(src, 2, DIVERGING_MAGNITUDE).data], [20]);
  });
});

describe('group summary', () => {
  it('counts true group against predicted group', () => {
    // 4 classes: many, many, medium, few. Row = true, column = predicted.
    const counts = [
      5, 1, 0, 0,
      1, 4, 0, 0,
      2, 0, 3, 0,
      3, 1, 0, 1,
    ];
    const s = groupSummary(counts, 4, ['many', 'many', 'medium', 'few']);
    assert.deepEqual(s.counts, [
      [11, 0, 0],
      [2, 3, 0],
      [4, 0, 1],
    ]);
    assert.deepEqual(s.totals, [11, 5, 5]);
    assert.equal(s.shares[2]![0], 0.8, 'four of five tail images predicted as head classes');
    assert.deepEqual(s.classes, [2, 1, 1]);
    const empty = groupSummary([1], 1, ['many']);
    assert.deepEqual(empty.shares[2], [0, 0, 0]);
  });
});
