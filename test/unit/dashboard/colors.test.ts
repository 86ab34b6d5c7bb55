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
  DIVERGING_ZERO_SLOT,
  SEQUENTIAL_MAGNITUDE,
  countSlots,
  differenceSlots,
  lutIndex,
  matrixStats,
  indicesToPixels,
  levelPixels,
  scanCells,
  scanMatrix,
  slotLevel,
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
    fillCountPixels(out, counts, 3, { values: 'row', log: false }, lut);
    assert.equal(out[0], lut[lutIndex(0.8)]);
    assert.equal(out[1], lut[lutIndex(0.2)]);
    assert.equal(out[2], lut[0]);
    assert.equal(out[4], out[5]);
    assert.equal(out[6], lut[LUT_SIZE - 1], 'the whole row in one cell');
    fillCountPixels(out, counts, 3, { values: 'raw', log: false }, lut);
    assert.equal(out[0], lut[LUT_SIZE - 1]);
    assert.equal(out[6], lut[lutIndex(1 / 8)]);
  });

  it('differences of row shares use a diverging table centred on the background', () => {
    const a = [9, 1, 0, 10];
    const b = [5, 5, 0, 10];
    const d = shareDifference(a, b, 2);
    assert.deepEqual(
      [...d].map((v) => Math.round(v * 10) / 10),
      [-0.4, 0.4, 0, 0],
    );
    const lut = divergingLut([200, 0, 0], bg, [0, 0, 200]);
    assert.equal(divergingIndex(0), 128);
    assert.ok(divergingIndex(-0.001) < 128 && divergingIndex(0.001) > 128);
    assert.equal(divergingIndex(1), 255);
    assert.equal(divergingIndex(-1), 1);
    const out = new Uint32Array(4);
    fillDifferencePixels(out, d, 2, lut);
    assert.deepEqual(unpackRGBA(out[2]!), bg);
    const neg = unpackRGBA(out[0]!);
    const pos = unpackRGBA(out[1]!);
    assert.ok(neg[0] > neg[2] && pos[2] > pos[0]);
  });
});

describe('zoomed-out levels', () => {
  /** Reference: 2x2 max-pooling of a dense slot image, by brute force. */
  function pool(src: Uint8Array, size: number, magnitude: Uint8Array): { data: Uint8Array; size: number } {
    const half = Math.ceil(size / 2);
    const out = new Uint8Array(half * half);
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const j = (r >> 1) * half + (c >> 1);
        if (magnitude[src[r * size + c]!]! > magnitude[out[j]!]!) out[j] = src[r * size + c]!;
      }
    }
    return { data: out, size: half };
  }

  it('scans row totals, the largest value and the non-zero cells in one pass', () => {
    const scan = scanMatrix([0, 2, 0, 5, 0, 1, 0, 0, 0], 3);
    assert.deepEqual([...scan.nonZero], [1, 3, 5]);
    assert.deepEqual([...scan.rowTotals], [2, 6, 0]);
    assert.equal(scan.max, 5);
  });

  it('levels built from the non-zero cells equal pooling the full image, and keep a lone cell', () => {
    const size = 37;
    const counts = new Float64Array(size * size);
    let seed = 3;
    for (let i = 0; i < 60; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      counts[seed % (size * size)] = 1 + (seed % 9);
    }
    counts[36 * size + 35] = 1; // a lone faint cell at the ragged edge
    const scan = scanMatrix(counts, size);
    const slots = countSlots(counts, size, scan, { values: 'raw', log: false });
    let ref: { data: Uint8Array; size: number } = slotLevel(size, scan.nonZero, slots, 0, SEQUENTIAL_MAGNITUDE, 0);
    const dense = new Uint8Array(size * size);
    fillDenseSlots(dense, counts, scan);
    assert.deepEqual([...ref.data], [...dense], 'level 0 is the full slot image');
    for (let level = 1; level <= 6; level++) {
      ref = pool(ref.data, ref.size, SEQUENTIAL_MAGNITUDE);
      const got = slotLevel(size, scan.nonZero, slots, level, SEQUENTIAL_MAGNITUDE, 0);
      assert.equal(got.size, Math.ceil(size / 2 ** level));
      assert.deepEqual([...got.data], [...ref.data], `level ${level}`);
    }
    const l2 = slotLevel(size, scan.nonZero, slots, 2, SEQUENTIAL_MAGNITUDE, 0);
    assert.notEqual(l2.data[(36 >> 2) * l2.size + (35 >> 2)], 0, 'the lone cell survives pooling');

    // Sparse paths agree with the dense ones.
    assert.deepEqual(scanCells(counts, size, scan.nonZero), scan);
    const lut = sequentialLut(bg, fg);
    const sparse = new Uint32Array(l2.size * l2.size);
    levelPixels(sparse, l2, lut, 0);
    const full = new Uint32Array(l2.size * l2.size);
    indicesToPixels(full, l2.data, lut);
    assert.deepEqual([...sparse], [...full]);
  });

  it('differences pool by distance from zero, keeping the sign, on a zero-slot background', () => {
    const diff = [0.5, -0.9, 0, 0];
    const cells = scanMatrix(diff, 2).nonZero;
    const slots = differenceSlots(diff, cells);
    const l1 = slotLevel(2, cells, slots, 1, DIVERGING_MAGNITUDE, DIVERGING_ZERO_SLOT);
    assert.deepEqual([...l1.data], [divergingIndex(-0.9)]);
    const l0 = slotLevel(2, cells, slots, 0, DIVERGING_MAGNITUDE, DIVERGING_ZERO_SLOT);
    assert.deepEqual([...l0.data], [divergingIndex(0.5), divergingIndex(-0.9), 128, 128]);
  });
});

function fillDenseSlots(out: Uint8Array, counts: ArrayLike<number>, scan: ReturnType<typeof scanMatrix>): void {
  for (let i = 0; i < out.length; i++)
    out[i] = counts[i] === 0 ? 0 : lutIndex(cellIntensity(counts[i]!, 0, scan.max, { values: 'raw', log: false }));
}

describe('group summary', () => {
  it('counts true group against predicted group', () => {
    // 4 classes: many, many, medium, few. Row = true, column = predicted.
    const counts = [5, 1, 0, 0, 1, 4, 0, 0, 2, 0, 3, 0, 3, 1, 0, 1];
    const s = groupSummary(counts, 4, ['many', 'many', 'medium', 'few']);
    assert.deepEqual(s.counts, [
      [11, 0, 0],
      [2, 3, 0],
      [4, 0, 1],
    ]);
    assert.deepEqual(s.totals, [11, 5, 5]);
    assert.equal(s.shares[2]![0], 0.8, 'four of five tail images predicted as head classes');
    assert.deepEqual(s.classes, [2, 1, 1]);
    const cells = Int32Array.from(counts.flatMap((v, i) => (v ? [i] : [])));
    assert.deepEqual(groupSummary(counts, 4, ['many', 'many', 'medium', 'few'], cells), s, 'from the non-zero cells alone');
    const empty = groupSummary([1], 1, ['many']);
    assert.deepEqual(empty.shares[2], [0, 0, 0]);
  });
});
