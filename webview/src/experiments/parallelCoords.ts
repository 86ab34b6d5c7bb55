// Parallel coordinates for a selection of runs or groups: one vertical axis per config key that
// differs within the selection, then the chosen metric; one polyline per selected item, coloured
// by that metric (low = first colour of the ramp, high = last). Numeric keys get a linear axis,
// others one tick per value. The canvas's data-lines attribute lists each polyline's points
// (CSS pixels), which the UI test samples.
import { METRIC_LABELS, type ConfigValueWire, type MetricName } from '../../../src/protocol/experiments';
import { h } from '../dom';
import type { Theme } from '../theme';
import { configText, pct1 } from './columns';

export interface PlotLine {
  label: string;
  /** Config values (absent: the key is not in this item's config). */
  config: Record<string, ConfigValueWire>;
  metric: number | null;
}

interface Axis {
  key: string;
  label: string;
  /** Position 0..1 (bottom..top) of a value. */
  pos(line: PlotLine): number | null;
  ticks: { at: number; text: string }[];
}

const RAMP: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

function rampColor(t: number): string {
  const x = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [RAMP[i]!, RAMP[i + 1]!];
  return `rgb(${a.map((v, k) => Math.round(v + (b[k]! - v) * f)).join(',')})`;
}

function configAxis(key: string, lines: PlotLine[]): Axis {
  const raw = lines.map((l) => l.config[key]);
  const nums = raw.map((v) => (typeof v === 'number' ? v : NaN));
  const numeric = nums.every((v) => Number.isFinite(v));
  if (numeric) {
    const lo = Math.min(...nums);
    const hi = Math.max(...nums);
    const span = hi - lo || 1;
    const distinct = [...new Set(nums)].sort((a, b) => a - b);
    const ticks = (distinct.length <= 6 ? distinct : [lo, lo + span / 2, hi]).map((v) => ({
      at: hi === lo ? 0.5 : (v - lo) / span,
      text: String(Number(v.toPrecision(4))),
    }));
    return { key, label: key, pos: (l) => (hi === lo ? 0.5 : (Number(l.config[key]) - lo) / span), ticks };
  }
  const text = (v: ConfigValueWire | undefined) => (v === undefined ? '(absent)' : configText(v));
  const values = [...new Set(raw.map(text))].sort();
  const at = (v: string) => (values.length === 1 ? 0.5 : values.indexOf(v) / (values.length - 1));
  return { key, label: key, pos: (l) => at(text(l.config[key])), ticks: values.map((v) => ({ at: at(v), text: v })) };
}

export class ParallelCoords {
  readonly element: HTMLElement;
  private readonly canvas = h('canvas', { class: 'pcoords', 'data-testid': 'pcoords' });
  private readonly note = h('p', { class: 'note' });
  private lines: PlotLine[] = [];
  private keys: string[] = [];
  private metric: MetricName = 'few';
  /** What the canvas shows (lines, keys, metric) as JSON. */
  private shown = '';
  private readonly resize: ResizeObserver;

  constructor(private theme: Theme) {
    this.element = h('section', { class: 'pcoords-section' }, this.note, this.canvas);
    this.resize = new ResizeObserver(() => this.draw());
    this.resize.observe(this.element);
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.draw();
  }

  /** `keys`: the config keys to consider; only those that differ within `lines` get an axis. */
  update(lines: PlotLine[], keys: readonly string[], metric: MetricName): void {
    // A sort or filter leaves the selection as it was: no redraw (and no forced page layout) then.
    const shown = JSON.stringify([lines, keys, metric]);
    if (shown === this.shown) return;
    this.shown = shown;
    this.lines = lines;
    this.metric = metric;
    this.keys = keys.filter((k) => new Set(lines.map((l) => configText(l.config[k]))).size > 1);
    this.draw();
  }

