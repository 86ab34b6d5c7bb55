// The dashboard's sparse confusion matrix (compressed sparse rows) against dense references
// computed here, on seeded random matrices with empty rows, a single class, and a class whose
// whole mass is on the diagonal: decoding, cell look-up, row totals, differences, the group
// summary, the CSV export and the rasterised pixels at many zooms and pans.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeSparse, encodeMatrix, encodeSparseMatrix, type SparseMatrix } from '../../../src/protocol/matrixCodec';
import { Rng } from '../../../src/core/random';
import { WIDE_CSV_MAX, confusionCsv } from '../../../webview/src/csv';
import {
  SEQUENTIAL_MAGNITUDE,
  countSlots,
  DIVERGING_MAGNITUDE,
  DIVERGING_ZERO_SLOT,
  differenceSlots,
} from '../../../webview/src/matrix/colors';
import type { View } from '../../../webview/src/matrix/geometry';
import { rasterise } from '../../../webview/src/matrix/raster';
import { cellValue, findCell, lowerBound, matrixStats, shareDifference } from '../../../webview/src/matrix/sparse';
import { GROUP_ORDER, groupSummary, type GroupName } from '../../../webview/src/matrix/summary';

/** A random count matrix: mostly zeros, some empty rows, row `diag` with all its mass on the diagonal. */
function randomDense(size: number, seed: number, density: number): number[] {
  const rng = Rng.derive(seed, 'sparse-matrix-test');
  const out = new Array<number>(size * size).fill(0);
  for (let r = 0; r < size; r++) {
    if (size > 2 && rng.next() < 0.2) continue; // an empty row: a class without test images
    for (let c = 0; c < size; c++) if (rng.next() < density) out[r * size + c] = 1 + rng.int(20);
  }
  if (size > 1) {
    const diag = size - 1;
    for (let c = 0; c < size; c++) out[diag * size + c] = 0;
    out[diag * size + diag] = 7;
  }
  return out;
}

const sizes = [1, 2, 3, 17, 64];

/** Both wire forms of the same matrix, decoded. */
function bothForms(dense: number[], size: number): SparseMatrix[] {
  const cells: number[] = [];
  const values: number[] = [];
  dense.forEach((v, i) => v !== 0 && (cells.push(i), values.push(v)));
  const dense2 = { size, encoding: 'dense' as const, data: dense };
  return [decodeSparse(encodeSparseMatrix(cells, values, size)), decodeSparse(dense2), decodeSparse(encodeMatrix(dense, size))];
}

