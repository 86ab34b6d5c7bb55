// The confusion matrix on a canvas (never a DOM node per cell), drawn from its non-zero cells
// in compressed sparse rows: each frame rasterises only the visible part at the canvas's own
// resolution (raster.ts), so nothing of size*size is ever allocated (8,142 classes: 66 million
// cells). Hover looks its cell up by binary search within the row and draws on a second canvas
// on top, never redrawing the matrix.
import type { ShotGroupName } from '../../../src/protocol/snapshot';
import { h, perFrame } from '../dom';
import type { Theme } from '../theme';
import {
  DIVERGING_MAGNITUDE,
  DIVERGING_ZERO_SLOT,
  SEQUENTIAL_MAGNITUDE,
  SEQUENTIAL_ZERO_SLOT,
  countSlots,
  differenceSlots,
  divergingLut,
  packRGBA,
  parseColor,
  sequentialLut,
  toHex,
  type ScaleMode,
} from './colors';
import { rasterPixels, rasterise } from './raster';
import { MatrixReadout, type ReadoutSegment } from './readout';
import { cellValue, matrixStats, shareDifference, type MatrixStats, type SparseMatrix } from './sparse';
import {
  cellAt,
  cellRect,
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
  type Cell,
  type Rect,
  type Size,
  type View,
} from './geometry';

export interface MatrixInput {
  kind: 'counts' | 'difference';
  size: number;
  names: string[];
  groups: ShotGroupName[];
  trainCounts: number[];
  /** counts: the confusion counts; difference: run B's counts. */
  counts: SparseMatrix;
  /** difference: run A's counts (shown as B minus A, in row shares). */
  base?: SparseMatrix;
  /** Names of A and B for the read-out of a difference. */
  runs?: { a: string; b: string };
  /** Changes when the data changes: the bitmap is rebuilt only then. */
  revision: string;
}

const HINT = 'Hover a cell, or focus the matrix and use the arrow keys.';
const MARGIN = { left: 104, top: 72, right: 8, bottom: 8 };
/** Cell size from which class names are written beside rows and columns. */
const NAME_SCALE = 12;
/** Cell size from which a faint grid separates cells. */
const GRID_SCALE = 8;

export class MatrixView {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly overlay: HTMLCanvasElement;
  /** The overlay's painted rectangles, in CSS pixels: what the next cursor clears. */
  private marks: Rect[] = [];
  private readonly readout: MatrixReadout;
  private input: MatrixInput | null = null;
  /** Row totals and max of `input.counts`. */
  private stats: MatrixStats | null = null;
  /** Row totals of `input.base` (difference mode). */
  private statsB: MatrixStats | null = null;
  /** What is drawn: the counts, or B minus A in row shares; and the colour-table slot of each non-zero cell. */
  private shown: SparseMatrix | null = null;
  private slots: Uint8Array = new Uint8Array(0);
  /** Raster buffers kept across frames (same plot size), so panning does not reallocate them. */
  private rasterSlots: Uint8Array | undefined;
  private image: ImageData | null = null;
  private view: View = { scale: 1, offsetX: 0, offsetY: 0 };
  private plot: Size = { width: 1, height: 1 };
  private cursor: Cell | null = null;
  /** What the read-out and highlight show now: a pointer move within the same cell, view and data repaints nothing. */
  private shownFor: { cell: Cell | null; view: View; input: MatrixInput | null } | null = null;
  private drag: { x: number; y: number; moved: boolean } | null = null;
  /** Called with the display row / column of a clicked cell (a click, not a drag), or Enter. */
  onPick: ((row: number, col: number) => void) | null = null;
  private mode: ScaleMode = { values: 'row', log: false };
  private readonly schedule = perFrame(() => this.draw());
  private readonly resize: ResizeObserver;
  private userMoved = false;
  /** The element's width as last observed (reading clientWidth would force a page layout mid-update). */
  private width = 0;

