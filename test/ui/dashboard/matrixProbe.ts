// Reading the dashboard from a UI test: the matrix canvas's view transform, the colour of a
// cell's pixels, the hover read-out. Works on a Page (report file) and on a FrameLocator (a
// webview inside code-server) alike, through locators.
import assert from 'node:assert/strict';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import type { SparseConfusion } from '../../../src/core/evalEncoding';
import { cellIntensity, lutIndex, parseColor, sequentialLut, unpackRGBA, type RGB } from '../../../webview/src/matrix/colors';

export type Root = Page | FrameLocator;

// The test files compile without the DOM library (so src/ and webview/matrix stay DOM-free):
// the few browser objects used inside evaluate() callbacks are described here.
export interface ElementLike {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  querySelectorAll(selector: string): Iterable<ElementLike>;
}
interface CanvasLike extends ElementLike {
  width: number;
  height: number;
  clientWidth: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
}

export interface MatrixState {
  size: number;
  revision: string;
  view: { scale: number; offsetX: number; offsetY: number; left: number; top: number };
  zero: RGB;
  full: RGB;
}

export function matrixCanvas(root: Root, nth = 0): Locator {
  return root.locator('canvas.matrix-base').nth(nth);
}

/** Waits until the canvas's data attribute `key` satisfies `test` (e.g. a new revision). */
export async function waitForData(
  canvas: Locator,
  key: string,
  test: (value: string | undefined) => boolean,
  timeoutMs = 10_000,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await canvas.evaluate((el, k) => (el as unknown as ElementLike).dataset[k], key);
    if (test(v)) return v;
    if (Date.now() > deadline) throw new Error(`canvas data-${key} is still ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function matrixState(canvas: Locator): Promise<MatrixState> {
  const d = await canvas.evaluate((el) => ({ ...(el as unknown as ElementLike).dataset }));
  assert.ok(d.view && d.size && d.colorZero && d.colorFull, `matrix not drawn: ${JSON.stringify(d)}`);
  return {
    size: Number(d.size),
    revision: d.revision ?? '',
    view: JSON.parse(d.view) as MatrixState['view'],
    zero: parseColor(d.colorZero)!,
    full: parseColor(d.colorFull)!,
  };
}

/** Centre of a cell in CSS pixels relative to the canvas's top-left corner. */
export function cellCentre(s: MatrixState, row: number, col: number): { x: number; y: number } {
  const v = s.view;
  return { x: v.left + v.offsetX + (col + 0.5) * v.scale, y: v.top + v.offsetY + (row + 0.5) * v.scale };
}

/** The RGB of the canvas pixel at CSS position (x, y). */
export async function pixel(canvas: Locator, x: number, y: number): Promise<RGB> {
  const rgba = await canvas.evaluate(
    (el, p) => {
      const c = el as unknown as CanvasLike;
      const ratio = c.width / c.clientWidth;
      return Array.from(c.getContext('2d').getImageData(Math.floor(p.x * ratio), Math.floor(p.y * ratio), 1, 1).data);
    },
    { x, y },
  );
  return [rgba[0]!, rgba[1]!, rgba[2]!] as RGB;
}

/** The colour a cell must have in row-share mode (linear), computed from the fixture's counts. */
export function expectedColour(s: MatrixState, counts: ArrayLike<number>, row: number, col: number): RGB {
  let rowTotal = 0;
  let max = 0;
  for (let i = 0; i < counts.length; i++) max = Math.max(max, counts[i]!);
  for (let c = 0; c < s.size; c++) rowTotal += counts[row * s.size + c]!;
  const lut = sequentialLut(s.zero, s.full);
  return unpackRGBA(lut[lutIndex(cellIntensity(counts[row * s.size + col]!, rowTotal, max, { values: 'row', log: false }))]!);
}

export function assertColourNear(actual: RGB, expected: RGB, what: string, tolerance = 2): void {
  const ok = actual.every((v, i) => Math.abs(v - expected[i]!) <= tolerance);
  assert.ok(ok, `${what}: pixel ${JSON.stringify(actual)} but expected ${JSON.stringify(expected)}`);
}

/** Opaque pixels of the read-out canvas (the drawn text) and a fingerprint of its pixels. */
async function readoutInk(root: Root): Promise<{ ink: number; sum: number }> {
  return root
    .locator('canvas.matrix-readout-text')
    .first()
    .evaluate((el) => {
      const c = el as unknown as CanvasLike;
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let ink = 0;
      let sum = 0;
      for (let i = 3; i < d.length; i += 4) {
        if (d[i]! > 0) ink++;
        sum = (sum * 31 + d[i]! * (i + 1)) % 2147483647;
      }
      return { ink, sum };
    });
}

/**
 * The highlight overlay's painted pixels: how many there are, and how many lie more than 4 CSS
 * pixels from the row and column bands of `cell` (the outline of a tiny cell reaches 3 px out).
 * A stray pixel is a highlight of an earlier cell that was not cleared.
 */
async function overlayInk(root: Root, s: MatrixState, cell: { row: number; col: number }): Promise<{ ink: number; stray: number }> {
  return root
    .locator('canvas.matrix-overlay')
    .first()
    .evaluate(
      (el, a) => {
        const c = el as unknown as CanvasLike;
        const ratio = c.width / c.clientWidth;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const y0 = (a.v.top + a.v.offsetY + a.row * a.v.scale - 4) * ratio;
        const y1 = (a.v.top + a.v.offsetY + (a.row + 1) * a.v.scale + 4) * ratio;
        const x0 = (a.v.left + a.v.offsetX + a.col * a.v.scale - 4) * ratio;
        const x1 = (a.v.left + a.v.offsetX + (a.col + 1) * a.v.scale + 4) * ratio;
        let ink = 0;
        let stray = 0;
        for (let y = 0; y < c.height; y++) {
          for (let x = 0; x < c.width; x++) {
            if (d[(y * c.width + x) * 4 + 3]! === 0) continue;
            ink++;
            if (!(y >= y0 && y < y1) && !(x >= x0 && x < x1)) stray++;
          }
        }
        return { ink, stray };
      },
      { v: s.view, row: cell.row, col: cell.col },
    );
}

/**
 * Moves the pointer over a cell and returns the read-out's fields, from its DOM copy once that
 * names this cell (it follows when the pointer rests). The visible read-out, on a canvas, must
 * hold text, and new text when the pointer moved to another cell.
 */
export async function hoverCell(root: Root, canvas: Locator, s: MatrixState, row: number, col: number): Promise<Record<string, string>> {
  const readout = root.locator('.matrix-readout').first();
  const before = await readout.getAttribute('data-cell');
  const inkBefore = await readoutInk(root);
  const p = cellCentre(s, row, col);
  await canvas.hover({ position: p });
  await root.locator(`.matrix-readout[data-cell="${row},${col}"] [data-field=true]`).first().waitFor();
  const inkAfter = await readoutInk(root);
  assert.ok(inkAfter.ink > 50, `the read-out canvas shows text (${inkAfter.ink} opaque pixels)`);
  if (before !== `${row},${col}`) assert.notEqual(inkAfter.sum, inkBefore.sum, 'the read-out canvas shows the new cell');
  const overlay = await overlayInk(root, s, { row, col });
  assert.ok(overlay.ink > 0, 'the hovered cell is highlighted');
  assert.equal(overlay.stray, 0, `the overlay keeps ${overlay.stray} pixels of an earlier highlight`);
  return readout.evaluate((el) =>
    Object.fromEntries(
      [...(el as unknown as ElementLike).querySelectorAll('[data-field]')].map((f) => [f.dataset.field!, f.textContent ?? '']),
    ),
  );
}

/** Counts in display order (head to tail), from the fixture's eval file and classes. */
export function displayCounts(confusion: SparseConfusion, order: number[]): Float64Array {
  const n = order.length;
  const pos = new Int32Array(n);
  order.forEach((label, i) => (pos[label] = i));
  const out = new Float64Array(n * n);
  for (let k = 0; k < confusion.cells.length; k += 3)
    out[pos[confusion.cells[k]!]! * n + pos[confusion.cells[k + 1]!]!] = confusion.cells[k + 2]!;
  return out;
}

/** A few interesting cells: the head class's diagonal, the largest off-diagonal cell, a zero cell. */
export function probeCells(counts: Float64Array, n: number, within = n): { row: number; col: number; why: string }[] {
  let best = { row: 0, col: 1, v: -1 };
  let zero: { row: number; col: number } | null = null;
  for (let r = 0; r < within; r++) {
    for (let c = 0; c < within; c++) {
      const v = counts[r * n + c]!;
      if (r !== c && v > best.v) best = { row: r, col: c, v };
      if (v === 0 && !zero) zero = { row: r, col: c };
    }
  }
  return [
    { row: 0, col: 0, why: 'head diagonal' },
    { row: best.row, col: best.col, why: 'largest confusion' },
    ...(zero ? [{ ...zero, why: 'empty cell' }] : []),
    { row: within - 1, col: within - 1, why: 'last diagonal' },
  ];
}

export interface DisplayCell {
  row: number;
  col: number;
  count: number;
}

/** The fixture's non-zero cells in display order, without a dense matrix (8,142 classes: 66 million cells). */
export function displayCells(confusion: SparseConfusion, order: number[]): DisplayCell[] {
  const pos = new Int32Array(order.length);
  order.forEach((label, i) => (pos[label] = i));
  const out: DisplayCell[] = [];
  for (let k = 0; k < confusion.cells.length; k += 3)
    out.push({ row: pos[confusion.cells[k]!]!, col: pos[confusion.cells[k + 1]!]!, count: confusion.cells[k + 2]! });
  return out;
}

/**
 * With the whole matrix fitted (several cells per device pixel), the canvas colours exactly the
 * pixels that hold a non-zero cell: each other pixel of the matrix keeps the zero colour.
 * Pixels within 2 of a group boundary line or of the frame are left out (lines are drawn there).
 * Returns how many pixels were compared and how many are coloured.
 */
export async function assertDrawnCells(
  canvas: Locator,
  s: MatrixState,
  cells: readonly DisplayCell[],
  boundaries: readonly number[],
): Promise<{ compared: number; coloured: number }> {
  const v = s.view;
  const extent = s.size * v.scale;
  const got = await canvas.evaluate(
    (el, a) => {
      const c = el as unknown as CanvasLike;
      const ratio = c.width / c.clientWidth;
      const x0 = Math.floor((a.left + a.offsetX) * ratio);
      const y0 = Math.floor((a.top + a.offsetY) * ratio);
      const side = Math.floor(a.extent * ratio);
      const data = c.getContext('2d').getImageData(x0, y0, side, side).data;
      let bits = '';
      for (let i = 0; i < side * side; i++) {
        const d = Math.abs(data[4 * i]! - a.zero[0]) + Math.abs(data[4 * i + 1]! - a.zero[1]) + Math.abs(data[4 * i + 2]! - a.zero[2]);
        bits += d > 3 ? '1' : '0';
      }
      return { ratio, x0, y0, side, bits };
    },
    { left: v.left, top: v.top, offsetX: v.offsetX, offsetY: v.offsetY, extent, zero: s.zero },
  );
  const scale = v.scale * got.ratio;
  assert.ok(scale < 1, `the fitted matrix has several cells per pixel (scale ${scale})`);
  const want = new Uint8Array(got.side * got.side);
  for (const cell of cells) {
    if (cell.count <= 0) continue;
    const x = Math.floor((v.left + v.offsetX) * got.ratio + cell.col * scale) - got.x0;
    const y = Math.floor((v.top + v.offsetY) * got.ratio + cell.row * scale) - got.y0;
    if (x >= 0 && y >= 0 && x < got.side && y < got.side) want[y * got.side + x] = 1;
  }
  // Lines: group boundaries (dashed, 1.5 px) and the frame around the matrix.
  const skip = new Uint8Array(got.side);
  const mark = (p: number) => {
    for (let d = -2; d <= 2; d++) if (p + d >= 0 && p + d < got.side) skip[p + d] = 1;
  };
  for (const b of boundaries) mark(Math.round(b * scale));
  mark(0);
  mark(got.side - 1);
  let compared = 0;
  let coloured = 0;
  const wrong: string[] = [];
  for (let y = 0; y < got.side; y++) {
    if (skip[y]) continue;
    for (let x = 0; x < got.side; x++) {
      if (skip[x]) continue;
      compared++;
      const isColoured = got.bits[y * got.side + x] === '1';
      if (isColoured) coloured++;
      if (isColoured !== (want[y * got.side + x] === 1) && wrong.length < 5)
        wrong.push(`(${x}, ${y}) ${isColoured ? 'coloured but holds no cell' : 'holds a cell but has the zero colour'}`);
    }
  }
  assert.deepEqual(wrong, [], 'matrix pixels');
  return { compared, coloured };
}
