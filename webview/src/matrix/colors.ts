// Pure colour math of the confusion matrix: value -> intensity (row share or raw count, linear
// or log) -> a 256-entry lookup table of packed RGBA pixels. The table runs from the theme's
// background (zero cells blend in) to a theme colour, so the matrix is readable in light,
// dark and high-contrast themes. No DOM: unit-tested under Node.

import type { MatrixStats, SparseMatrix } from './sparse';

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

/**
 * The table slot of each non-zero cell (in the matrix's col / value order). Every other cell is
 * slot 0, so the work is in proportion to the cells that hold something.
 */
export function countSlots(m: SparseMatrix, stats: MatrixStats, mode: ScaleMode): Uint8Array {
  const out = new Uint8Array(m.value.length);
  for (let r = 0; r < m.size; r++) {
    const total = stats.rowTotals[r]!;
    for (let k = m.rowStart[r]!; k < m.rowStart[r + 1]!; k++) out[k] = lutIndex(cellIntensity(m.value[k]!, total, stats.max, mode));
  }
  return out;
}

/** Slots of the non-zero cells of a difference matrix (diverging table). */
export function differenceSlots(diff: SparseMatrix): Uint8Array {
  const out = new Uint8Array(diff.value.length);
  for (let k = 0; k < diff.value.length; k++) out[k] = divergingIndex(diff.value[k]!);
  return out;
}

/** How far a slot is from "nothing": the slot itself for counts, the distance from 128 for differences. */
export const SEQUENTIAL_MAGNITUDE = Uint8Array.from({ length: LUT_SIZE }, (_, i) => i);
export const DIVERGING_MAGNITUDE = Uint8Array.from({ length: LUT_SIZE }, (_, i) => Math.abs(i - DIVERGING_ZERO));
export const SEQUENTIAL_ZERO_SLOT = 0;
export const DIVERGING_ZERO_SLOT = DIVERGING_ZERO;
