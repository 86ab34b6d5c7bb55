// Pure colour math of the confusion matrix: value -> intensity (row share or raw count, linear
// or log) -> a 256-entry lookup table of packed RGBA pixels. The table runs from the theme's
// background (zero cells blend in) to a theme colour, so the matrix is readable in light,
// dark and high-contrast themes. No DOM: unit-tested under Node.

export type RGB = readonly [number, number, number];

export interface ScaleMode {
  /** row: share of the true class's test images; raw: the count itself. */
  values: 'row' | 'raw';
  log: boolean;
}

export const LUT_SIZE = 256;

/** How strongly the log scale lifts small shares: log1p(share*K)/log1p(K). */
const ROW_LOG_K = 1000;

/** Parses #rgb, #rrggbb, #rrggbbaa and rgb()/rgba() (alpha ignored). */
export function parseColor(css: string): RGB | null {
  const s = css.trim().toLowerCase();
  let m = /^#([0-9a-f]{3})$/.exec(s);
  if (m) return [0, 1, 2].map((i) => parseInt(m![1]![i]! + m![1]![i]!, 16)) as unknown as RGB;
  m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/.exec(s);
  if (m) return [0, 2, 4].map((i) => parseInt(m![1]!.slice(i, i + 2), 16)) as unknown as RGB;
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(s);
  if (m) return [m[1], m[2], m[3]].map((v) => Math.max(0, Math.min(255, Math.round(Number(v))))) as unknown as RGB;
  return null;
}