  constructor(
    private theme: Theme,
    label: string,
  ) {
    this.canvas = h('canvas', {
      class: 'matrix-base',
      tabindex: 0,
      role: 'img',
      'aria-label': `${label}. Arrow keys move between cells, plus and minus zoom, 0 resets the view.`,
    });
    this.overlay = h('canvas', { class: 'matrix-overlay', 'aria-hidden': 'true' });
    this.readout = new MatrixReadout(theme, HINT);
    this.element = h('div', { class: 'matrix' }, h('div', { class: 'matrix-stack' }, this.canvas, this.overlay), this.readout.element);
    this.resize = new ResizeObserver((entries) => {
      this.width = Math.floor(entries[entries.length - 1]!.contentRect.width);
      this.readout.setWidth(this.width);
      this.layout();
    });
    this.resize.observe(this.element);
    this.bindEvents();
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.readout.setTheme(theme);
    this.rebuild();
  }

  setMode(mode: ScaleMode): void {
    this.mode = mode;
    this.rebuild();
  }

  setData(input: MatrixInput): void {
    const same = this.input && this.input.revision === input.revision && this.input.kind === input.kind;
    if (same) return;
    const started = performance.now();
    const resized = !this.input || this.input.size !== input.size;
    this.input = input;
    this.stats = matrixStats(input.counts);
    this.statsB = input.base ? matrixStats(input.base) : null;
    this.shown = input.kind === 'difference' && input.base ? shareDifference(input.base, input.counts) : input.counts;
    if (resized) {
      this.cursor = null;
      this.userMoved = false;
    }
    this.rebuild(started);
  }

  clearData(message: string): void {
    this.input = null;
    this.shown = null;
    this.slots = new Uint8Array(0);
    this.shownFor = null;
    this.canvas.removeAttribute('data-revision');
    this.readout.show([{ text: message }], '', true);
    this.draw();
    this.drawOverlay();
  }

  resetView(): void {
    this.userMoved = false;
    this.view = fitView(this.input?.size ?? 1, this.plot);
    this.schedule();
    this.drawOverlay();
  }

  /**
   * Rebuilds the colour slots (new data, mode or theme) and draws at once. `data-draw-ms` is the
   * time from `started` (new data: setData's start) to the matrix on the canvas.
   */
  private rebuild(started = performance.now()): void {
    const input = this.input;
    if (!input || !this.stats || !this.shown) return;
    const n = input.size;
    this.slots = this.isDifference() ? differenceSlots(this.shown) : countSlots(input.counts, this.stats, this.mode);
    this.shownFor = null;
    this.layout(false);
    this.draw();
    this.drawOverlay();
    const ms = performance.now() - started;
    this.canvas.dataset.drawMs = ms.toFixed(2);
    this.canvas.dataset.size = String(n);
    this.canvas.dataset.revision = input.revision;
    this.canvas.dataset.kind = input.kind;
    this.canvas.dataset.colorZero = toHex(this.theme.matrixZero);
    this.canvas.dataset.colorFull = toHex(input.kind === 'difference' ? this.theme.diffPositive : this.theme.matrixFull);
  }

  private isDifference(): boolean {
    return this.input?.kind === 'difference' && this.input.base !== undefined;
  }

  private lut(): Uint32Array {
    const t = this.theme;
    return this.isDifference() ? divergingLut(t.diffNegative, t.matrixZero, t.diffPositive) : sequentialLut(t.matrixZero, t.matrixFull);
  }

  /** The visible part of the matrix at the canvas's resolution, put straight into its pixels. */
  private drawCells(ctx: CanvasRenderingContext2D, ratio: number): void {
    const shown = this.shown!;
    const width = Math.round(this.plot.width * ratio);
    const height = Math.round(this.plot.height * ratio);
    if (width <= 0 || height <= 0) return;
    const diff = this.isDifference();
    const zero = diff ? DIVERGING_ZERO_SLOT : SEQUENTIAL_ZERO_SLOT;
    const v = this.view;
    const device = { scale: v.scale * ratio, offsetX: v.offsetX * ratio, offsetY: v.offsetY * ratio };
    const raster = rasterise(
      shown,
      this.slots,
      diff ? DIVERGING_MAGNITUDE : SEQUENTIAL_MAGNITUDE,
      zero,
      device,
      width,
      height,
      this.rasterSlots,
    );
    this.rasterSlots = raster.slots;
    if (this.image?.width !== width || this.image.height !== height) this.image = new ImageData(width, height);
    const background = packRGBA(parseColor(this.theme.background) ?? this.theme.matrixZero);
    rasterPixels(new Uint32Array(this.image.data.buffer), raster, this.lut(), background);
    ctx.putImageData(this.image, Math.round(MARGIN.left * ratio), Math.round(MARGIN.top * ratio));
  }

