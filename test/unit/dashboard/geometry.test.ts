// Matrix geometry (pure, no DOM): cell under a point, zoom keeping the cursor's cell fixed,
// pan clamping, visible spans and group boundaries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_CELL_PX,
  cellAt,
  cellRect,
  clampView,
  clipRect,
  fitView,
  groupBoundaries,
  groupSegments,
  moveCell,
  outward,
  panBy,
  revealCell,
  visibleCells,
  visibleSpan,
  zoomAt,
} from '../../../webview/src/matrix/geometry';

const plot = { width: 500, height: 400 };

describe('matrix geometry', () => {
  it('fits the whole matrix, centred, and finds the cell under a point', () => {
    const v = fitView(1000, plot);
    assert.equal(v.scale, 0.4);
    assert.equal(v.offsetX, 50);
    assert.equal(v.offsetY, 0);
    assert.deepEqual(cellAt(v, 1000, 50, 0), { row: 0, col: 0 });
    assert.deepEqual(cellAt(v, 1000, 50 + 0.4 * 999 + 0.1, 399.9), { row: 999, col: 999 });
    assert.deepEqual(cellAt(v, 1000, 50 + 0.4 * 10.5, 0.4 * 20.5), { row: 20, col: 10 });
    assert.equal(cellAt(v, 1000, 49.9, 10), null, 'left of the matrix');
    assert.equal(cellAt(v, 1000, 450.1, 10), null, 'right of the matrix');
  });

  it('cellRect and cellAt agree on every cell centre', () => {
    const v = { scale: 7, offsetX: -13, offsetY: 21 };
    for (const cell of [
      { row: 0, col: 0 },
      { row: 3, col: 9 },
      { row: 42, col: 17 },
    ]) {
      const r = cellRect(v, cell);
      assert.deepEqual(cellAt(v, 100, r.x + r.width / 2, r.y + r.height / 2), cell);
    }
  });

  it('zooming keeps the cell under the cursor under the cursor', () => {
    const size = 1000;
    let v = fitView(size, plot);
    const px = 260.3;
    const py = 123.7;
    const before = cellAt(v, size, px, py)!;
    for (let i = 0; i < 12; i++) {
      v = zoomAt(v, size, plot, 1.5, px, py);
      assert.deepEqual(cellAt(v, size, px, py), before, `after zoom step ${i}`);
    }
    assert.ok(v.scale > 40);
  });

  it('zoom is bounded by the fit scale and MAX_CELL_PX', () => {
    const size = 100;
    const fit = fitView(size, plot);
    assert.equal(zoomAt(fit, size, plot, 0.1, 10, 10).scale, fit.scale);
    assert.equal(zoomAt(fit, size, plot, 1e6, 10, 10).scale, MAX_CELL_PX);
  });

  it('pan is clamped so the matrix always covers the plot when zoomed in', () => {
    const size = 100;
    const v = { scale: 20, offsetX: 0, offsetY: 0 };
    assert.deepEqual(panBy(v, size, plot, 50, 50), { scale: 20, offsetX: 0, offsetY: 0 });
    const far = panBy(v, size, plot, -1e6, -1e6);
    assert.deepEqual(far, { scale: 20, offsetX: 500 - 2000, offsetY: 400 - 2000 });
    assert.deepEqual(panBy(v, size, plot, -30, -40), { scale: 20, offsetX: -30, offsetY: -40 });
    // Smaller than the plot along x: centred whatever the pan.
    assert.equal(clampView({ scale: 3, offsetX: 999, offsetY: 0 }, size, plot).offsetX, (500 - 300) / 2);
  });

  it('visible spans and the source rectangle cover exactly what is on screen', () => {
    const v = { scale: 10, offsetX: -25, offsetY: -5 };
    assert.deepEqual(visibleSpan(v, 100, 500, 'x'), [2, 52]);
    assert.deepEqual(visibleSpan(v, 100, 400, 'y'), [0, 40]);
    const r = visibleCells(v, 100, plot);
    assert.deepEqual(r, { x: 2.5, y: 0.5, width: 50, height: 40 });
    assert.equal(visibleSpan({ scale: 1, offsetX: 600, offsetY: 0 }, 100, 500, 'x'), null);
  });

  it('revealCell scrolls just enough to show a cell', () => {
    const v = { scale: 20, offsetX: 0, offsetY: 0 };
    const moved = revealCell(v, 100, plot, { row: 30, col: 40 });
    const r = cellRect(moved, { row: 30, col: 40 });
    assert.ok(r.x >= 0 && r.x + r.width <= plot.width && r.y >= 0 && r.y + r.height <= plot.height);
    assert.equal(r.x + r.width, plot.width);
    assert.deepEqual(revealCell(v, 100, plot, { row: 1, col: 1 }), v, 'already visible: unchanged');
  });

  it('group segments and boundaries follow display order', () => {
    const groups = ['many', 'many', 'medium', 'medium', 'medium', 'few'] as const;
    assert.deepEqual(groupSegments(groups), [
      { group: 'many', start: 0, end: 2 },
      { group: 'medium', start: 2, end: 5 },
      { group: 'few', start: 5, end: 6 },
    ]);
    assert.deepEqual(groupBoundaries(groups), [2, 5]);
    assert.deepEqual(groupBoundaries(['few', 'few']), []);
    assert.deepEqual(groupSegments([]), []);
  });

  it('keyboard moves stay inside the matrix', () => {
    assert.deepEqual(moveCell({ row: 0, col: 0 }, 10, -1, -1), { row: 0, col: 0 });
    assert.deepEqual(moveCell({ row: 9, col: 8 }, 10, 1, 5), { row: 9, col: 9 });
    assert.deepEqual(moveCell({ row: 4, col: 4 }, 10, 1, -2), { row: 5, col: 2 });
  });

  it('clipRect keeps the overlap, or nothing', () => {
    const bounds = { x: 10, y: 10, width: 100, height: 50 };
    assert.deepEqual(clipRect({ x: 0, y: 20, width: 200, height: 5 }, bounds), { x: 10, y: 20, width: 100, height: 5 });
    assert.deepEqual(clipRect({ x: 30, y: 0, width: 4, height: 500 }, bounds), { x: 30, y: 10, width: 4, height: 50 });
    assert.equal(clipRect({ x: 200, y: 20, width: 5, height: 5 }, bounds), null);
    assert.equal(clipRect({ x: 0, y: 0, width: 10, height: 10 }, bounds), null, 'touching edges do not overlap');
  });

  it('outward covers every device pixel a rectangle touches', () => {
    assert.deepEqual(outward({ x: 1.2, y: 2.5, width: 3.1, height: 0.2 }, 1), { x: 1, y: 2, width: 4, height: 1 });
    const r = outward({ x: 1.2, y: 2.6, width: 3.1, height: 0.2 }, 2);
    assert.deepEqual(r, { x: 1, y: 2.5, width: 3.5, height: 0.5 });
    for (const ratio of [1, 1.5, 2]) {
      const src = { x: 7.33, y: 0.01, width: 0.4, height: 9.99 };
      const o = outward(src, ratio);
      assert.ok(o.x <= src.x && o.y <= src.y && o.x + o.width >= src.x + src.width && o.y + o.height >= src.y + src.height);
      for (const v of [o.x, o.y, o.x + o.width, o.y + o.height]) assert.ok(Math.abs(v * ratio - Math.round(v * ratio)) < 1e-9);
    }
  });
});