describe('sparse confusion matrix', () => {
  it('decodes both wire forms to the same rows, and finds every cell by binary search', () => {
    for (const size of sizes) {
      for (const density of [0, 0.05, 0.3, 1]) {
        const dense = randomDense(size, size * 10 + Math.round(density * 100), density);
        for (const m of bothForms(dense, size)) {
          assert.equal(m.rowStart.length, size + 1);
          assert.equal(m.rowStart[size], dense.filter((v) => v !== 0).length);
          for (let r = 0; r < size; r++) {
            for (let k = m.rowStart[r]! + 1; k < m.rowStart[r + 1]!; k++) assert.ok(m.col[k - 1]! < m.col[k]!, 'columns ascend');
            for (let c = 0; c < size; c++) {
              assert.equal(cellValue(m, r, c), dense[r * size + c], `size ${size} cell ${r},${c}`);
              assert.equal(findCell(m, r, c) >= 0, dense[r * size + c] !== 0);
              // lowerBound: the first stored column >= c.
              const lb = lowerBound(m, r, c);
              const expected = m.rowStart[r]! + dense.slice(r * size, r * size + c).filter((v) => v !== 0).length;
              assert.equal(lb, expected);
            }
          }
        }
      }
    }
  });

  it('row totals and the largest value equal the dense sums', () => {
    for (const size of sizes) {
      const dense = randomDense(size, size, 0.2);
      const s = matrixStats(bothForms(dense, size)[0]!);
      for (let r = 0; r < size; r++)
        assert.equal(
          s.rowTotals[r],
          dense.slice(r * size, (r + 1) * size).reduce((a, b) => a + b, 0),
        );
      assert.equal(s.max, Math.max(0, ...dense));
    }
    assert.equal(matrixStats(decodeSparse({ size: 3, encoding: 'gaps', data: [] })).max, 0, 'an empty matrix');
  });

  it('the row-share difference equals the dense one, cell by cell', () => {
    for (const size of sizes) {
      const a = randomDense(size, size + 1, 0.2);
      const b = randomDense(size, size + 2, 0.2);
      const d = shareDifference(bothForms(a, size)[0]!, bothForms(b, size)[0]!);
      const share = (m: number[], r: number, c: number) => {
        const t = m.slice(r * size, (r + 1) * size).reduce((x, y) => x + y, 0);
        return t > 0 ? m[r * size + c]! / t : 0;
      };
      for (let r = 0; r < size; r++)
        for (let c = 0; c < size; c++) {
          const want = share(b, r, c) - share(a, r, c);
          assert.ok(Math.abs(cellValue(d, r, c) - want) < 1e-12, `size ${size} cell ${r},${c}`);
        }
    }
    assert.throws(() => shareDifference(decodeSparse(encodeMatrix([1], 1)), decodeSparse(encodeMatrix([1, 0, 0, 1], 2))), /cannot/);
  });

  it('the group summary equals the dense sums', () => {
    const size = 30;
    const dense = randomDense(size, 5, 0.3);
    const groups: GroupName[] = Array.from({ length: size }, (_, i) => GROUP_ORDER[Math.min(2, Math.floor(i / 10))]!);
    const s = groupSummary(bothForms(dense, size)[0]!, groups);
    const want = [0, 1, 2].map(() => [0, 0, 0]);
    for (let r = 0; r < size; r++)
      for (let c = 0; c < size; c++) want[GROUP_ORDER.indexOf(groups[r]!)]![GROUP_ORDER.indexOf(groups[c]!)]! += dense[r * size + c]!;
    assert.deepEqual(s.counts, want);
  });

  it('the CSV is the dense table up to WIDE_CSV_MAX classes, one line per non-zero cell beyond', () => {
    const size = 5;
    const dense = randomDense(size, 9, 0.4);
    const names = ['a', 'b', 'c', 'd', 'e'];
    const rows = confusionCsv(names, bothForms(dense, size)[0]!)
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    assert.deepEqual(rows[0], ['true \\ predicted', ...names]);
    for (let r = 0; r < size; r++) assert.deepEqual(rows[r + 1], [names[r], ...dense.slice(r * size, (r + 1) * size).map(String)]);

    const big = WIDE_CSV_MAX + 1;
    const cells = [3, big + 7, big * big - 1];
    const m = decodeSparse(encodeSparseMatrix(cells, [2, 5, 1], big));
    const bigNames = Array.from({ length: big }, (_, i) => `k${i}`);
    assert.deepEqual(confusionCsv(bigNames, m).trim().split('\n'), [
      'true,predicted,count',
      'k0,k3,2',
      'k1,k7,5',
      `k${big - 1},k${big - 1},1`,
    ]);
  });
});

