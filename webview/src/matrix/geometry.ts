// Pure geometry of the confusion-matrix view: which cell is under a point, where group
// boundaries fall, and zoom / pan as transforms. No DOM here, so it is unit-tested under Node.
//
// Coordinates are CSS pixels relative to the top-left corner of the plot area (the matrix part
// of the canvas, without the label margins). A View maps cell (row, col) to the square
// [offsetX + col*scale, offsetY + row*scale) of side `scale`.

export interface Size {
  width: number;
  height: number;
}
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface View {
  /** CSS pixels per cell. */
  scale: number;
  offsetX: number;
  offsetY: number;
}
export interface Cell {
  row: number;
  col: number;
}

/** The largest cells a user may zoom to; beyond this a cell only gets emptier. */
export const MAX_CELL_PX = 48;

/** The view that shows the whole size x size matrix in the plot area, centred. */
export function fitView(size: number, plot: Size): View {
  const scale = fitScale(size, plot);
  return { scale, offsetX: (plot.width - size * scale) / 2, offsetY: (plot.height - size * scale) / 2 };
}

export function fitScale(size: number, plot: Size): number {
  if (size <= 0) return 1;
  return Math.max(Math.min(plot.width, plot.height) / size, Number.MIN_VALUE);
}

/** The cell under a point, or null outside the matrix. */
export function cellAt(view: View, size: number, x: number, y: number): Cell | null {
  const col = Math.floor((x - view.offsetX) / view.scale);
  const row = Math.floor((y - view.offsetY) / view.scale);
  if (row < 0 || col < 0 || row >= size || col >= size) return null;
  return { row, col };
}

export function cellRect(view: View, cell: Cell): Rect {
  return { x: view.offsetX + cell.col * view.scale, y: view.offsetY + cell.row * view.scale, width: view.scale, height: view.scale };
}

/** The part of `rect` inside `bounds`, or null when they do not overlap. */
export function clipRect(rect: Rect, bounds: Rect): Rect | null {
  const x0 = Math.max(rect.x, bounds.x);
  const y0 = Math.max(rect.y, bounds.y);
  const x1 = Math.min(rect.x + rect.width, bounds.x + bounds.width);
  const y1 = Math.min(rect.y + rect.height, bounds.y + bounds.height);
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
}

/**
 * The smallest rectangle of whole device pixels (`ratio` per CSS pixel) that covers `rect`, in CSS
 * pixels: clearing it removes every pixel that drawing `rect`, antialiased edges included, touched.
 */
export function outward(rect: Rect, ratio: number): Rect {
  const x0 = Math.floor(rect.x * ratio) / ratio;
  const y0 = Math.floor(rect.y * ratio) / ratio;
  const x1 = Math.ceil((rect.x + rect.width) * ratio) / ratio;
  const y1 = Math.ceil((rect.y + rect.height) * ratio) / ratio;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * Multiplies the scale by `factor` keeping the point (x, y) fixed on screen, within
 * [fit scale, max(MAX_CELL_PX, fit scale)], then clamps the offsets.
 */
export function zoomAt(view: View, size: number, plot: Size, factor: number, x: number, y: number): View {
  const min = fitScale(size, plot);
  const max = Math.max(MAX_CELL_PX, min);
  const scale = Math.min(max, Math.max(min, view.scale * factor));
  const k = scale / view.scale;
  return clampView({ scale, offsetX: x - (x - view.offsetX) * k, offsetY: y - (y - view.offsetY) * k }, size, plot);
}

export function panBy(view: View, size: number, plot: Size, dx: number, dy: number): View {
  return clampView({ ...view, offsetX: view.offsetX + dx, offsetY: view.offsetY + dy }, size, plot);
}

/**
 * Keeps the matrix where it can be seen: along an axis where it is smaller than the plot it is
 * centred; where it is larger it must cover the plot (no empty band at either side).
 */
export function clampView(view: View, size: number, plot: Size): View {
  const clampAxis = (offset: number, extent: number) => {
    const span = size * view.scale;
    if (span <= extent) return (extent - span) / 2;
    return Math.min(0, Math.max(extent - span, offset));
  };
  return { scale: view.scale, offsetX: clampAxis(view.offsetX, plot.width), offsetY: clampAxis(view.offsetY, plot.height) };
}

/** Centres the view on a cell without changing the scale (keyboard navigation). */
export function revealCell(view: View, size: number, plot: Size, cell: Cell): View {
  const r = cellRect(view, cell);
  let { offsetX, offsetY } = view;
  if (r.x < 0) offsetX -= r.x;
  else if (r.x + r.width > plot.width) offsetX -= r.x + r.width - plot.width;
  if (r.y < 0) offsetY -= r.y;
  else if (r.y + r.height > plot.height) offsetY -= r.y + r.height - plot.height;
  return clampView({ scale: view.scale, offsetX, offsetY }, size, plot);
}

/** Rows (or columns) at least partly visible along one axis: [first, last] inclusive, or null. */
export function visibleSpan(view: View, size: number, extent: number, axis: 'x' | 'y'): [number, number] | null {
  const offset = axis === 'x' ? view.offsetX : view.offsetY;
  const first = Math.max(0, Math.floor(-offset / view.scale));
  const last = Math.min(size - 1, Math.ceil((extent - offset) / view.scale) - 1);
  return first <= last ? [first, last] : null;
}

/** The part of the matrix on screen, as a rectangle in cell units (empty when none of it is). */
export function visibleCells(view: View, size: number, plot: Size): Rect {
  const x0 = Math.max(0, -view.offsetX / view.scale);
  const y0 = Math.max(0, -view.offsetY / view.scale);
  const x1 = Math.min(size, (plot.width - view.offsetX) / view.scale);
  const y1 = Math.min(size, (plot.height - view.offsetY) / view.scale);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

export interface Segment<G extends string> {
  group: G;
  /** First display index of the segment. */
  start: number;
  /** One past the last display index. */
  end: number;
}

/**
 * Contiguous runs of the same group in display order. With classes sorted head to tail each
 * shot group is one segment; a group split by ties simply yields more than one.
 */
export function groupSegments<G extends string>(groups: readonly G[]): Segment<G>[] {
  const out: Segment<G>[] = [];
  for (let i = 0; i < groups.length; i++) {
    const last = out[out.length - 1];
    if (last && last.group === groups[i]) last.end = i + 1;
    else out.push({ group: groups[i]!, start: i, end: i + 1 });
  }
  return out;
}

/** Display indices where a new group begins (boundary lines are drawn before these). */
export function groupBoundaries<G extends string>(groups: readonly G[]): number[] {
  return groupSegments(groups)
    .slice(1)
    .map((s) => s.start);
}

/** Screen position (CSS px along one axis) of the line before display index `index`. */
export function boundaryPosition(view: View, index: number, axis: 'x' | 'y'): number {
  return (axis === 'x' ? view.offsetX : view.offsetY) + index * view.scale;
}

/** Moves a keyboard cursor by (dRow, dCol), staying inside the matrix. */
export function moveCell(cell: Cell, size: number, dRow: number, dCol: number): Cell {
  const clamp = (v: number) => Math.min(size - 1, Math.max(0, v));
  return { row: clamp(cell.row + dRow), col: clamp(cell.col + dCol) };
}