export function toHex(c: RGB): string {
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

export function mix(a: RGB, b: RGB, t: number): RGB {
  return [0, 1, 2].map((i) => Math.round(a[i]! + (b[i]! - a[i]!) * t)) as unknown as RGB;
}

/** Relative luminance (WCAG), to pick readable text over a colour. */
export function luminance(c: RGB): number {
  const lin = c.map((v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * lin[0]! + 0.7152 * lin[1]! + 0.0722 * lin[2]!;
}

/**
 * Intensity in [0, 1] of one cell. Row mode: count / rowTotal (a row without test images is
 * 0). Raw mode: count / maxCount. Log maps both so one image in a thousand is still visible.
 */
export function cellIntensity(count: number, rowTotal: number, maxCount: number, mode: ScaleMode): number {
  if (count <= 0) return 0;
  if (mode.values === 'row') {
    if (rowTotal <= 0) return 0;
    const share = Math.min(1, count / rowTotal);
    return mode.log ? Math.log1p(share * ROW_LOG_K) / Math.log1p(ROW_LOG_K) : share;
  }
  if (maxCount <= 0) return 0;
  return mode.log ? Math.log1p(count) / Math.log1p(maxCount) : Math.min(1, count / maxCount);
}

/** Table slot of an intensity: 0 only for exactly 0, so any non-zero cell differs from the background. */
export function lutIndex(t: number): number {
  if (!(t > 0)) return 0;
  return Math.min(LUT_SIZE - 1, Math.max(1, Math.round(t * (LUT_SIZE - 1))));
}

/** Packs a colour as the little-endian Uint32 that ImageData's bytes (R, G, B, A) read as. */
export function packRGBA(c: RGB): number {
  return ((255 << 24) | (c[2] << 16) | (c[1] << 8) | c[0]) >>> 0;
}

export function unpackRGBA(v: number): RGB {
  return [v & 255, (v >>> 8) & 255, (v >>> 16) & 255];
}

/**
 * Background -> full colour. Slot 1 is already a visible step away from the background (a
 * floor of 12%), so a cell holding one image of a thousand still shows.
 */
export function sequentialLut(zero: RGB, full: RGB): Uint32Array {
  const lut = new Uint32Array(LUT_SIZE);
  lut[0] = packRGBA(zero);
  for (let i = 1; i < LUT_SIZE; i++) lut[i] = packRGBA(mix(zero, full, 0.12 + 0.88 * (i / (LUT_SIZE - 1))));
  return lut;
}

/** Negative colour <- background -> positive colour, for differences in [-1, 1]; slot 128 is zero. */
export function divergingLut(negative: RGB, zero: RGB, positive: RGB): Uint32Array {
  const lut = new Uint32Array(LUT_SIZE);
  for (let i = 0; i < LUT_SIZE; i++) {
    const v = divergingValue(i);
    lut[i] = packRGBA(v === 0 ? zero : mix(zero, v < 0 ? negative : positive, 0.12 + 0.88 * Math.abs(v)));
  }
  return lut;
}

const DIVERGING_ZERO = 128;
/**
 * Slot of a difference d in [-1, 1]: 128 for exactly 0, never 128 otherwise. Square-root
 * magnitude, so differences of a few points (the usual between two runs) are still visible.
 */
export function divergingIndex(d: number): number {
  if (d === 0 || !Number.isFinite(d)) return DIVERGING_ZERO;
  const k = Math.round(Math.sqrt(Math.min(1, Math.abs(d))) * 127);
  return DIVERGING_ZERO + Math.sign(d) * Math.max(1, k);
}
/** The colour position of a slot: linear in the slot, so the table spreads the square-root scale evenly. */
function divergingValue(i: number): number {
  return i === DIVERGING_ZERO ? 0 : Math.max(-1, (i - DIVERGING_ZERO) / 127);
}

export interface MatrixStats {
  rowTotals: Float64Array;
  max: number;
}

/** Row totals, the largest value, and the flat indices of the non-zero cells, in one pass. */
export interface MatrixScan extends MatrixStats {
  nonZero: Int32Array;
}

export function matrixStats(values: ArrayLike<number>, size: number): MatrixStats {
  return scanMatrix(values, size);
}

/** The same as scanMatrix when the non-zero cells are already known: O(non-zero cells). */
export function scanCells(values: ArrayLike<number>, size: number, cells: Int32Array): MatrixScan {
  const rowTotals = new Float64Array(size);
  let max = 0;
  for (let k = 0; k < cells.length; k++) {
    const i = cells[k]!;
    const v = values[i]!;
    rowTotals[Math.floor(i / size)]! += v;
    if (v > max) max = v;
  }
  return { rowTotals, max, nonZero: cells };
}

export function scanMatrix(values: ArrayLike<number>, size: number): MatrixScan {
  const rowTotals = new Float64Array(size);
  let max = 0;
  let count = 0;
  let list = new Int32Array(Math.max(16, size * 4));
  for (let r = 0; r < size; r++) {
    let sum = 0;
    const base = r * size;
    for (let c = 0; c < size; c++) {
      const v = values[base + c]!;
      if (v === 0) continue;
      sum += v;
      if (v > max) max = v;
      if (count === list.length) {
        const grown = new Int32Array(list.length * 2);
        grown.set(list);
        list = grown;
      }
      list[count++] = base + c;
    }
    rowTotals[r] = sum;
  }
  return { rowTotals, max, nonZero: list.slice(0, count) };
}

/**
 * The table slot of each listed (non-zero) cell. Every other cell is slot 0. Only the
 * non-zero cells are visited, so a first draw costs one pass over the matrix (the scan) and
 * then work in proportion to the cells that hold something.
 */
export function countSlots(counts: ArrayLike<number>, size: number, scan: MatrixScan, mode: ScaleMode): Uint8Array {
  const out = new Uint8Array(scan.nonZero.length);
  for (let k = 0; k < scan.nonZero.length; k++) {
    const i = scan.nonZero[k]!;
    out[k] = lutIndex(cellIntensity(counts[i]!, scan.rowTotals[Math.floor(i / size)]!, scan.max, mode));
  }
  return out;
}

/** Slots of the listed cells of a difference matrix (diverging table). */
export function differenceSlots(diff: ArrayLike<number>, cells: Int32Array): Uint8Array {
  const out = new Uint8Array(cells.length);
  for (let k = 0; k < cells.length; k++) out[k] = divergingIndex(diff[cells[k]!]!);
  return out;
}

/** How far a slot is from "nothing": the slot itself for counts, the distance from 128 for differences. */
export const SEQUENTIAL_MAGNITUDE = Uint8Array.from({ length: LUT_SIZE }, (_, i) => i);
export const DIVERGING_MAGNITUDE = Uint8Array.from({ length: LUT_SIZE }, (_, i) => Math.abs(i - DIVERGING_ZERO));
export const SEQUENTIAL_ZERO_SLOT = 0;
export const DIVERGING_ZERO_SLOT = DIVERGING_ZERO;

/**
 * The slot image of zoom level L (one pixel per 2^L x 2^L block of cells, ceil(size / 2^L) on
 * a side): each block keeps the slot of largest magnitude among its cells. Zoomed out (more
 * cells than pixels) the view draws these levels, so a single confused cell never vanishes
 * between pixels as nearest-neighbour sampling would make it. Level 0 is the full image.
 */
export function slotLevel(
  size: number,
  cells: Int32Array,
  slots: Uint8Array,
  level: number,
  magnitude: Uint8Array,
  zeroSlot: number,
): { data: Uint8Array; size: number; touched: Int32Array } {
  const side = Math.ceil(size / 2 ** level);
  const out = new Uint8Array(side * side);
  if (zeroSlot !== 0) out.fill(zeroSlot);
  // Level pixels that hold a listed cell (may repeat): only these differ from the zero slot.
  const touched = new Int32Array(cells.length);
  for (let k = 0; k < cells.length; k++) {
    const i = cells[k]!;
    const r = Math.floor(i / size) >> level;
    const c = (i % size) >> level;
    const j = r * side + c;
    touched[k] = j;
    const v = slots[k]!;
    if (magnitude[v]! > magnitude[out[j]!]!) out[j] = v;
  }
  return { data: out, size: side, touched };
}

/** Pixels of a level: the zero colour everywhere (a native fill), then only the touched pixels. */
export function levelPixels(out: Uint32Array, level: { data: Uint8Array; touched: Int32Array }, lut: Uint32Array, zeroSlot: number): void {
  out.fill(lut[zeroSlot]!);
  for (let k = 0; k < level.touched.length; k++) {
    const j = level.touched[k]!;
    out[j] = lut[level.data[j]!]!;
  }
}

export function indicesToPixels(out: Uint32Array, indices: Uint8Array, lut: Uint32Array): void {
  for (let i = 0; i < indices.length; i++) out[i] = lut[indices[i]!]!;
}

/** One packed pixel per cell (level 0), for tests and exports: scan, slots, image, table. */
export function fillCountPixels(out: Uint32Array, counts: ArrayLike<number>, size: number, mode: ScaleMode, lut: Uint32Array): void {
  const scan = scanMatrix(counts, size);
  const level = slotLevel(size, scan.nonZero, countSlots(counts, size, scan, mode), 0, SEQUENTIAL_MAGNITUDE, SEQUENTIAL_ZERO_SLOT);
  indicesToPixels(out, level.data, lut);
}

/** Row shares of b minus row shares of a, per cell (the compare panel's difference matrix). */
export function shareDifference(a: ArrayLike<number>, b: ArrayLike<number>, size: number): Float64Array {
  const sa = matrixStats(a, size).rowTotals;
  const sb = matrixStats(b, size).rowTotals;
  const out = new Float64Array(size * size);
  for (let r = 0; r < size; r++) {
    const base = r * size;
    for (let c = 0; c < size; c++) {
      const pa = sa[r]! > 0 ? a[base + c]! / sa[r]! : 0;
      const pb = sb[r]! > 0 ? b[base + c]! / sb[r]! : 0;
      out[base + c] = pb - pa;
    }
  }
  return out;
}

export function fillDifferencePixels(out: Uint32Array, diff: ArrayLike<number>, size: number, lut: Uint32Array): void {
  const cells = scanMatrix(diff, size).nonZero;
  const level = slotLevel(size, cells, differenceSlots(diff, cells), 0, DIVERGING_MAGNITUDE, DIVERGING_ZERO_SLOT);
  indicesToPixels(out, level.data, lut);
}