  private layout(redraw = true): void {
    // A square plot as wide as the element allows (up to 760 px): the fitted matrix fills it.
    const available = Math.max(240, this.width || Math.floor(this.element.clientWidth) || 480);
    const side = Math.max(160, Math.min(available - MARGIN.left - MARGIN.right, 760));
    const plot = { width: side, height: side };
    const width = MARGIN.left + side + MARGIN.right;
    const height = MARGIN.top + side + MARGIN.bottom;
    const ratio = window.devicePixelRatio || 1;
    for (const c of [this.canvas, this.overlay]) {
      // Resizing a canvas reallocates and clears it: only when the size really changed.
      const w = Math.round(width * ratio);
      const h = Math.round(height * ratio);
      if (c.width === w && c.height === h) continue;
      c.width = w;
      c.height = h;
      c.style.width = `${width}px`;
      c.style.height = `${height}px`;
    }
    const changed = plot.width !== this.plot.width || plot.height !== this.plot.height;
    this.plot = plot;
    if (changed || !this.userMoved) this.view = fitView(this.input?.size ?? 1, plot);
    if (redraw) {
      this.draw();
      this.drawOverlay();
    }
  }

  private draw(): void {
    const ctx = this.canvas.getContext('2d')!;
    const ratio = window.devicePixelRatio || 1;
    const t = this.theme;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = t.background;
    ctx.fillRect(0, 0, this.canvas.width / ratio, this.canvas.height / ratio);
    const input = this.input;
    if (!input || !this.shown) return;
    const v = this.view;
    const n = input.size;
    const L = MARGIN.left;
    const T = MARGIN.top;

    const vis = visibleCells(v, n, this.plot);
    if (vis.width > 0 && vis.height > 0) {
      this.drawCells(ctx, ratio);
      ctx.save();
      ctx.beginPath();
      ctx.rect(L, T, this.plot.width, this.plot.height);
      ctx.clip();
      if (v.scale >= GRID_SCALE) this.drawGrid(ctx);
      this.drawBoundaries(ctx, input);
      ctx.restore();
    }
    ctx.strokeStyle = t.grid;
    ctx.lineWidth = 1;
    ctx.strokeRect(
      L + Math.max(0, v.offsetX) - 0.5,
      T + Math.max(0, v.offsetY) - 0.5,
      Math.min(this.plot.width, n * v.scale) + 1,
      Math.min(this.plot.height, n * v.scale) + 1,
    );
    this.drawLabels(ctx, input);
    this.canvas.dataset.view = JSON.stringify({ scale: v.scale, offsetX: v.offsetX, offsetY: v.offsetY, left: L, top: T });
  }

  private drawGrid(ctx: CanvasRenderingContext2D): void {
    const v = this.view;
    const n = this.input!.size;
    const xs = visibleSpan(v, n, this.plot.width, 'x');
    const ys = visibleSpan(v, n, this.plot.height, 'y');
    if (!xs || !ys) return;
    ctx.strokeStyle = this.theme.grid;
    ctx.globalAlpha = 0.35;
    ctx.lineWidth = 0.5;
    ctx.beginPath();
    for (let c = xs[0]; c <= xs[1] + 1; c++) {
      const x = MARGIN.left + v.offsetX + c * v.scale;
      ctx.moveTo(x, MARGIN.top + v.offsetY + ys[0] * v.scale);
      ctx.lineTo(x, MARGIN.top + v.offsetY + (ys[1] + 1) * v.scale);
    }
    for (let r = ys[0]; r <= ys[1] + 1; r++) {
      const y = MARGIN.top + v.offsetY + r * v.scale;
      ctx.moveTo(MARGIN.left + v.offsetX + xs[0] * v.scale, y);
      ctx.lineTo(MARGIN.left + v.offsetX + (xs[1] + 1) * v.scale, y);
    }
    ctx.stroke();
    ctx.globalAlpha = 1;
  }

