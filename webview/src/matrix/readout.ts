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
      ctx.font = this.fontOf(bold);
      // Keep each space with the word before it, so a wrapped line starts with a word.
      for (const word of seg.text.match(/\S+\s*|\s+/g) ?? []) {
        const width = ctx.measureText(word).width;
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
    lines.forEach((line, i) => {
      let x = 0;
      const y = i * lineHeight + lineHeight / 2;
      for (const t of line) {
        ctx.font = this.fontOf(t.field);
        ctx.fillStyle = t.field ? this.theme.foreground : this.theme.muted;
        ctx.fillText(t.text, x, y);
        x += t.width || ctx.measureText(t.text).width;
      }
    });
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
