// The run panel: header, live curves, shot groups, confusion matrix, per-class accuracy and
// checkpoints of one run, drawn from full snapshots (RunSnapshot). Used by the VS Code panel
// (hooks post messages to the host) and by the report (hooks work on inlined data).
import { decodeSparse, type SparseMatrix } from '../../../src/protocol/matrixCodec';
import { SHOT_GROUP_NAMES, type EvalDetail, type RunSnapshot } from '../../../src/protocol/snapshot';
import { BarChart } from '../charts/barChart';
import { LineChart } from '../charts/lineChart';
import { WIDE_CSV_MAX, confusionCsv, exportName, perClassCsv } from '../csv';
import { bytes, duration, h, pct, setText } from '../dom';
import { groupSummary, GROUP_ORDER } from '../matrix/summary';
import { MatrixView } from '../matrix/matrixView';
import type { ScaleMode } from '../matrix/colors';
import type { Theme } from '../theme';
import { button, checkbox, select, setDisabled } from './controls';
import { ThumbnailsView } from './thumbnails';
import { ConfusedPairsView } from './confusedPairs';
import { ClassTableView } from './classTable';
import type { ImageSelectionMessage, ImagesMessage } from '../../../src/protocol/messages';

export interface RunViewHooks {
  interactive: boolean;
  select(tag: string | null): void;
  stop(): void;
  resume(): void;
  evaluate(tag: string): void;
  exportFile(format: 'png' | 'csv', fileName: string, data: string): void;
  /** UI choices worth keeping across a reload (scale mode). */
  viewChanged(view: RunViewState): void;
  /** Asks the host for test images (interactive panels only; a report has no host to ask). */
  images?: (tag: string, selection: ImageSelectionMessage, page: number) => void;
}

export interface RunViewState {
  values: 'row' | 'raw';
  log: boolean;
}

/** Names by label (the snapshot lists them in display order with each one's label). */
function labelNames(names: readonly string[], label: readonly number[]): string[] {
  const out: string[] = [];
  label.forEach((l, i) => (out[l] = names[i]!));
  return out;
}

