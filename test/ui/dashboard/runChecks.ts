// The checks shared by the report tests and the VS Code panel tests: the run view shows the
// fixture's numbers, the canvas has the fixture's cell colours, hovering a cell names it.
import assert from 'node:assert/strict';
import { headToTailOrder } from '../../../src/core/evalMath';
import { readClassesFile, readEvalFile } from '../../../src/core/runDirectory';
import type { FixtureRun } from '../../../test/shared/dashboardRuns';
import { groupBoundaries } from '../../../webview/src/matrix/geometry';
import {
  assertColourNear,
  assertDrawnCells,
  cellCentre,
  displayCells,
  displayCounts,
  expectedColour,
  hoverCell,
  matrixCanvas,
  matrixState,
  pixel,
  probeCells,
  waitForData,
  type Root,
} from './matrixProbe';

const pctText = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Group table rows (classes, training images, test images, accuracy) equal the fixture's. */
export async function checkGroups(root: Root, run: FixtureRun, tag: string): Promise<void> {
  const cls = readClassesFile(run.dir)!;
  const ev = readEvalFile(run.dir, tag);
  const table = root.locator('table[data-testid=groups]').first();
  for (const g of ['many', 'medium', 'few'] as const) {
    const idx = cls.groups.assignment.map((x, i) => (x === g ? i : -1)).filter((i) => i >= 0);
    const row = table.locator(`tr[data-group=${g}]`);
    assert.equal(await row.locator('[data-field=classes]').textContent(), String(idx.length), `${g} classes`);
    assert.equal(
      await row.locator('[data-field=train]').textContent(),
      String(idx.reduce((a, i) => a + cls.trainCounts[i]!, 0)),
      `${g} train images`,
    );
    assert.equal(
      await row.locator('[data-field=test]').textContent(),
      String(idx.reduce((a, i) => a + cls.testCounts[i]!, 0)),
      `${g} test images`,
    );
    assert.equal(await row.locator('[data-field=accuracy]').textContent(), pctText(ev.groupAccuracy[g]), `${g} accuracy`);
  }
  assert.equal(await table.locator('tr[data-group=overall] [data-field=accuracy]').textContent(), pctText(ev.top1), 'top-1');
}

/** Pixel colours of a few cells and the hover read-out of the largest confusion. */
export async function checkMatrix(root: Root, run: FixtureRun, tag: string, press: (key: string) => Promise<void>): Promise<void> {
  const cls = readClassesFile(run.dir)!;
  const ev = readEvalFile(run.dir, tag);
  const n = cls.names.length;
  const order = headToTailOrder(cls.trainCounts);
  const canvas = matrixCanvas(root);
  await waitForData(canvas, 'revision', (v) => v !== undefined && v.startsWith(`${tag}:`));
  if (n > 200) {
    // More cells than pixels: zoom in from the keyboard until a cell is several pixels wide.
    await canvas.focus();
    for (let i = 0; i < 6; i++) await press('+');
    await waitForData(canvas, 'view', (v) => v !== undefined && (JSON.parse(v) as { scale: number }).scale >= 4);
  }
  const s = await matrixState(canvas);
  assert.equal(s.size, n);
  const counts = displayCounts(ev.confusion, order);
  const visible = Math.min(n, 60, Math.floor(760 / s.view.scale) - 1);
  const cells = probeCells(counts, n, visible);
  for (const c of cells) {
    const p = cellCentre(s, c.row, c.col);
    assertColourNear(await pixel(canvas, p.x, p.y), expectedColour(s, counts, c.row, c.col), `${c.why} (${c.row}, ${c.col})`);
  }
  const head = cellCentre(s, 0, 0);
  assert.notDeepEqual(await pixel(canvas, head.x, head.y), s.zero, 'a non-empty cell is not the background');

  const probe = cells[1]!;
  // The head diagonal first: hovering the probe then also checks that its highlight is cleared.
  await hoverCell(root, canvas, s, cells[0]!.row, cells[0]!.col);
  const fields = await hoverCell(root, canvas, s, probe.row, probe.col);
  const count = counts[probe.row * n + probe.col]!;
  const rowTotal = counts.slice(probe.row * n, (probe.row + 1) * n).reduce((a, b) => a + b, 0);
  assert.equal(fields.true, cls.names[order[probe.row]!]);
  assert.equal(fields.pred, cls.names[order[probe.col]!]);
  assert.equal(fields.count, String(count));
  assert.equal(fields.share, `${((100 * count) / rowTotal).toFixed(1)}%`);

  // The probe reads the canvases' buffers; screenshots check that the screen shows them too. The
  // cursor moves by keyboard here: a screenshot may scroll, and a scroll under the pointer ends a hover.
  await canvas.focus();
  await press('ArrowRight');
  const shots = async () =>
    [
      await root.locator('.matrix-stack').first().screenshot(),
      await root.locator('canvas.matrix-readout-text').first().screenshot(),
    ] as const;
  const [stackBefore, readoutBefore] = await shots();
  await press('ArrowDown');
  const [stackAfter, readoutAfter] = await shots();
  assert.ok(!stackAfter.equals(stackBefore), 'the highlight of the new cell reaches the screen');
  assert.ok(!readoutAfter.equals(readoutBefore), 'the read-out of the new cell reaches the screen');
}

/**
 * A matrix with more cells than pixels (8,142 classes), never made dense here: fitted, the
 * canvas colours exactly the pixels holding a non-zero cell of the fixture; zoomed in with the
 * wheel on the largest confusion, hovering that cell reads its true and predicted class, the
 * fixture's count and share of the row. `wheel` scrolls at the pointer's position.
 */
export async function checkLargeMatrix(root: Root, run: FixtureRun, tag: string, wheel: (deltaY: number) => Promise<void>): Promise<void> {
  const cls = readClassesFile(run.dir)!;
  const ev = readEvalFile(run.dir, tag);
  const order = headToTailOrder(cls.trainCounts);
  const canvas = matrixCanvas(root);
  await waitForData(canvas, 'revision', (v) => v !== undefined && v.startsWith(`${tag}:`), 60_000);
  const s = await matrixState(canvas);
  assert.equal(s.size, cls.names.length);
  const cells = displayCells(ev.confusion, order);
  const drawn = await assertDrawnCells(canvas, s, cells, groupBoundaries(order.map((l) => cls.groups.assignment[l]!)));
  assert.ok(drawn.coloured > 1000, `coloured pixels: ${drawn.coloured} of ${drawn.compared}`);

  const target = cells.filter((c) => c.row !== c.col).reduce((a, b) => (b.count > a.count ? b : a));
  const rowTotal = cells.filter((c) => c.row === target.row).reduce((a, c) => a + c.count, 0);
  await canvas.hover({ position: cellCentre(s, target.row, target.col) });
  for (let i = 0; i < 6; i++) await wheel(-500);
  const zoomed = await waitForData(canvas, 'view', (v) => v !== undefined && (JSON.parse(v) as { scale: number }).scale >= 4);
  assert.ok(zoomed);
  const fields = await hoverCell(root, canvas, await matrixState(canvas), target.row, target.col);
  assert.equal(fields.true, cls.names[order[target.row]!]);
  assert.equal(fields.pred, cls.names[order[target.col]!]);
  assert.equal(fields.count, String(target.count), 'the fixture count of the hovered cell');
  assert.equal(fields.share, `${((100 * target.count) / rowTotal).toFixed(1)}%`);
}