  private drawBoundaries(ctx: CanvasRenderingContext2D, input: MatrixInput): void {
    const v = this.view;
    const n = input.size;
    ctx.strokeStyle = this.theme.foreground;
    ctx.lineWidth = 1.5;
    ctx.setLineDash([5, 3]);
    ctx.beginPath();
    for (const b of groupBoundaries(input.groups)) {
      const x = Math.round(MARGIN.left + v.offsetX + b * v.scale) + 0.5;
      const y = Math.round(MARGIN.top + v.offsetY + b * v.scale) + 0.5;
      ctx.moveTo(x, MARGIN.top + v.offsetY);
      ctx.lineTo(x, MARGIN.top + v.offsetY + n * v.scale);
      ctx.moveTo(MARGIN.left + v.offsetX, y);
      ctx.lineTo(MARGIN.left + v.offsetX + n * v.scale, y);
    }
    ctx.stroke();
    ctx.setLineDash([]);
  }

  private drawLabels(ctx: CanvasRenderingContext2D, input: MatrixInput): void {
    const t = this.theme;
    const v = this.view;
    const L = MARGIN.left;
    const T = MARGIN.top;
    ctx.font = `11px ${t.font}`;
    ctx.fillStyle = t.muted;
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left';
    ctx.fillText('true ↓  predicted →', 4, 4);

    // Group brackets: along the top for predicted classes, along the left for true classes.
    for (const seg of groupSegments(input.groups)) {
      const color = t.groups[seg.group];
      const a = Math.max(0, v.offsetX + seg.start * v.scale);
      const b = Math.min(this.plot.width, v.offsetX + seg.end * v.scale);
      const label = `${seg.group} (${seg.end - seg.start})`;
      if (b - a > 2) {
        ctx.fillStyle = color;
        ctx.fillRect(L + a, 20, b - a - 1, 3);
        if (b - a > 40) {
          ctx.fillStyle = t.foreground;
          ctx.textAlign = 'center';
          ctx.fillText(label, L + (a + b) / 2, 26);
        }
      }
      const c = Math.max(0, v.offsetY + seg.start * v.scale);
      const d = Math.min(this.plot.height, v.offsetY + seg.end * v.scale);
      if (d - c > 2) {
        ctx.fillStyle = color;
        ctx.fillRect(4, T + c, 3, d - c - 1);
        if (d - c > 40) {
          ctx.save();
          ctx.translate(10, T + (c + d) / 2);
          ctx.rotate(-Math.PI / 2);
          ctx.fillStyle = t.foreground;
          ctx.textAlign = 'center';
          ctx.fillText(label, 0, 0);
          ctx.restore();
        }
      }
    }

    if (v.scale < NAME_SCALE) return;
    const n = input.size;
    const size = Math.min(11, Math.floor(v.scale - 2));
    ctx.font = `${size}px ${t.font}`;
    ctx.fillStyle = t.foreground;
    const rows = visibleSpan(v, n, this.plot.height, 'y');
    if (rows) {
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      for (let r = rows[0]; r <= rows[1]; r++) ctx.fillText(input.names[r]!, L - 4, T + v.offsetY + (r + 0.5) * v.scale, L - 28);
    }
    const cols = visibleSpan(v, n, this.plot.width, 'x');
    if (cols) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(L, 40, this.plot.width, T - 40);
      ctx.clip();
      ctx.textAlign = 'left';
      ctx.textBaseline = 'middle';
      for (let c = cols[0]; c <= cols[1]; c++) {
        ctx.save();
        ctx.translate(L + v.offsetX + (c + 0.5) * v.scale, T - 4);
        ctx.rotate(-Math.PI / 2);
        ctx.fillText(input.names[c]!, 0, 0, T - 44);
        ctx.restore();
      }
      ctx.restore();
    }
  }

  /**
   * Hover / keyboard cursor: a band over the row and column and the cell outlined. Only the
   * rectangles the last cursor covered are cleared, not the whole canvas: a hover then changes a
   * few strips of the overlay, which reaches the screen 0.1-0.3 ms sooner (README, Benchmarks).
   */
  private drawOverlay(): void {
    const ctx = this.overlay.getContext('2d')!;
    const ratio = window.devicePixelRatio || 1;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    for (const m of this.marks) ctx.clearRect(m.x, m.y, m.width, m.height);
    this.marks = [];
    const input = this.input;
    const cell = this.cursor;
    if (!input || !cell) return;
    const r = cellRect(this.view, cell);
    const x = MARGIN.left + r.x;
    const y = MARGIN.top + r.y;
    const n = input.size;
    // The bands, clipped to the plot; the outline, 2 px wide around a cell at least 4 px across.
    const plot = { x: MARGIN.left, y: MARGIN.top, width: this.plot.width, height: this.plot.height };
    const rowBand = clipRect({ x: MARGIN.left + this.view.offsetX, y, width: n * this.view.scale, height: r.height }, plot);
    const colBand = clipRect({ x, y: MARGIN.top + this.view.offsetY, width: r.width, height: n * this.view.scale }, plot);
    ctx.fillStyle = this.theme.foreground;
    ctx.globalAlpha = 0.08;
    for (const band of [rowBand, colBand]) if (band) ctx.fillRect(band.x, band.y, band.width, band.height);
    ctx.globalAlpha = 1;
    ctx.strokeStyle = this.theme.focus;
    ctx.lineWidth = 2;
    const s = Math.max(r.width, 4);
    const outline = { x: x + (r.width - s) / 2 - 1, y: y + (r.height - s) / 2 - 1, width: s + 2, height: s + 2 };
    ctx.strokeRect(outline.x, outline.y, outline.width, outline.height);
    // What to clear next time: whole device pixels around each mark (the stroke reaches 1 px out).
    for (const m of [rowBand, colBand, { x: outline.x - 1, y: outline.y - 1, width: outline.width + 2, height: outline.height + 2 }]) {
      if (m) this.marks.push(outward(m, ratio));
    }
  }

  /**
   * The highlight and read-out of one cell: true and predicted class, count, share of the row.
   * `now`: the read-out's DOM copy follows at once (keyboard), not when the pointer rests.
   */
  private showCell(cell: Cell | null, now = false): void {
    const started = performance.now();
    const was = this.shownFor;
    if (was && was.input === this.input && was.view === this.view && was.cell?.row === cell?.row && was.cell?.col === cell?.col) return;
    this.shownFor = { cell, view: this.view, input: this.input };
    this.cursor = cell;
    this.drawOverlay();
    const input = this.input;
    const segments: ReadoutSegment[] = !input || !cell || !this.stats ? [{ text: HINT }] : this.cellSegments(input, this.stats, cell);
    this.readout.show(segments, cell ? `${cell.row},${cell.col}` : '', now, performance.now() - started);
  }

  private cellSegments(input: MatrixInput, stats: MatrixStats, cell: Cell): ReadoutSegment[] {
    const field = (name: string, text: string): ReadoutSegment => ({ text, field: name });
    const head: ReadoutSegment[] = [
      { text: 'true ' },
      field('true', input.names[cell.row]!),
      { text: ` (${input.groups[cell.row]}, ${input.trainCounts[cell.row]} train) → predicted ` },
      field('pred', input.names[cell.col]!),
      { text: ` (${input.groups[cell.col]}, ${input.trainCounts[cell.col]} train) · ` },
    ];
    if (input.kind === 'counts') {
      const count = cellValue(input.counts, cell.row, cell.col);
      const total = stats.rowTotals[cell.row]!;
      return [
        ...head,
        field('count', String(count)),
        { text: count === 1 ? ' image · ' : ' images · ' },
        field('share', total > 0 ? `${((100 * count) / total).toFixed(1)}%` : '–'),
        { text: ' of the row' },
      ];
    }
    const a = this.statsB!.rowTotals[cell.row]!;
    const b = stats.rowTotals[cell.row]!;
    const sa = a > 0 ? cellValue(input.base!, cell.row, cell.col) / a : 0;
    const sb = b > 0 ? cellValue(input.counts, cell.row, cell.col) / b : 0;
    const runs = input.runs ?? { a: 'A', b: 'B' };
    return [
      ...head,
      { text: `${runs.a}: ` },
      field('a', `${(sa * 100).toFixed(1)}%`),
      { text: `, ${runs.b}: ` },
      field('b', `${(sb * 100).toFixed(1)}%`),
      { text: ' · difference ' },
      field('diff', `${sb - sa >= 0 ? '+' : ''}${((sb - sa) * 100).toFixed(1)} pp`),
    ];
  }

  private pointerCell(ev: MouseEvent): Cell | null {
    const rect = this.canvas.getBoundingClientRect();
    if (!this.input) return null;
    return cellAt(this.view, this.input.size, ev.clientX - rect.left - MARGIN.left, ev.clientY - rect.top - MARGIN.top);
  }

  private bindEvents(): void {
    const c = this.canvas;
    // Pointer events land on the base canvas: the overlay ignores them (pointer-events: none).
    c.addEventListener('pointermove', (ev) => {
      if (this.drag) {
        const dx = ev.clientX - this.drag.x;
        const dy = ev.clientY - this.drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 0) this.drag.moved = true;
        this.drag.x = ev.clientX;
        this.drag.y = ev.clientY;
        this.view = panBy(this.view, this.input?.size ?? 1, this.plot, dx, dy);
        this.userMoved = true;
        this.schedule();
      }
      this.showCell(this.pointerCell(ev));
    });
    c.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0) return;
      this.drag = { x: ev.clientX, y: ev.clientY, moved: false };
      c.setPointerCapture(ev.pointerId);
    });
    const endDrag = (ev: PointerEvent) => {
      if (ev.type === 'pointerup' && this.drag && !this.drag.moved) {
        const cell = this.pointerCell(ev);
        if (cell) this.onPick?.(cell.row, cell.col);
      }
      this.drag = null;
      if (c.hasPointerCapture(ev.pointerId)) c.releasePointerCapture(ev.pointerId);
    };
    c.addEventListener('pointerup', endDrag);
    c.addEventListener('pointercancel', endDrag);
    c.addEventListener('pointerleave', () => {
      if (!this.drag && document.activeElement !== c) this.showCell(null);
    });
    c.addEventListener(
      'wheel',
      (ev) => {
        if (!this.input) return;
        ev.preventDefault();
        const rect = c.getBoundingClientRect();
        const factor = Math.exp(-ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.0015));
        this.zoom(factor, ev.clientX - rect.left - MARGIN.left, ev.clientY - rect.top - MARGIN.top);
      },
      { passive: false },
    );
    c.addEventListener('dblclick', () => this.resetView());
    c.addEventListener('keydown', (ev) => this.onKey(ev));
    c.addEventListener('focus', () => {
      if (!this.cursor && this.input) this.showCell({ row: 0, col: 0 }, true);
    });
  }

  zoom(factor: number, x: number, y: number): void {
    if (!this.input) return;
    this.view = zoomAt(this.view, this.input.size, this.plot, factor, x, y);
    this.userMoved = true;
    this.schedule();
    this.drawOverlay();
  }

  private onKey(ev: KeyboardEvent): void {
    const input = this.input;
    if (!input) return;
    const n = input.size;
    const cur = this.cursor ?? { row: 0, col: 0 };
    const step = ev.ctrlKey || ev.metaKey ? Math.max(1, Math.round(n / 10)) : 1;
    const moves: Record<string, [number, number]> = {
      ArrowUp: [-step, 0],
      ArrowDown: [step, 0],
      ArrowLeft: [0, -step],
      ArrowRight: [0, step],
    };
    if (ev.key === 'Enter' && this.cursor) {
      ev.preventDefault();
      this.onPick?.(this.cursor.row, this.cursor.col);
      return;
    }
    const move = moves[ev.key];
    if (move) {
      ev.preventDefault();
      const next = moveCell(cur, n, move[0], move[1]);
      this.view = revealCell(this.view, n, this.plot, next);
      this.schedule();
      this.showCell(next, true);
      return;
    }
    const centre = cellRect(this.view, cur);
    switch (ev.key) {
      case '+':
      case '=':
        ev.preventDefault();
        this.zoom(1.5, centre.x + centre.width / 2, centre.y + centre.height / 2);
        break;
      case '-':
      case '_':
        ev.preventDefault();
        this.zoom(1 / 1.5, centre.x + centre.width / 2, centre.y + centre.height / 2);
        break;
      case '0':
        ev.preventDefault();
        this.resetView();
        break;
      case 'Home':
        ev.preventDefault();
        this.showCell({ row: 0, col: 0 }, true);
        break;
      case 'Escape':
        this.showCell(null, true);
        break;
    }
  }

  /** The matrix as drawn (labels and boundaries included), as a PNG data URL. */
  toPNG(): string {
    return this.canvas.toDataURL('image/png');
  }

  dispose(): void {
    this.resize.disconnect();
    this.readout.dispose();
  }
}
