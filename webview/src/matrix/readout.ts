// The matrix's read-out: which cell the pointer or the keyboard is on. What the eye sees is drawn
// on a canvas: a canvas update reaches the screen without the page's style, layout and paint
// passes, which in the dashboard (hundreds of table rows beside the matrix) cost more than the
// whole hover budget on every DOM change (docs/architecture.md, "Confusion matrix in the
// webview"). Screen readers and the tests read a visually hidden copy in the DOM, brought up to
// date once the pointer rests, or at once for the keyboard, so moving across cells never touches
// the DOM.
import { h } from '../dom';
import type { Theme } from '../theme';

/** A run of read-out text; a `field` (true, pred, count, share, …) is emphasised and tagged in the DOM copy. */
export interface ReadoutSegment {
  text: string;
  field?: string;
}

/** How long the pointer must rest on a cell before the DOM copy follows. */
const SETTLE_MS = 120;
/** Lines the canvas grows to at most; longer text ends with an ellipsis. */
const MAX_LINES = 4;
/** Word widths kept between hovers; class names and fixed words repeat, counts and shares vary. */
const MAX_CACHED_WIDTHS = 4096;

interface Token {
  text: string;
  field: boolean;
  width: number;
}

export class MatrixReadout {
  readonly element: HTMLElement;
  /** The DOM copy (`.matrix-readout`): aria-live, with `data-cell` naming the cell it describes. */
  readonly live: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private segments: ReadoutSegment[];
  private key = '';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private width = 0;
  private lines = 1;
  private font: { size: number; family: string } | null = null;
  /** The handler time of the last change, written to the DOM copy with it. */
  private lastMs = 0;
  /** Measured word widths by weight and text ("1word" bold, "0word" regular), for the current font. */
  private widths = new Map<string, number>();

  constructor(
    private theme: Theme,
    initial: string,
  ) {
    this.segments = [{ text: initial }];
    this.canvas = h('canvas', { class: 'matrix-readout-text', 'aria-hidden': 'true' });
    this.live = h('div', { class: 'matrix-readout', 'aria-live': 'polite' }, initial);
    this.element = h('div', { class: 'matrix-readout-box' }, this.canvas, this.live);
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.font = null;
    this.widths.clear();
    this.paint();
  }

  /** The width the read-out may use, in CSS pixels (the matrix view observes it). */
  setWidth(width: number): void {
    if (width === this.width || width <= 0) return;
    this.width = width;
    this.lines = 1;
    this.paint();
  }

  /**
   * Shows `segments` for the cell named `key`. The canvas is repainted now; the DOM copy follows
   * at once when `now` (keyboard, messages), else once no other change came for a moment.
   */
  show(segments: ReadoutSegment[], key: string, now: boolean, handlerMs = 0): void {
    this.segments = segments;
    this.key = key;
    this.lastMs = handlerMs;
    this.paint();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (now) this.sync();
    else this.timer = setTimeout(() => this.sync(), SETTLE_MS);
  }

  /** The DOM copy of what the canvas shows. */
  private sync(): void {
    this.timer = undefined;
    this.live.replaceChildren(...this.segments.map((s) => (s.field ? h('span', { 'data-field': s.field }, s.text) : s.text)));
    this.live.dataset.cell = this.key;
    this.live.dataset.hoverMs = this.lastMs.toFixed(3);
  }

  private fontOf(bold: boolean): string {
    if (!this.font) {
      const style = getComputedStyle(this.live);
      this.font = { size: Number.parseFloat(style.fontSize) || 13, family: style.fontFamily || this.theme.font };
    }
    return `${bold ? '600 ' : ''}${this.font.size}px ${this.font.family}`;
  }

  /** Word-wraps the segments into lines of `this.width`; the last allowed line ends with "…" if more follows. */
  private layoutLines(ctx: CanvasRenderingContext2D): Token[][] {
    const lines: Token[][] = [[]];
    let x = 0;
    for (const seg of this.segments) {
      const bold = seg.field !== undefined;
      // Keep each space with the word before it, so a wrapped line starts with a word.
      for (const word of seg.text.match(/\S+\s*|\s+/g) ?? []) {
        const width = this.measure(ctx, word, bold);
        if (x > 0 && x + width > this.width && word.trim() !== '') {
          lines.push([]);
          x = 0;
        }
        lines[lines.length - 1]!.push({ text: word, field: bold, width });
        x += width;
      }
    }
    if (lines.length > MAX_LINES) {
      const last = lines[MAX_LINES - 1]!;
      last.push({ text: '…', field: false, width: 0 });
      lines.length = MAX_LINES;
    }
    return lines;
  }

  /** A word's width, measured once per font and weight (most words recur from hover to hover). */
  private measure(ctx: CanvasRenderingContext2D, word: string, bold: boolean): number {
    const key = (bold ? '1' : '0') + word;
    let width = this.widths.get(key);
    if (width === undefined) {
      if (this.widths.size >= MAX_CACHED_WIDTHS) this.widths.clear();
      ctx.font = this.fontOf(bold);
      width = ctx.measureText(word).width;
      this.widths.set(key, width);
    }
    return width;
  }

  private paint(): void {
    if (this.width <= 0) return;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const lines = this.layoutLines(ctx);
    const lineHeight = Math.round((this.font?.size ?? 13) * 1.45);
    const ratio = window.devicePixelRatio || 1;
    // The canvas only grows while the view lives (a shorter text leaves blank lines): a change of
    // its size would be a DOM layout on a hover, which is what drawing on a canvas avoids.
    this.lines = Math.max(this.lines, lines.length);
    const w = Math.round(this.width * ratio);
    const hgt = Math.round(this.lines * lineHeight * ratio);
    if (this.canvas.width !== w || this.canvas.height !== hgt) {
      this.canvas.width = w;
      this.canvas.height = hgt;
      this.canvas.style.width = `${this.width}px`;
      this.canvas.style.height = `${this.lines * lineHeight}px`;
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, this.width, this.lines * lineHeight);
    ctx.textBaseline = 'middle';
    // One fillText per run of words of the same weight: each call shapes its text anew.
    lines.forEach((line, i) => {
      if (line.length === 0) return;
      const y = i * lineHeight + lineHeight / 2;
      let x = 0;
      let start = 0;
      for (let k = 0; k <= line.length; k++) {
        if (k < line.length && line[k]!.field === line[start]!.field) continue;
        const bold = line[start]!.field;
        ctx.font = this.fontOf(bold);
        ctx.fillStyle = bold ? this.theme.foreground : this.theme.muted;
        ctx.fillText(
          line
            .slice(start, k)
            .map((t) => t.text)
            .join(''),
          x,
          y,
        );
        for (let j = start; j < k; j++) x += line[j]!.width;
        start = k;
      }
    });
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
