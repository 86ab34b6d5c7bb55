// The compare panel: overlaid curves, final metrics with differences against the first run,
// the config keys that differ (only those), and the difference of two runs' confusion matrices.
import uPlot from 'uplot';
import { decodeSparse } from '../../../src/protocol/matrixCodec';
import type {
  BandSeries,
  ClassTable,
  CompareGroup,
  CompareRun,
  CompareSnapshot,
  EncodedMatrix,
  GroupConfigCell,
  GroupStats,
} from '../../../src/protocol/snapshot';
import { LineChart, type LineBand, type LineSeries } from '../charts/lineChart';
import { exportName } from '../csv';
import { h, pct, pp, setText } from '../dom';
import { MatrixView } from '../matrix/matrixView';
import type { Theme } from '../theme';
import { button, select } from './controls';

export interface CompareViewHooks {
  exportFile(format: 'png' | 'csv', fileName: string, data: string): void;
}

type Metric = 'top1' | 'many' | 'medium' | 'few';
const METRICS: { value: Metric; label: string }[] = [
  { value: 'top1', label: 'top-1' },
  { value: 'many', label: 'many-shot' },
  { value: 'medium', label: 'medium-shot' },
  { value: 'few', label: 'few-shot' },
];

/** Series on a shared x: uPlot needs one x array, runs may have evaluated different epochs. */
function aligned<T>(items: T[], pick: (r: T) => [number[], (number | null)[]]): { x: number[]; ys: (number | null)[][] } {
  if (items.length === 0) return { x: [], ys: [] };
  const joined = uPlot.join(items.map((r) => pick(r) as uPlot.AlignedData));
  return {
    x: Array.from(joined[0] as ArrayLike<number>),
    ys: joined.slice(1).map((s) => Array.from(s as ArrayLike<number | null | undefined>, (v) => (v === undefined ? null : v))),
  };
}

type Line = [number[], (number | null)[]];

/** `mean ± std (n)` in percent. */
function statsText(s: GroupStats | null): string {
  if (!s) return '–';
  return `${pct(s.mean)}${s.std === null ? '' : ` ± ${(s.std * 100).toFixed(1)}`} (${s.n})`;
}

/** Distinct values shown one by one up to this many; more are counted ("5 values"). */
const LISTED_VALUES = 4;

/** A group's cell of the config-differences table. */
function groupConfigCell(cell: GroupConfigCell | undefined, group: string): HTMLElement {
  const text = (v: string | null) => v ?? '(absent)';
  if (!cell) return h('td', { 'data-group': group }, '–');
  switch (cell.kind) {
    case 'same':
      return h('td', { 'data-group': group }, text(cell.value));
    case 'varies': {
      const all = cell.values.map(text).join(', ');
      return h(
        'td',
        { 'data-group': group, class: 'varies', title: `varies in the group: ${all}` },
        cell.values.length <= LISTED_VALUES ? all : `${cell.values.length} values`,
      );
    }
    default: {
      const never: never = cell;
      return never;
    }
  }
}

/** "sum of 3, epoch 4", or "sum of 2 of 3, ..." when members without an evaluation were left out. */
function summedOf(g: CompareGroup): string {
  const of = g.confusionMembers < g.members.length ? `${g.confusionMembers} of ${g.members.length}` : `${g.members.length}`;
  return `sum of ${of}${g.confusionEpoch === null ? '' : `, epoch ${g.confusionEpoch}`}`;
}

/** What the confusion difference can take: a run, or a group's summed matrix. */
interface MatrixSource {
  name: string;
  classes: ClassTable | null;
  confusion: EncodedMatrix | null;
  note: string | null;
}

/** `#rrggbb` or `rgb(...)` with an alpha (band fills). */
function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})$/i.exec(color.trim());
  if (hex) {
    const n = parseInt(hex[1]!, 16);
    return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  const rgb = /^rgba?\(([^)]+)\)$/.exec(color.trim());
  if (rgb) return `rgba(${rgb[1]!.split(',').slice(0, 3).join(',')}, ${alpha})`;
  return color;
}