  private draw(): void {
    const lines = this.lines;
    const canvas = this.canvas;
    const cssWidth = Math.max(300, this.element.clientWidth || 600);
    const cssHeight = 240;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(cssWidth * ratio);
    canvas.height = Math.round(cssHeight * ratio);
    canvas.style.width = `${cssWidth}px`;
    canvas.style.height = `${cssHeight}px`;
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = this.theme.background;
    ctx.fillRect(0, 0, cssWidth, cssHeight);
    const metricLabel = `${METRIC_LABELS[this.metric]} %`;
    if (lines.length === 0) {
      this.note.textContent = 'Select runs or groups in the table to draw them here.';
      canvas.dataset.lines = '[]';
      return;
    }
    const values = lines.map((l) => l.metric).filter((v): v is number => v !== null);
    const lo = values.length ? Math.min(...values) : 0;
    const hi = values.length ? Math.max(...values) : 1;
    const metricAxis: Axis = {
      key: `metric:${this.metric}`,
      label: metricLabel,
      pos: (l) => (l.metric === null ? null : hi === lo ? 0.5 : (l.metric - lo) / (hi - lo)),
      ticks: (hi === lo ? [lo] : [lo, (lo + hi) / 2, hi]).map((v) => ({ at: hi === lo ? 0.5 : (v - lo) / (hi - lo), text: pct1(v) })),
    };
    const axes = [...this.keys.map((k) => configAxis(k, lines)), metricAxis];
    this.note.textContent = `${lines.length} selected · axes: ${axes.map((a) => a.label).join(', ')} · colour: ${metricLabel} (dark low, bright high)`;
    const top = 28;
    const bottom = cssHeight - 18;
    const left = 60;
    const right = cssWidth - 60;
    const x = (i: number) => (axes.length === 1 ? (left + right) / 2 : left + ((right - left) * i) / (axes.length - 1));
    const y = (p: number) => bottom - p * (bottom - top);
    const font = `11px ${this.theme.font}`;
    ctx.font = font;
    // Lines first, axes on top so ticks stay readable.
    const drawn: { label: string; points: [number, number][] }[] = [];
    const order = lines.map((_l, i) => i).sort((a, b) => (lines[a]!.metric ?? -1) - (lines[b]!.metric ?? -1));
    ctx.lineWidth = 2;
    for (const i of order) {
      const l = lines[i]!;
      const pts: [number, number][] = [];
      axes.forEach((a, k) => {
        const p = a.pos(l);
        if (p !== null && Number.isFinite(p)) pts.push([x(k), y(p)]);
      });
      ctx.strokeStyle = l.metric === null ? this.theme.muted : rampColor(hi === lo ? 1 : (l.metric - lo) / (hi - lo));
      ctx.beginPath();
      pts.forEach(([px, py], k) => (k === 0 ? ctx.moveTo(px, py) : ctx.lineTo(px, py)));
      ctx.stroke();
      drawn.push({ label: l.label, points: pts.map(([a, b]) => [Math.round(a * 10) / 10, Math.round(b * 10) / 10]) });
    }
    ctx.strokeStyle = this.theme.foreground;
    ctx.fillStyle = this.theme.foreground;
    ctx.lineWidth = 1;
    axes.forEach((a, k) => {
      const ax = x(k);
      ctx.beginPath();
      ctx.moveTo(ax, top);
      ctx.lineTo(ax, bottom);
      ctx.stroke();
      ctx.textAlign = 'center';
      ctx.fillText(a.label, ax, top - 12);
      ctx.textAlign = k === axes.length - 1 ? 'left' : 'right';
      for (const t of a.ticks) ctx.fillText(t.text.slice(0, 14), ax + (k === axes.length - 1 ? 5 : -5), y(t.at) + 4);
    });
    canvas.dataset.lines = JSON.stringify(drawn);
    canvas.dataset.axes = JSON.stringify(axes.map((a) => a.key));
  }

  dispose(): void {
    this.resize.disconnect();
  }
}
