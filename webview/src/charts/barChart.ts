// Accuracy bars (many / medium / few / overall) on a small canvas, so it exports as PNG like
// every other chart. The numbers are also in the table beside it, for reading and testing.
import { h } from '../dom';
import type { Theme } from '../theme';

export interface Bar {
  label: string;
  value: number;
  color: string;
  note?: string;
}

export class BarChart {
  readonly canvas: HTMLCanvasElement;
  private bars: Bar[] = [];
  private readonly resize: ResizeObserver;

  constructor(
    private theme: Theme,
    private readonly title: string,
    private readonly height = 180,
  ) {
    this.canvas = h('canvas', { class: 'bars', role: 'img', 'aria-label': title });
    this.resize = new ResizeObserver(() => this.draw());
    this.resize.observe(this.canvas);
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.draw();
  }

  update(bars: Bar[]): void {
    this.bars = bars;
    this.canvas.setAttribute('aria-label', `${this.title}: ${bars.map((b) => `${b.label} ${(b.value * 100).toFixed(1)}%`).join(', ')}`);
    this.draw();
  }

  private draw(): void {
    const width = Math.max(200, this.canvas.clientWidth || 320);
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(this.height * ratio);
    this.canvas.style.height = `${this.height}px`;
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const t = this.theme;
    ctx.fillStyle = t.background;
    ctx.fillRect(0, 0, width, this.height);
    const left = 40;
    const top = 18;
    const bottom = 34;
    const plotH = this.height - top - bottom;
    ctx.font = `11px ${t.font}`;
    ctx.strokeStyle = t.grid;
    ctx.fillStyle = t.muted;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.lineWidth = 0.5;
    for (const v of [0, 0.25, 0.5, 0.75, 1]) {
      const y = top + plotH * (1 - v);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(width - 8, y);
      ctx.stroke();
      ctx.fillText(`${v * 100}%`, left - 4, y);
    }
    const n = Math.max(1, this.bars.length);
    const slot = (width - left - 8) / n;
    const barW = Math.min(56, slot * 0.6);
    this.bars.forEach((b, i) => {
      const x = left + slot * i + (slot - barW) / 2;
      const hgt = plotH * Math.max(0, Math.min(1, b.value));
      ctx.fillStyle = b.color;
      ctx.fillRect(x, top + plotH - hgt, barW, hgt);
      ctx.fillStyle = t.foreground;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      ctx.fillText(`${(b.value * 100).toFixed(1)}%`, x + barW / 2, top + plotH - hgt - 2);
      ctx.textBaseline = 'top';
      ctx.fillText(b.label, x + barW / 2, top + plotH + 4);
      if (b.note) {
        ctx.fillStyle = t.muted;
        ctx.fillText(b.note, x + barW / 2, top + plotH + 18);
      }
    });
  }

  toPNG(): string {
    return this.canvas.toDataURL('image/png');
  }

  dispose(): void {
    this.resize.disconnect();
  }
}
