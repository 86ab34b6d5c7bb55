// The visible part of a confusion matrix as canvas pixels, straight from its non-zero cells
// (compressed sparse rows): never a bitmap of all size*size cells. Pure; unit-tested under Node
// against a dense reference.
//
// Rule: in device pixels, column c spans [floor(x(c)), floor(x(c + 1))) with x(c) = offsetX + c*scale,
// and at least the one pixel floor(x(c)); rows likewise. A pixel covered by several cells (more
// cells than pixels) takes the slot of largest magnitude among them, so a single confused cell
// never vanishes between pixels; cells with nothing leave the zero slot.
import type { View } from './geometry';
import { lowerBound, type SparseMatrix } from './sparse';

export interface Raster {
  width: number;
  height: number;
  /** One colour-table slot per pixel, row-major. */
  slots: Uint8Array;
  /** The matrix's pixels within the raster: [x0, x1) x [y0, y1); the rest lies outside the matrix. */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** Pixel span [start, end) of cell index i along an axis (unclipped). */
export function cellSpan(offset: number, scale: number, i: number): [number, number] {
  const start = Math.floor(offset + i * scale);
  return [start, Math.max(start + 1, Math.floor(offset + (i + 1) * scale))];
}

/**
 * Rasterises the matrix under `view` (device pixels: scale and offsets already multiplied by
 * the pixel ratio) into width x height slots. `cellSlots[k]` is the slot of non-zero cell k.
 * Work: the visible rows (a binary search each for the first visible column) plus the visible
 * non-zero cells times the pixels each covers. `reuse` is filled instead of allocating when it fits.
 */
export function rasterise(
  m: SparseMatrix,
  cellSlots: Uint8Array,
  magnitude: Uint8Array,
  zeroSlot: number,
  view: View,
  width: number,
  height: number,
  reuse?: Uint8Array,
): Raster {
  const n = m.size;
  const s = view.scale;
  const slots = reuse && reuse.length === width * height ? reuse : new Uint8Array(width * height);
  slots.fill(zeroSlot);
  const x0 = Math.max(0, cellSpan(view.offsetX, s, 0)[0]);
  const x1 = Math.min(width, cellSpan(view.offsetX, s, n - 1)[1]);
  const y0 = Math.max(0, cellSpan(view.offsetY, s, 0)[0]);
  const y1 = Math.min(height, cellSpan(view.offsetY, s, n - 1)[1]);
  const raster = { width, height, slots, x0, x1, y0, y1 };
  if (n === 0 || x0 >= x1 || y0 >= y1) return raster;
  // Cells that may reach a visible pixel (one extra each side covers the at-least-one-pixel rule).
  const firstRow = Math.max(0, Math.floor(-view.offsetY / s) - 1);
  const lastRow = Math.min(n - 1, Math.ceil((height - view.offsetY) / s));
  const firstCol = Math.max(0, Math.floor(-view.offsetX / s) - 1);
  const lastCol = Math.min(n - 1, Math.ceil((width - view.offsetX) / s));
  for (let r = firstRow; r <= lastRow; r++) {
    const [ya, yb] = cellSpan(view.offsetY, s, r);
    const ry0 = Math.max(0, ya);
    const ry1 = Math.min(height, yb);
    if (ry0 >= ry1) continue;
    const end = m.rowStart[r + 1]!;
    for (let k = firstCol > 0 ? lowerBound(m, r, firstCol) : m.rowStart[r]!; k < end; k++) {
      const c = m.col[k]!;
      if (c > lastCol) break;
      const [xa, xb] = cellSpan(view.offsetX, s, c);
      const cx0 = Math.max(0, xa);
      const cx1 = Math.min(width, xb);
      if (cx0 >= cx1) continue;
      const v = cellSlots[k]!;
      const mv = magnitude[v]!;
      for (let y = ry0; y < ry1; y++) {
        const base = y * width;
        for (let x = cx0; x < cx1; x++) if (mv > magnitude[slots[base + x]!]!) slots[base + x] = v;
      }
    }
  }
  return raster;
}

/** Pixels of a raster: the table's colour inside the matrix, `background` outside it. */
export function rasterPixels(out: Uint32Array, r: Raster, lut: Uint32Array, background: number): void {
  out.fill(background);
  for (let y = r.y0; y < r.y1; y++) {
    const base = y * r.width;
    for (let x = r.x0; x < r.x1; x++) out[base + x] = lut[r.slots[base + x]!]!;
  }
}
