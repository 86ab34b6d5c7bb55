// Curves over epochs, drawn by uPlot (canvas, ~50 KB, built for streaming data: a live update
// is one setData call). Themed from the editor's colours; exports a PNG with title and legend.
import uPlot from 'uplot';
import { h } from '../dom';
import type { Theme } from '../theme';

export interface LineSeries {
  label: string;
  color: string;
  values: (number | null)[];
  dash?: number[];
  /** Line width in CSS pixels (default 1.5); 0 draws no line (a band's edge). */
  width?: number;
}

/** A filled band between two series (indices into the series array). */
export interface LineBand {
  upper: number;
  lower: number;
  fill: string;
}

export interface LineChartOptions {
  title: string;
  /** Format of y values in axis ticks and the legend. */
  y: 'percent' | 'number' | 'exp';
  height?: number;
  /** x axis label. */
  xLabel?: string;
  logX?: boolean;
  /** Points only (a scatter), no lines. */
  points?: boolean;
  /** Called with the data index under the cursor (null when it leaves). */
  onHover?: (index: number | null) => void;
}

const formatY = (kind: LineChartOptions['y'], v: number | null | undefined): string => {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  switch (kind) {
    case 'percent':
      return `${(v * 100).toFixed(1)}%`;
    case 'exp':
      return v === 0 ? '0' : Math.abs(v) < 1e-2 ? v.toExponential(2) : v.toPrecision(3);
    case 'number':
      return Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3);
  }
};

export class LineChart {
  readonly element: HTMLElement;
  private readonly plotBox: HTMLElement;
  private plot: uPlot | null = null;
  private signature = '';
  private x: number[] = [];
  private series: LineSeries[] = [];
  private bands: LineBand[] = [];
  private readonly resize: ResizeObserver;

  constructor(
    private readonly options: LineChartOptions,
    private theme: Theme,
    exportButton: HTMLElement | null,
  ) {
    this.plotBox = h('div', { class: 'plot' });
    this.element = h(
      'figure',
      { class: 'chart' },
      h('figcaption', {}, h('span', { class: 'chart-title' }, options.title), exportButton),
      this.plotBox,
    );
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(this.plotBox);
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.signature = '';
    this.render();
  }

  update(x: number[], series: LineSeries[], bands: LineBand[] = []): void {
    this.x = x;
    this.series = series;
    this.bands = bands;
    this.render();
  }

  private render(): void {
    const sig = JSON.stringify([this.series.map((s) => [s.label, s.color, s.dash ?? null, s.width ?? null]), this.bands]);
    const data = [this.x, ...this.series.map((s) => s.values)] as uPlot.AlignedData;
    if (this.plot && sig === this.signature) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.signature = sig;
    this.plot = new uPlot(this.plotOptions(), data, this.plotBox);
  }

  private plotOptions(): uPlot.Options {
    const t = this.theme;
    const o = this.options;
    const font = `11px ${t.font}`;
    const axis = (label?: string): uPlot.Axis => ({
      stroke: t.foreground,
      font,
      labelFont: font,
      ...(label ? { label, labelSize: 16 } : {}),
      grid: { stroke: t.grid, width: 0.5 },
      ticks: { stroke: t.grid, width: 0.5 },
    });
    return {
      width: Math.max(160, this.plotBox.clientWidth || 400),
      height: o.height ?? 200,
      scales: { x: { time: false, ...(o.logX ? { distr: 3, log: 10 } : {}) }, y: { auto: true } },
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      legend: { live: true },
      series: [
        { label: o.xLabel ?? 'epoch', value: (_u, v) => (v === null || v === undefined ? '–' : String(v)) },
        ...this.series.map((s): uPlot.Series => ({
          label: s.label,
          stroke: s.width === 0 ? 'transparent' : s.color,
          width: s.width ?? 1.5,
          ...(s.dash ? { dash: s.dash } : {}),
          spanGaps: true,
          value: (_u, v) => formatY(o.y, v),
          points: o.points ? { show: true, size: 4, fill: s.color, stroke: s.color } : { show: (u) => u.data[0].length <= 60, size: 4 },
          ...(o.points ? { paths: () => null } : {}),
        })),
      ],
      // Epochs are whole numbers: no 1.5 ticks.
      axes: [
        { ...axis(o.xLabel ?? 'epoch'), ...(o.logX ? {} : { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] }) },
        { ...axis(), size: 56, values: (_u, ticks) => ticks.map((v) => formatY(o.y, v)) },
      ],
      ...(this.bands.length
        ? { bands: this.bands.map((b) => ({ series: [b.upper + 1, b.lower + 1] as [number, number], fill: b.fill })) }
        : {}),
      hooks: {
        ...(o.onHover ? { setCursor: [(u: uPlot) => o.onHover!(u.cursor.idx ?? null)] } : {}),
        // Where the plot area is and what it spans, for tests that read the canvas's pixels.
        draw: [
          (u: uPlot) => {
            const r = u.bbox;
            const ratio = u.ctx.canvas.width / Math.max(1, u.width);
            this.element.dataset.plot = JSON.stringify({
              left: r.left / ratio,
              top: r.top / ratio,
              width: r.width / ratio,
              height: r.height / ratio,
              ratio,
              x: [u.scales.x!.min, u.scales.x!.max],
              y: [u.scales.y!.min, u.scales.y!.max],
            });
          },
        ],
      },
    };
  }

  private fit(): void {
    if (!this.plot) return;
    const width = Math.max(160, Math.floor(this.plotBox.clientWidth));
    if (width !== this.plot.width && this.plotBox.clientWidth > 0) this.plot.setSize({ width, height: this.options.height ?? 200 });
  }

  /** The chart as a PNG data URL: background, title, plot, and a legend of the series. */
  toPNG(): string {
    const plot = this.plot;
    if (!plot) throw new Error('chart not drawn yet');
    const src = plot.ctx.canvas;
    const ratio = src.width / Math.max(1, plot.width);
    const pad = 12 * ratio;
    const line = 18 * ratio;
    const out = document.createElement('canvas');
    out.width = src.width + 2 * pad;
    out.height = src.height + 2 * pad + line * (1 + Math.ceil(this.series.length / 4));
    const ctx = out.getContext('2d')!;
    ctx.fillStyle = this.theme.background;
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.fillStyle = this.theme.foreground;
    ctx.font = `bold ${13 * ratio}px ${this.theme.font}`;
    ctx.textBaseline = 'top';
    ctx.fillText(this.options.title, pad, pad);
    ctx.drawImage(src, pad, pad + line);
    ctx.font = `${11 * ratio}px ${this.theme.font}`;
    this.series.forEach((s, i) => {
      const x = pad + (i % 4) * (out.width - 2 * pad) * 0.25;
      const y = pad + line + src.height + line * 0.5 + Math.floor(i / 4) * line;
      ctx.fillStyle = s.color;
      ctx.fillRect(x, y + 4 * ratio, 14 * ratio, 3 * ratio);
      ctx.fillStyle = this.theme.foreground;
      ctx.fillText(s.label, x + 20 * ratio, y);
    });
    return out.toDataURL('image/png');
  }

  dispose(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }
}