export class CompareView {
  readonly element: HTMLElement;
  private snapshot: CompareSnapshot | null = null;
  private metric: Metric = 'top1';
  private readonly loss: LineChart;
  private readonly accuracy: LineChart;
  private readonly finals = h('tbody');
  private readonly configBody = h('tbody');
  private readonly configNote = h('p', { class: 'note' });
  private readonly diffSection = h('figure', { class: 'chart matrix-figure' });
  private readonly diffNote = h('p', { class: 'note' });
  private readonly matrix: MatrixView;
  private pair: [number, number] = [0, 1];
  private readonly pickers = h('span', { class: 'pickers' });
  private readonly title = h('h1', {}, 'Compare runs');

  constructor(
    private theme: Theme,
    private readonly hooks: CompareViewHooks,
  ) {
    const png = (what: string, data: () => string) =>
      button('PNG', () => this.hooks.exportFile('png', exportName('compare', what, 'png'), data()), { 'data-export': `${what}-png` });
    this.loss = new LineChart({ title: 'Training loss', y: 'number' }, theme, null);
    this.accuracy = new LineChart({ title: 'Test accuracy', y: 'percent' }, theme, null);
    this.loss.element.querySelector('figcaption')!.append(png('loss', () => this.loss.toPNG()));
    this.accuracy.element.querySelector('figcaption')!.append(
      select(METRICS, this.metric, (v) => ((this.metric = v as Metric), this.render()), {
        'data-control': 'metric',
        'aria-label': 'Accuracy shown',
      }),
      png('accuracy', () => this.accuracy.toPNG()),
    );
    this.matrix = new MatrixView(theme, 'Difference of row shares between two runs, rows true class, columns predicted class');
    this.diffSection.append(
      h(
        'figcaption',
        {},
        h('h2', {}, 'Confusion difference'),
        this.pickers,
        png('confusion-difference', () => this.matrix.toPNG()),
      ),
      this.diffNote,
      this.matrix.element,
    );
    this.element = h(
      'div',
      { class: 'compare-view' },
      h('header', { class: 'run-header' }, this.title),
      h('section', {}, h('div', { class: 'grid two' }, this.loss.element, this.accuracy.element)),
      h(
        'section',
        {},
        h('h2', {}, 'Latest evaluation'),
        h(
          'table',
          { class: 'data', 'data-testid': 'finals' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'run'),
              h('th', {}, 'status'),
              h('th', {}, 'epoch'),
              ...METRICS.flatMap((m) => [h('th', {}, m.label), h('th', { class: 'delta' }, 'Δ vs first')]),
            ),
          ),
          this.finals,
        ),
      ),
      h(
        'section',
        {},
        h('h2', {}, 'Config keys that differ'),
        this.configNote,
        h('table', { class: 'data', 'data-testid': 'config-diff' }, h('thead'), this.configBody),
      ),
      this.diffSection,
    );
  }

  apply(snapshot: CompareSnapshot): void {
    this.snapshot = snapshot;
    const n = snapshot.runs.length + (snapshot.groups?.length ?? 0);
    if (this.pair[0] >= n || this.pair[1] >= n) this.pair = [0, Math.min(1, n - 1)];
    this.render();
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.loss.setTheme(theme);
    this.accuracy.setTheme(theme);
    this.matrix.setTheme(theme);
    this.render();
  }

  dispose(): void {
    this.loss.dispose();
    this.accuracy.dispose();
    this.matrix.dispose();
  }

  private color(i: number): string {
    return this.theme.series[i % this.theme.series.length]!;
  }

  private render(): void {
    const s = this.snapshot;
    if (!s) return;
    const runs = s.runs;
    const groups = s.groups ?? [];
    const label = (r: CompareRun, i: number) => `${i + 1}. ${r.name}`;
    setText(this.title, groups.length ? (runs.length ? 'Compare runs and groups' : 'Compare groups') : 'Compare runs');
    const band = s.band ?? 'std';
    this.drawBands(
      this.loss,
      runs.map((r): Line => [r.curves.epoch, r.curves.loss]),
      groups.map((g) => g.loss),
      band,
    );
    this.drawBands(
      this.accuracy,
      runs.map((r): Line => [r.evals.epoch, r.evals[this.metric]]),
      groups.map((g) => g.curves[this.metric]),
      band,
    );

    const first = runs[0]?.final ?? null;
    this.finals.replaceChildren(
      ...runs.map((r, i) =>
        h(
          'tr',
          { 'data-run': r.id },
          h('td', {}, h('span', { class: 'swatch', 'data-series': i }), label(r, i)),
          h('td', {}, r.status),
          h('td', {}, r.final ? `${r.final.epoch} (${r.final.tag})` : '–'),
          ...METRICS.flatMap((m) => {
            const v = r.final?.[m.value] ?? null;
            const d = i === 0 || v === null || first === null ? null : v - first[m.value];
            return [
              h('td', { 'data-field': m.value }, pct(v)),
              h(
                'td',
                { class: `delta ${d === null ? '' : d > 0 ? 'up' : d < 0 ? 'down' : ''}`, 'data-field': `${m.value}-delta` },
                i === 0 ? '' : pp(d),
              ),
            ];
          }),
        ),
      ),
    );
    this.finals.append(
      ...groups.map((g, k) =>
        h(
          'tr',
          { 'data-group': g.key, class: 'group-row' },
          h('td', {}, h('span', { class: 'swatch', 'data-series': runs.length + k }), `${g.label} (n=${g.members.length})`),
          h('td', {}, 'group'),
          h('td', {}, g.confusionEpoch === null ? '–' : `${g.confusionEpoch}`),
          ...METRICS.flatMap((m) => [h('td', { 'data-field': m.value }, statsText(g.final[m.value])), h('td', { class: 'delta' }, '')]),
        ),
      ),
    );
    // Swatch colours come from the theme at run time, so they are set through the CSSOM (allowed by the CSP).
    this.finals
      .querySelectorAll<HTMLElement>('.swatch[data-series]')
      .forEach((el) => (el.style.background = this.color(Number(el.dataset.series))));

    // One column per run and per group; a group's cell is its members' shared value, or their
    // values where they differ (compact, the full list in the tooltip).
    const thead = this.configBody.parentElement!.querySelector('thead')!;
    thead.replaceChildren(
      h(
        'tr',
        {},
        h('th', {}, 'key'),
        ...runs.map((r, i) => h('th', { 'data-run': r.id }, label(r, i))),
        ...groups.map((g) => h('th', { 'data-group': g.key }, `${g.label} (n=${g.members.length})`)),
      ),
    );
    const what = groups.length ? (runs.length ? 'runs and groups' : 'groups') : 'runs';
    setText(
      this.configNote,
      s.configDiff.length === 0 ? `The ${what} have the same config.` : `${s.configDiff.length} of the config keys differ.`,
    );
    this.configBody.replaceChildren(
      ...s.configDiff.map((d) =>
        h(
          'tr',
          { 'data-key': d.key },
          h('td', { class: 'key' }, d.key),
          ...d.values.map((v) => h('td', {}, v ?? '(absent)')),
          ...groups.map((g, k) => groupConfigCell(d.groups?.[k], g.key)),
        ),
      ),
    );

    this.renderDifference(s);
  }

  /**
   * Runs as lines; each group as its mean (thick) between two edge series filled as a band
   * (± std or min-max). The figure's `data-bands` states what was drawn (for tests and exports).
   */
  private drawBands(chart: LineChart, runLines: Line[], curves: BandSeries[], band: 'std' | 'minmax'): void {
    const s = this.snapshot!;
    const runs = s.runs;
    const groups = s.groups ?? [];
    const edges = (c: BandSeries, side: 1 | -1): number[] =>
      c.mean.map((m, k) => (band === 'minmax' ? (side > 0 ? c.max[k]! : c.min[k]!) : m + side * (c.std[k] ?? 0)));
    const lines: Line[] = [
      ...runLines,
      ...curves.flatMap((c): Line[] => [
        [c.epochs, c.mean],
        [c.epochs, edges(c, 1)],
        [c.epochs, edges(c, -1)],
      ]),
    ];
    const data = aligned(lines, (l) => l);
    const series: LineSeries[] = runs.map((r, i) => ({
      label: `${i + 1}. ${r.name}`,
      color: this.color(i),
      values: data.ys[i]!,
      ...(i >= 4 ? { dash: [6, 3] } : {}),
    }));
    const bands: LineBand[] = [];
    groups.forEach((g, k) => {
      const color = this.color(runs.length + k);
      const at = runs.length + 3 * k;
      const name = `${g.label} (n=${g.members.length})`;
      series.push(
        { label: `${name} mean`, color, values: data.ys[at]!, width: 2.5 },
        { label: `${name} ${band === 'std' ? '+1 std' : 'max'}`, color, values: data.ys[at + 1]!, width: 0 },
        { label: `${name} ${band === 'std' ? '−1 std' : 'min'}`, color, values: data.ys[at + 2]!, width: 0 },
      );
      bands.push({ upper: at + 1, lower: at + 2, fill: withAlpha(color, 0.22) });
    });
    chart.update(data.x, series, bands);
    chart.element.dataset.bands = JSON.stringify(
      groups.map((g, k) => ({
        key: g.key,
        color: this.color(runs.length + k),
        epochs: curves[k]!.epochs,
        mean: curves[k]!.mean,
        upper: edges(curves[k]!, 1),
        lower: edges(curves[k]!, -1),
      })),
    );
  }

  private renderDifference(s: CompareSnapshot): void {
    // Still a two-item view: any two runs, or a group's summed matrix (at its last common epoch).
    const runs: MatrixSource[] = [
      ...s.runs.map((r) => ({ name: r.name, classes: r.classes, confusion: r.confusion, note: null })),
      ...(s.groups ?? []).map((g) => ({
        name: g.confusion === null ? g.label : `${g.label} (${summedOf(g)})`,
        classes: g.classes,
        confusion: g.confusion,
        note: g.confusionNote,
      })),
    ];
    const options = runs.map((r, i) => ({ value: String(i), label: `${i + 1}. ${r.name}` }));
    this.pickers.replaceChildren(
      'B ',
      select(options, String(this.pair[1]), (v) => ((this.pair = [this.pair[0], Number(v)]), this.renderDifference(s)), {
        'data-control': 'diff-b',
        'aria-label': 'Run B',
      }),
      ' minus A ',
      select(options, String(this.pair[0]), (v) => ((this.pair = [Number(v), this.pair[1]]), this.renderDifference(s)), {
        'data-control': 'diff-a',
        'aria-label': 'Run A',
      }),
    );
    const a = runs[this.pair[0]];
    const b = runs[this.pair[1]];
    const same =
      !!a?.classes &&
      !!b?.classes &&
      a.classes.names.length === b.classes.names.length &&
      a.classes.names.every((n, i) => n === b.classes!.names[i]);
    if (!same || !a?.confusion || !b?.confusion || !b.classes) {
      setText(
        this.diffNote,
        a?.note ??
          b?.note ??
          (same || !a?.classes || !b?.classes
            ? 'Both need an evaluation.'
            : 'The two have different classes, so their matrices cannot be subtracted.'),
      );
      this.matrix.clearData('No difference to show.');
      return;
    }
    setText(
      this.diffNote,
      `Share of each true class's test images, ${b.name} minus ${a.name}: blue where B predicts a cell more often, red where less.`,
    );
    this.matrix.setData({
      kind: 'difference',
      size: b.classes.names.length,
      names: b.classes.names,
      groups: b.classes.groups,
      trainCounts: b.classes.trainCounts,
      counts: decodeSparse(b.confusion),
      base: decodeSparse(a.confusion),
      runs: { a: a.name, b: b.name },
      revision: `${s.builtAt}:${this.pair.join('-')}`,
    });
  }
}