describe('rasterised matrix', () => {
  /**
   * Reference: every pixel visits every cell of the dense matrix; a cell covers the pixels of
   * [floor(x(c)), max(floor(x(c)) + 1, floor(x(c + 1)))) on each axis, x(c) = offset + c*scale,
   * and a pixel keeps the covering slot of largest magnitude.
   */
  function reference(
    dense: number[],
    size: number,
    slotOf: (r: number, c: number) => number,
    magnitude: Uint8Array,
    zero: number,
    v: View,
    w: number,
    h: number,
  ) {
    const span = (o: number, i: number) => {
      const a = Math.floor(o + i * v.scale);
      return [a, Math.max(a + 1, Math.floor(o + (i + 1) * v.scale))] as const;
    };
    const out = new Uint8Array(w * h).fill(zero);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let r = 0; r < size; r++) {
          const [ya, yb] = span(v.offsetY, r);
          if (y < ya || y >= yb) continue;
          for (let c = 0; c < size; c++) {
            if (dense[r * size + c] === 0) continue;
            const [xa, xb] = span(v.offsetX, c);
            if (x < xa || x >= xb) continue;
            const s = slotOf(r, c);
            if (magnitude[s]! > magnitude[out[y * w + x]!]!) out[y * w + x] = s;
          }
        }
    return out;
  }

  const views = (size: number, w: number): View[] => [
    { scale: w / size, offsetX: 0, offsetY: 0 }, // fitted
    { scale: (w / size) * 0.37, offsetX: 3.3, offsetY: 5.9 }, // many cells per pixel, centred
    { scale: 1, offsetX: 0, offsetY: 0 },
    { scale: 3.7, offsetX: -11.2, offsetY: -29.6 }, // zoomed in and panned
    { scale: 9, offsetX: -9 * (size - 3), offsetY: -9 * (size - 4) + 0.5 }, // the bottom-right corner
  ];

  it('equals the dense reference for counts at every zoom and pan', () => {
    const w = 23;
    const h = 19;
    for (const size of sizes) {
      const dense = randomDense(size, size * 3, 0.15);
      const m = bothForms(dense, size)[0]!;
      const slots = countSlots(m, matrixStats(m), { values: 'raw', log: false });
      const slotOf = (r: number, c: number) => slots[findCell(m, r, c)]!;
      for (const v of views(size, w)) {
        const got = rasterise(m, slots, SEQUENTIAL_MAGNITUDE, 0, v, w, h);
        const want = reference(dense, size, slotOf, SEQUENTIAL_MAGNITUDE, 0, v, w, h);
        assert.deepEqual([...got.slots], [...want], `size ${size} view ${JSON.stringify(v)}`);
        // The matrix extent: pixels covered by some cell (zero or not).
        const cover = (o: number, px: number) => {
          for (let i = 0; i < size; i++) {
            const a = Math.floor(o + i * v.scale);
            if (px >= a && px < Math.max(a + 1, Math.floor(o + (i + 1) * v.scale))) return true;
          }
          return false;
        };
        for (let x = 0; x < w; x++) assert.equal(x >= got.x0 && x < got.x1, cover(v.offsetX, x), `x ${x}`);
        for (let y = 0; y < h; y++) assert.equal(y >= got.y0 && y < got.y1, cover(v.offsetY, y), `y ${y}`);
      }
    }
  });

  it('keeps a lone faint cell visible when cells are far smaller than pixels', () => {
    const size = 400;
    const m = decodeSparse(encodeSparseMatrix([0, size * size - 2], [1000, 1], size));
    const slots = countSlots(m, matrixStats(m), { values: 'raw', log: false });
    assert.ok(slots[1]! > 0);
    const r = rasterise(m, slots, SEQUENTIAL_MAGNITUDE, 0, { scale: 10 / size, offsetX: 0, offsetY: 0 }, 10, 10);
    assert.equal(r.slots[9 * 10 + 9], slots[1], 'the faint cell owns its pixel');
    assert.equal(r.slots[0], slots[0]);
    assert.equal(r.slots.filter((s) => s !== 0).length, 2);
  });

  it('differences keep the sign of the larger magnitude on a zero-slot background', () => {
    const size = 6;
    const a = randomDense(size, 1, 0.5);
    const b = randomDense(size, 2, 0.5);
    const d = shareDifference(bothForms(a, size)[0]!, bothForms(b, size)[0]!);
    const slots = differenceSlots(d);
    const denseDiff = new Array<number>(size * size).fill(0);
    for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) denseDiff[r * size + c] = cellValue(d, r, c);
    const v = { scale: 0.5, offsetX: 0, offsetY: 0 };
    const got = rasterise(d, slots, DIVERGING_MAGNITUDE, DIVERGING_ZERO_SLOT, v, 3, 3);
    const want = reference(denseDiff, size, (r, c) => slots[findCell(d, r, c)]!, DIVERGING_MAGNITUDE, DIVERGING_ZERO_SLOT, v, 3, 3);
    assert.deepEqual([...got.slots], [...want]);
  });

  it('reuses the buffer it is given', () => {
    const m = decodeSparse(encodeMatrix([1, 0, 0, 1], 2));
    const slots = countSlots(m, matrixStats(m), { values: 'raw', log: false });
    const buf = new Uint8Array(16).fill(99);
    const r = rasterise(m, slots, SEQUENTIAL_MAGNITUDE, 0, { scale: 2, offsetX: 0, offsetY: 0 }, 4, 4, buf);
    assert.equal(r.slots, buf);
    assert.deepEqual([...buf], [255, 255, 0, 0, 255, 255, 0, 0, 0, 0, 255, 255, 0, 0, 255, 255]);
  });
});