export class RunView {
  readonly element: HTMLElement;
  private snapshot: RunSnapshot | null = null;
  private readonly header = {
    name: h('h1', { class: 'run-name' }),
    status: h('span', { class: 'status', 'data-field': 'status' }),
    meta: h('div', { class: 'meta' }),
    bar: h('div', { class: 'progress-fill' }),
    progress: h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 }),
    epoch: h('span', { 'data-field': 'epoch' }),
    times: h('span', { class: 'times', 'data-field': 'times' }),
    error: h('div', { class: 'error', hidden: true }),
    readability: h('div', { class: 'readability', 'data-field': 'readability', hidden: true }),
  };
  private readonly stopButton: HTMLElement;
  private readonly resumeButton: HTMLElement;
  private readonly warnings = h('ul', { class: 'warnings', hidden: true });
  private readonly loss: LineChart;
  private readonly lr: LineChart;
  private readonly accuracy: LineChart;
  private readonly perClass: LineChart;
  private readonly perClassReadout = h('div', { class: 'readout' }, 'Hover a point to see its class.');
  private readonly bars: BarChart;
  private readonly groupTable = h('tbody');
  private readonly selectedTitles: HTMLElement[] = [];
  private readonly matrix: MatrixView;
  private readonly thumbnails: ThumbnailsView | null;
  private readonly pairs: ConfusedPairsView;
  private readonly classTable = new ClassTableView();
  private readonly summary = h('table', { class: 'summary', 'data-testid': 'group-summary' });
  private readonly checkpointBody = h('tbody');
  private readonly selection = h('section', { class: 'selection' });
  private readonly pending = h('p', { class: 'note pending', hidden: true });
  private matrixCache: { revision: string; counts: SparseMatrix } | null = null;
  private perClassOrder: number[] = [];
  private ticker: number | undefined;
  private received = 0;

  constructor(
    private theme: Theme,
    private readonly hooks: RunViewHooks,
    private view: RunViewState = { values: 'row', log: false },
  ) {
    const exportPng = (what: string, png: () => string) =>
      button('PNG', () => this.hooks.exportFile('png', exportName(this.snapshot?.run.name ?? 'run', what, 'png'), png()), {
        title: `Save ${what} as PNG`,
        'data-export': `${what}-png`,
      });

    this.stopButton = button('Stop', () => this.hooks.stop(), { 'data-action': 'stop', title: 'Checkpoint and stop the run' });
    this.resumeButton = button('Resume', () => this.hooks.resume(), {
      'data-action': 'resume',
      title: 'Resume from the latest checkpoint',
    });
    this.header.progress.append(this.header.bar);

    this.loss = new LineChart({ title: 'Training loss', y: 'number' }, theme, null);
    this.lr = new LineChart({ title: 'Learning rate', y: 'exp' }, theme, null);
    this.accuracy = new LineChart({ title: 'Test accuracy', y: 'percent' }, theme, null);
    for (const [chart, what] of [
      [this.loss, 'loss'],
      [this.lr, 'learning-rate'],
      [this.accuracy, 'accuracy'],
    ] as const) {
      chart.element.querySelector('figcaption')!.append(exportPng(what, () => chart.toPNG()));
    }
    this.perClass = new LineChart(
      {
        title: 'Per-class accuracy vs training images',
        y: 'percent',
        xLabel: 'training images (log)',
        logX: true,
        points: true,
        height: 240,
        onHover: (i) => this.showPerClass(i),
      },
      theme,
      null,
    );
    this.perClass.element.querySelector('figcaption')!.append(
      exportPng('per-class', () => this.perClass.toPNG()),
      button('CSV', () => this.exportPerClassCsv(), { title: 'Save per-class accuracy as CSV', 'data-export': 'per-class-csv' }),
    );
    this.bars = new BarChart(theme, 'Accuracy by shot group');
    this.matrix = new MatrixView(theme, 'Confusion matrix, rows true class, columns predicted class, head to tail');
    this.matrix.setMode(this.view);
    const images = this.hooks.images;
    this.thumbnails = images ? new ThumbnailsView({ request: (tag, sel, page) => images(tag, sel, page) }) : null;
    // A click on a matrix cell or on a confused pair: that cell's test images (display indices).
    const showCell = (row: number, col: number) => {
      const s = this.snapshot;
      const tag = s?.selectedTag;
      if (!this.thumbnails || !s?.classes || !tag) return;
      this.thumbnails.setClassNames(labelNames(s.classes.names, s.classes.label));
      this.thumbnails.show(tag, { kind: 'cell', true: s.classes.label[row]!, pred: s.classes.label[col]! });
      this.thumbnails.element.scrollIntoView?.({ block: 'nearest' });
    };
    this.matrix.onPick = showCell;
    this.pairs = new ConfusedPairsView(this.thumbnails ? showCell : null);

    const title = (text: string) => {
      const t = h('span', { class: 'selected-tag' });
      this.selectedTitles.push(t);
      return h('h2', {}, text, t);
    };

    const matrixTools = h(
      'div',
      { class: 'toolbar' },
      h('label', {}, 'Values '),
      select(
        [
          { value: 'row', label: 'share of row' },
          { value: 'raw', label: 'counts' },
        ],
        this.view.values,
        (v) => this.setScale({ ...this.view, values: v === 'raw' ? 'raw' : 'row' }),
        { 'data-control': 'values', 'aria-label': 'Matrix values' },
      ),
      checkbox('log colour scale', this.view.log, (log) => this.setScale({ ...this.view, log }), { 'data-control': 'log' }),
      button('Reset view', () => this.matrix.resetView(), { title: 'Fit the whole matrix (0)' }),
      exportPng('confusion', () => this.matrix.toPNG()),
      button('CSV', () => this.exportConfusionCsv(), {
        title: `Save the confusion counts as CSV (above ${WIDE_CSV_MAX} classes: one line per non-zero cell)`,
        'data-export': 'confusion-csv',
      }),
    );

    this.selection.append(
      h(
        'div',
        { class: 'grid two' },
        h(
          'figure',
          { class: 'chart groups' },
          h(
            'figcaption',
            {},
            title('Shot groups'),
            exportPng('groups', () => this.bars.toPNG()),
          ),
          this.bars.canvas,
          h(
            'table',
            { class: 'data', 'data-testid': 'groups' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', {}, 'group'),
                h('th', {}, 'classes'),
                h('th', {}, 'train images'),
                h('th', {}, 'test images'),
                h('th', {}, 'accuracy'),
              ),
            ),
            this.groupTable,
          ),
        ),
        h('div', {}, this.perClass.element, this.perClassReadout),
      ),
      h(
        'figure',
        { class: 'chart matrix-figure' },
        h('figcaption', {}, title('Confusion matrix')),
        matrixTools,
        this.matrix.element,
        ...(this.thumbnails ? [this.thumbnails.element] : []),
        this.pairs.element,
        this.classTable.element,
        h('h3', {}, 'Where each group’s test images go (row = true group, column = predicted group)'),
        this.summary,
      ),
    );

    this.element = h(
      'div',
      { class: 'run-view' },
      h(
        'header',
        { class: 'run-header' },
        h(
          'div',
          { class: 'title-line' },
          this.header.name,
          this.header.status,
          h('span', { class: 'actions' }, hooks.interactive ? this.stopButton : null, hooks.interactive ? this.resumeButton : null),
        ),
        this.header.meta,
        h('div', { class: 'progress-line' }, this.header.progress, this.header.epoch, this.header.times),
        this.header.error,
        this.header.readability,
      ),
      this.warnings,
      h('section', {}, h('h2', {}, 'Curves'), h('div', { class: 'grid three' }, this.loss.element, this.lr.element, this.accuracy.element)),
      this.pending,
      this.selection,
      h(
        'section',
        {},
        h('h2', {}, 'Checkpoints and evaluations'),
        h(
          'table',
          { class: 'data checkpoints', 'data-testid': 'checkpoints' },
          h('thead', {}, h('tr', {}, ...['tag', 'epoch', 'top-1', 'many', 'medium', 'few', 'size', ''].map((t) => h('th', {}, t)))),
          this.checkpointBody,
        ),
      ),
    );
  }

  apply(snapshot: RunSnapshot): void {
    const prev = this.snapshot;
    this.snapshot = snapshot;
    this.received = performance.now();
    this.renderHeader(snapshot);
    this.renderWarnings(snapshot.warnings);
    this.renderCurves(snapshot);
    this.renderCheckpoints(snapshot);
    if (!prev || prev.selected?.revision !== snapshot.selected?.revision || prev.classes !== snapshot.classes)
      this.renderSelection(snapshot);
    this.element.dataset.builtAt = snapshot.builtAt;
    this.element.dataset.selected = snapshot.selectedTag ?? '';
  }

  /** The host's reply to an images request. */
  applyImages(m: ImagesMessage): void {
    this.thumbnails?.apply(m);
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.loss.setTheme(theme);
    this.lr.setTheme(theme);
    this.accuracy.setTheme(theme);
    this.perClass.setTheme(theme);
    this.bars.setTheme(theme);
    this.matrix.setTheme(theme);
    if (this.snapshot) this.renderSelection(this.snapshot);
  }

  dispose(): void {
    window.clearInterval(this.ticker);
    for (const c of [this.loss, this.lr, this.accuracy, this.perClass]) c.dispose();
    this.bars.dispose();
    this.matrix.dispose();
  }

  private setScale(view: RunViewState): void {
    this.view = view;
    this.matrix.setMode(view satisfies ScaleMode);
    this.hooks.viewChanged(view);
  }

  private renderHeader(s: RunSnapshot): void {
    const r = s.run;
    const hd = this.header;
    setText(hd.name, r.name);
    setText(hd.status, r.status);
    hd.status.dataset.status = r.status;
    const origin = r.imported
      ? `imported from ${r.imported.source} (${r.imported.kind}; read-only)`
      : `backend ${r.backendDetail ?? r.backend ?? '–'}`;
    setText(
      hd.meta,
      [origin, r.host ? `host ${r.host}` : '', `id ${r.id}`, r.sweepId ? `sweep ${r.sweepId}` : ''].filter(Boolean).join(' · '),
    );
    const fraction = r.epochs > 0 ? Math.min(1, r.epoch / r.epochs) : 0;
    hd.bar.style.width = `${(fraction * 100).toFixed(1)}%`;
    hd.progress.setAttribute('aria-valuenow', (fraction * 100).toFixed(0));
    hd.progress.setAttribute('aria-label', `epoch ${r.epoch} of ${r.epochs}`);
    setText(hd.epoch, `epoch ${r.epoch} / ${r.epochs}`);
    hd.error.hidden = !r.error;
    setText(hd.error, r.error ? `Error: ${r.error}` : '');
    hd.readability.hidden = r.readability === null;
    setText(hd.readability, r.readability ?? '');
    setDisabled(this.stopButton, !r.canStop);
    setDisabled(this.resumeButton, !r.canResume);
    this.tick();
    window.clearInterval(this.ticker);
    if (r.status === 'running') this.ticker = window.setInterval(() => this.tick(), 1000);
  }

  /** Elapsed time and estimate to finish, ticking between snapshots while the run is running. */
  private tick(): void {
    const s = this.snapshot;
    if (!s) return;
    const r = s.run;
    if (!r.startedAt) {
      setText(this.header.times, r.status === 'queued' ? 'queued' : 'not started');
      return;
    }
    const end = r.endedAt && r.status !== 'running' ? Date.parse(r.endedAt) : Date.parse(s.builtAt) + (performance.now() - this.received);
    const elapsed = (end - Date.parse(r.startedAt)) / 1000;
    const left = r.status === 'running' && r.secondsPerEpoch !== null ? r.secondsPerEpoch * Math.max(0, r.epochs - r.epoch) : null;
    setText(this.header.times, `elapsed ${duration(elapsed)}${left !== null ? ` · about ${duration(left)} to finish` : ''}`);
  }

  private renderWarnings(warnings: string[]): void {
    this.warnings.hidden = warnings.length === 0;
    this.warnings.replaceChildren(...warnings.map((w) => h('li', {}, w)));
  }

  private renderCurves(s: RunSnapshot): void {
    const g = this.theme.groups;
    this.loss.update(s.curves.epoch, [{ label: 'loss', color: this.theme.series[0]!, values: s.curves.loss }]);
    this.lr.update(s.curves.epoch, [{ label: 'lr', color: this.theme.series[3]!, values: s.curves.lr }]);
    this.accuracy.update(s.evals.epoch, [
      { label: 'top-1', color: g.overall, values: s.evals.top1 },
      { label: 'many', color: g.many, values: s.evals.many },
      { label: 'medium', color: g.medium, values: s.evals.medium },
      { label: 'few', color: g.few, values: s.evals.few },
    ]);
  }

  private renderCheckpoints(s: RunSnapshot): void {
    // A run resumes from its latest complete checkpoint, so that row offers it.
    const latest = s.checkpoints.find((c) => c.hasCheckpoint)?.tag;
    const rows = s.checkpoints.map((c) => {
      const actions = h('td', { class: 'row-actions' });
      if (c.hasEval)
        actions.append(
          button('View', () => this.hooks.select(c.tag), { 'data-action': 'view', ...(c.tag === s.selectedTag ? { disabled: true } : {}) }),
        );
      if (this.hooks.interactive && c.hasCheckpoint && !c.external)
        actions.append(
          button('Evaluate', () => this.hooks.evaluate(c.tag), { 'data-action': 'evaluate', title: `Evaluate ${c.tag} on the test set` }),
        );
      if (this.hooks.interactive && s.run.canResume && c.tag === latest)
        actions.append(button('Resume', () => this.hooks.resume(), { 'data-action': 'resume', title: `Resume the run from ${c.tag}` }));
      const tr = h(
        'tr',
        { 'data-tag': c.tag, 'aria-selected': c.tag === s.selectedTag ? 'true' : 'false' },
        h('td', {}, c.tag, c.best ? h('span', { class: 'best', title: 'best top-1' }, ' ★') : null),
        h('td', {}, String(c.epoch)),
        h('td', { 'data-field': 'top1' }, pct(c.top1)),
        h('td', {}, pct(c.many)),
        h('td', {}, pct(c.medium)),
        h('td', {}, pct(c.few)),
        h(
          'td',
          c.external ? { title: 'a checkpoint file of the imported training: listed, not evaluable here' } : {},
          c.hasCheckpoint ? `${bytes(c.bytes)}${c.external ? ' (external)' : ''}` : 'pruned',
        ),
        actions,
      );
      return tr;
    });
    if (s.pinned && this.hooks.interactive) {
      rows.unshift(
        h(
          'tr',
          { class: 'follow' },
          h(
            'td',
            { colspan: 8 },
            `Showing ${s.selectedTag}. `,
            button('Follow latest', () => this.hooks.select(null), { 'data-action': 'follow' }),
          ),
        ),
      );
    }
    this.checkpointBody.replaceChildren(...rows);
  }

  private renderSelection(s: RunSnapshot): void {
    const d = s.selected;
    const classes = s.classes;
    for (const t of this.selectedTitles) setText(t, d ? ` · ${d.tag} (epoch ${d.epoch}, ${d.n} test images)` : '');
    // Until the first evaluation there is nothing to draw: one line instead of empty charts.
    this.selection.hidden = !d || !classes;
    this.pending.hidden = !this.selection.hidden;
    if (!d || !classes) {
      const imported = s.run.imported;
      this.pending.dataset.reason = imported && !d ? 'imported' : classes ? 'no-evaluation' : 'no-classes';
      if (imported && !d) {
        // An imported source has overall and group accuracies only (the curves above), no per-class results.
        setText(
          this.pending,
          `No confusion matrix or per-class accuracy: this run was imported from ${imported.source} (${imported.kind}), which records only top-1, top-5 and many / medium / few accuracy, not what each test image was predicted as. Those figures are in the curves above.`,
        );
        this.matrix.clearData('No confusion matrix: the imported source has no per-class results.');
        return;
      }
      setText(
        this.pending,
        classes
          ? 'No evaluation yet: shot groups, the confusion matrix and per-class accuracy appear after the first one.'
          : 'Waiting for the trainer to write classes.json.',
      );
      this.matrix.clearData('No evaluation yet.');
      return;
    }
    const counts = this.decoded(d);
    const n = classes.names.length;
    this.matrix.setData({
      kind: 'counts',
      size: n,
      names: classes.names,
      groups: classes.groups,
      trainCounts: classes.trainCounts,
      counts,
      revision: d.revision,
    });
    // Reports made before the list existed carry no topPairs.
    this.pairs.set(d.topPairs ?? [], classes);
    this.classTable.set(classes, d);

    // Shot groups: bars and the table of classes / images per group.
    const g = this.theme.groups;
    const acc = d.groupAccuracy;
    const rows = SHOT_GROUP_NAMES.map((grp) => {
      const idx = classes.groups.map((x, i) => (x === grp ? i : -1)).filter((i) => i >= 0);
      const train = idx.reduce((a, i) => a + classes.trainCounts[i]!, 0);
      const test = idx.reduce((a, i) => a + classes.testCounts[i]!, 0);
      return { grp, classes: idx.length, train, test, acc: acc[grp] };
    });
    const rule =
      classes.rule.kind === 'shots'
        ? `many > ${classes.rule.many}, few < ${classes.rule.few} training images`
        : 'terciles of the class sizes';
    this.bars.update([
      ...rows.map((r) => ({ label: r.grp, value: r.acc, color: g[r.grp], note: `${r.classes} cls` })),
      { label: 'overall', value: d.top1, color: g.overall, note: `${n} cls` },
    ]);
    this.groupTable.replaceChildren(
      ...rows.map((r) =>
        h(
          'tr',
          { 'data-group': r.grp },
          h('td', {}, h('span', { class: `swatch ${r.grp}` }), r.grp),
          h('td', { 'data-field': 'classes' }, String(r.classes)),
          h('td', { 'data-field': 'train' }, String(r.train)),
          h('td', { 'data-field': 'test' }, String(r.test)),
          h('td', { 'data-field': 'accuracy' }, pct(r.acc)),
        ),
      ),
      h(
        'tr',
        { 'data-group': 'overall' },
        h('td', {}, 'overall (top-1)'),
        h('td', { 'data-field': 'classes' }, String(n)),
        h('td', { 'data-field': 'train' }, String(classes.trainCounts.reduce((a, b) => a + b, 0))),
        h('td', { 'data-field': 'test' }, String(d.n)),
        h('td', { 'data-field': 'accuracy' }, pct(d.top1)),
      ),
      h('tr', { class: 'note' }, h('td', { colspan: 5 }, `Rule: ${rule}. Top-5 ${pct(d.top5)}.`)),
    );

    // 3x3 summary: share of each true group's images predicted as each group.
    const sum = groupSummary(counts, classes.groups);
    this.summary.replaceChildren(
      h('thead', {}, h('tr', {}, h('th', {}, 'true \\ predicted'), ...GROUP_ORDER.map((x) => h('th', {}, x)), h('th', {}, 'images'))),
      h(
        'tbody',
        {},
        ...GROUP_ORDER.map((grp, i) =>
          h(
            'tr',
            { 'data-group': grp },
            h('th', {}, grp),
            ...GROUP_ORDER.map((to, j) =>
              h(
                'td',
                {
                  'data-to': to,
                  class: i === j ? 'diag' : '',
                  title: `${sum.counts[i]![j]} of ${sum.totals[i]} ${grp}-shot test images predicted as a ${to}-shot class`,
                },
                pct(sum.shares[i]![j]),
              ),
            ),
            h('td', {}, String(sum.totals[i])),
          ),
        ),
      ),
    );

    // Per-class accuracy against training count: x ascending for uPlot, one series per group.
    const order = classes.trainCounts.map((_, i) => i).reverse();
    this.perClassOrder = order;
    const x = order.map((i) => Math.max(0.5, classes.trainCounts[i]!));
    this.perClass.update(
      x,
      SHOT_GROUP_NAMES.map((grp) => ({
        label: grp,
        color: g[grp],
        values: order.map((i) => (classes.groups[i] === grp ? d.perClassAccuracy[i]! : null)),
      })),
    );
  }

  private showPerClass(index: number | null): void {
    const s = this.snapshot;
    if (index === null || !s?.classes || !s.selected) return;
    const i = this.perClassOrder[index];
    if (i === undefined) return;
    const c = s.classes;
    setText(
      this.perClassReadout,
      `${c.names[i]} (${c.groups[i]}): ${c.trainCounts[i]} training images, accuracy ${pct(s.selected.perClassAccuracy[i])}`,
    );
  }

  /** The selected evaluation's matrix in compressed sparse rows (decoded once per revision). */
  private decoded(d: EvalDetail): SparseMatrix {
    if (this.matrixCache?.revision !== d.revision) {
      const started = performance.now();
      this.matrixCache = { revision: d.revision, counts: decodeSparse(d.confusion) };
      this.matrix.canvas.dataset.decodeMs = (performance.now() - started).toFixed(2);
    }
    return this.matrixCache.counts;
  }

  private exportPerClassCsv(): void {
    const s = this.snapshot;
    if (!s?.classes || !s.selected) return;
    this.hooks.exportFile('csv', exportName(s.run.name, s.selected.tag, 'per-class', 'csv'), perClassCsv(s.classes, s.selected));
  }

  private exportConfusionCsv(): void {
    const s = this.snapshot;
    if (!s?.classes || !s.selected) return;
    this.hooks.exportFile(
      'csv',
      exportName(s.run.name, s.selected.tag, 'confusion', 'csv'),
      confusionCsv(s.classes.names, this.decoded(s.selected)),
    );
  }
}
