// The Experiments panel: a toolbar (value mode, grouping, filters, columns, actions), a
// virtualised table of runs or groups, and a parallel-coordinates view of the selection.
// The host sends the rows (their metric values in the view's value mode); filtering, sorting
// and grouping happen here, on every click and keystroke, with src/protocol/experimentsTable.ts,
// the code the host and `gpaco ls` run too, so the order on screen needs no round trip and
// agrees with theirs.
import {
  DEFAULT_EXPERIMENTS_VIEW,
  METRIC_LABELS,
  METRIC_NAMES,
  type CompareItemWire,
  type ExperimentRow,
  type ExperimentsSnapshot,
  type ExperimentsUpdate,
  type ExperimentsView,
  type MetricName,
} from '../../../src/protocol/experiments';
import {
  arrangeRows,
  groupNote as groupNoteText,
  searchText,
  shownGroupLabel,
  type Arranged,
} from '../../../src/protocol/experimentsTable';
import { h, setText } from '../dom';
import type { Theme } from '../theme';
import { columnsFor, groupConfig, type Column, type Item } from './columns';
import { ParallelCoords, type PlotLine } from './parallelCoords';
import { VirtualRows } from './virtualRows';

export interface ExperimentsHooks {
  /** The view changed (already shown): the host persists it; a new value mode makes it send new rows (`seq` numbers the changes). */
  viewChanged(view: ExperimentsView, seq: number): void;
  compare(items: CompareItemWire[], band: 'std' | 'minmax'): void;
  editTags(runIds: string[]): void;
  editNote(runId: string): void;
  open(runId: string): void;
  exportCsv(): void;
}

const ROW_HEIGHT = 24;
const STATUS_ICON: Record<string, string> = {
  queued: '◷',
  running: '▶',
  completed: '✓',
  failed: '✗',
  stopped: '■',
  interrupted: '!',
  unreadable: '⚠',
};

const itemKey = (item: Item): string => (item.kind === 'run' ? `run:${item.row.id}` : `group:${item.group.key}`);

export class ExperimentsTable {
  readonly element: HTMLElement;
  private snapshot: ExperimentsSnapshot | null = null;
  /** The rows that pass the filter, sorted, and their groups: recomputed here on every view change. */
  private arranged: Arranged<ExperimentRow> | null = null;
  private view: ExperimentsView;
  private seq = 0;
  private columns: Column[] = [];
  private items: Item[] = [];
  private readonly selected = new Set<string>();
  private readonly expanded = new Set<string>();
  private anchor: number | null = null;
  private readonly header = h('div', { class: 'xrow xhead', role: 'row' });
  private readonly body: VirtualRows<Item>;
  private readonly count = h('span', { class: 'count', 'data-testid': 'count' });
  private readonly groupNote = h('p', { class: 'note group-note', 'data-testid': 'group-note', hidden: true });
  private readonly warnings = h('ul', { class: 'warnings', hidden: true });
  private readonly plot: ParallelCoords;
  private readonly controls: {
    value: HTMLSelectElement;
    bestMetric: HTMLSelectElement;
    epoch: HTMLInputElement;
    group: HTMLSelectElement;
    except: HTMLSelectElement;
    text: HTMLInputElement;
    status: HTMLSelectElement;
    tag: HTMLSelectElement;
    columns: HTMLDetailsElement;
    plotMetric: HTMLSelectElement;
    band: HTMLSelectElement;
  };
  private readonly actionButtons: Record<'compare' | 'tags' | 'note' | 'csv', HTMLButtonElement>;

  constructor(
    theme: Theme,
    private readonly hooks: ExperimentsHooks,
    initial: ExperimentsView = DEFAULT_EXPERIMENTS_VIEW,
  ) {
    this.view = structuredClone(initial);
    const metricOptions = (selected: MetricName) =>
      METRIC_NAMES.map((m) => h('option', { value: m, selected: m === selected }, METRIC_LABELS[m]));
    this.controls = {
      value: h(
        'select',
        { 'data-control': 'value', 'aria-label': 'Values shown' },
        h('option', { value: 'last' }, 'last evaluation'),
        h('option', { value: 'best' }, 'best by'),
        h('option', { value: 'epoch' }, 'at epoch'),
      ),
      bestMetric: h('select', { 'data-control': 'best-metric', 'aria-label': 'Best by metric' }, ...metricOptions('few')),
      epoch: h('input', {
        type: 'number',
        min: 0,
        step: 1,
        value: 1,
        'data-control': 'epoch',
        'aria-label': 'Epoch',
        class: 'epoch-input',
      }),
      group: h(
        'select',
        { 'data-control': 'group', 'aria-label': 'Group by config' },
        h('option', { value: 'none' }, 'no grouping'),
        h('option', { value: 'seed' }, 'everything but seed'),
        h('option', { value: 'except' }, 'everything except…'),
      ),
      except: h('select', { 'data-control': 'except', 'aria-label': 'Keys left out of the grouping', multiple: true, size: 4 }),
      text: h('input', {
        type: 'search',
        placeholder: 'filter: name, tag, config value',
        'data-control': 'filter',
        'aria-label': 'Filter',
      }),
      status: h(
        'select',
        { 'data-control': 'status', 'aria-label': 'Status' },
        h('option', { value: '' }, 'any status'),
        ...['queued', 'running', 'completed', 'failed', 'stopped', 'interrupted', 'unreadable'].map((s) => h('option', { value: s }, s)),
      ),
      tag: h('select', { 'data-control': 'tag', 'aria-label': 'Tag' }, h('option', { value: '' }, 'any tag')),
      columns: h('details', { class: 'columns-menu', 'data-control': 'columns' }),
      plotMetric: h('select', { 'data-control': 'plot-metric', 'aria-label': 'Parallel coordinates metric' }, ...metricOptions('few')),
      band: h(
        'select',
        { 'data-control': 'band', 'aria-label': 'Group band in Compare' },
        h('option', { value: 'std' }, 'band ± std'),
        h('option', { value: 'minmax' }, 'band min–max'),
      ),
    };
    const action = (label: string, id: string, fn: () => void) => {
      const b = h('button', { type: 'button', 'data-action': id }, label);
      b.addEventListener('click', fn);
      return b;
    };
    this.actionButtons = {
      compare: action('Compare', 'compare', () => this.compare()),
      tags: action('Tags…', 'tags', () => this.hooks.editTags(this.selectedRunIds())),
      note: action('Note…', 'note', () => {
        const [id] = this.selectedRunIds();
        if (id) this.hooks.editNote(id);
      }),
      csv: action('Export CSV', 'csv', () => this.exportCsv()),
    };
    this.plot = new ParallelCoords(theme);
    this.body = new VirtualRows<Item>({ rowHeight: ROW_HEIGHT, render: (item, i, el) => this.renderRow(item, i, el) });
    this.body.element.setAttribute('data-testid', 'rows');
    this.body.element.addEventListener('keydown', (e) => this.onKey(e));
    const c = this.controls;
    this.element = h(
      'div',
      { class: 'experiments', role: 'grid', 'aria-label': 'Experiments' },
      h(
        'div',
        { class: 'xtoolbar' },
        h('label', {}, 'Values ', c.value),
        c.bestMetric,
        c.epoch,
        h('label', {}, 'Group ', c.group),
        c.except,
        c.text,
        c.status,
        c.tag,
        c.columns,
        h('span', { class: 'spacer' }),
        this.count,
      ),
      h(
        'div',
        { class: 'xtoolbar actions' },
        this.actionButtons.compare,
        c.band,
        this.actionButtons.tags,
        this.actionButtons.note,
        this.actionButtons.csv,
        h('label', {}, 'Parallel coordinates by ', c.plotMetric),
      ),
      this.groupNote,
      this.warnings,
      h('div', { class: 'xtable' }, this.header, this.body.element),
      this.plot.element,
    );
    this.wireControls();
    this.syncControls();
  }

  private wireControls(): void {
    const c = this.controls;
    const valueChanged = (e: Event) => {
      const kind = c.value.value;
      this.view.value =
        kind === 'best'
          ? { kind: 'best', by: c.bestMetric.value as MetricName }
          : kind === 'epoch'
            ? { kind: 'epoch', epoch: Math.max(0, Math.floor(Number(c.epoch.value) || 0)) }
            : { kind: 'last' };
      this.changed(e);
    };
    c.value.addEventListener('change', valueChanged);
    c.bestMetric.addEventListener('change', valueChanged);
    c.epoch.addEventListener('change', valueChanged);
    const groupChanged = (e: Event) => {
      const g = c.group.value;
      const except = [...c.except.selectedOptions].map((o) => o.value);
      this.view.groupBy = g === 'none' ? null : g === 'seed' ? { except: ['seed'] } : { except };
      this.expanded.clear();
      this.changed(e);
    };
    c.group.addEventListener('change', groupChanged);
    c.except.addEventListener('change', groupChanged);
    c.text.addEventListener('input', (e) => {
      this.view.filter = { ...this.view.filter, text: c.text.value };
      this.changed(e);
    });
    c.status.addEventListener('change', (e) => {
      this.view.filter = { ...this.view.filter, status: c.status.value };
      this.changed(e);
    });
    c.tag.addEventListener('change', (e) => {
      this.view.filter = { ...this.view.filter, tag: c.tag.value };
      this.changed(e);
    });
    c.plotMetric.addEventListener('change', (e) => {
      this.view.plotMetric = c.plotMetric.value as MetricName;
      this.changed(e);
    });
    c.band.addEventListener('change', (e) => {
      this.view.band = c.band.value === 'minmax' ? 'minmax' : 'std';
      this.changed(e);
    });
  }

  /** Controls show the view (after a restore or a snapshot). */
  private syncControls(): void {
    const c = this.controls;
    const v = this.view;
    c.value.value = v.value.kind;
    c.bestMetric.hidden = v.value.kind !== 'best';
    if (v.value.kind === 'best') c.bestMetric.value = v.value.by;
    c.epoch.hidden = v.value.kind !== 'epoch';
    if (v.value.kind === 'epoch') c.epoch.value = String(v.value.epoch);
    const seedOnly = v.groupBy !== null && v.groupBy.except.length === 1 && v.groupBy.except[0] === 'seed';
    c.group.value = v.groupBy === null ? 'none' : seedOnly ? 'seed' : 'except';
    c.except.hidden = c.group.value !== 'except';
    if (c.text.value !== v.filter.text) c.text.value = v.filter.text;
    c.status.value = v.filter.status;
    c.plotMetric.value = v.plotMetric;
    c.band.value = v.band;
  }

  /**
   * A user changed the view: filter, sort and group here and lay out at once, then tell the host
   * (it persists the view; a new value mode makes it send rows with the new values). `data-painted-seq`
   * and `data-view-ms` (from the event to the frame painted) are set once the new order is on screen.
   */
  private changed(event?: Event): void {
    const t0 = event?.timeStamp ?? performance.now();
    this.syncControls();
    this.seq++;
    this.rearrange();
    this.layout();
    this.hooks.viewChanged(structuredClone(this.view), this.seq);
    this.markPainted(this.seq, t0);
  }

  /** After the next frame is painted: a message posted from a frame callback arrives once that frame is done. */
  private markPainted(seq: number, t0: number): void {
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        if (seq !== this.seq) return; // a newer change is being painted; it reports itself
        this.element.dataset.viewMs = (performance.now() - t0).toFixed(2);
        this.element.dataset.paintedSeq = String(seq);
      };
      channel.port2.postMessage(null);
    });
  }

  /** Filters, sorts and groups the rows as the view says (the host's code, on this side). */
  private rearrange(): void {
    const s = this.snapshot;
    if (!s) return;
    const t0 = performance.now();
    this.arranged = arrangeRows(s.rows, this.view);
    this.element.dataset.arrangeMs = (performance.now() - t0).toFixed(2);
  }

  /** A live update: the changed runs' rows replace theirs, and the table is arranged again (a new value may move a row). */
  applyUpdate(update: ExperimentsUpdate): void {
    const s = this.snapshot;
    if (!s) return;
    const changed = new Map(update.rows.map((r) => [r.id, r]));
    s.rows = s.rows.map((r) => changed.get(r.id) ?? r);
    for (const r of update.rows) searchText(r);
    s.configKeys = update.configKeys;
    s.builtAt = update.builtAt;
    this.element.dataset.builtAt = update.builtAt;
    this.rearrange();
    this.layout();
  }

  apply(snapshot: ExperimentsSnapshot): void {
    const first = this.snapshot === null;
    this.snapshot = snapshot;
    // A snapshot built for an older view keeps the newer local one (the rows for it are coming).
    if (first || snapshot.seq >= this.seq) {
      this.view = structuredClone(snapshot.view);
      this.seq = Math.max(this.seq, snapshot.seq);
    }
    // The search text of every row now, so the first keystroke filters as fast as the next.
    for (const r of snapshot.rows) searchText(r);
    const tags = [...new Set(snapshot.rows.flatMap((r) => r.tags))].sort();
    this.controls.tag.replaceChildren(h('option', { value: '' }, 'any tag'), ...tags.map((t) => h('option', { value: t }, t)));
    this.controls.tag.value = tags.includes(this.view.filter.tag) ? this.view.filter.tag : '';
    const exceptChosen = new Set(this.view.groupBy?.except ?? []);
    this.controls.except.replaceChildren(...snapshot.configKeys.map((k) => h('option', { value: k, selected: exceptChosen.has(k) }, k)));
    this.renderColumnsMenu(snapshot.configKeys);
    this.warnings.hidden = snapshot.warnings.length === 0;
    this.warnings.replaceChildren(...snapshot.warnings.slice(0, 20).map((w) => h('li', {}, w)));
    this.syncControls();
    this.rearrange();
    this.layout();
    this.element.dataset.builtAt = snapshot.builtAt;
  }

  private renderColumnsMenu(keys: readonly string[]): void {
    const menu = this.controls.columns;
    const shown = new Set(this.view.configColumns ?? keys);
    const boxes = keys.map((k) => {
      const box = h('input', { type: 'checkbox', value: k, checked: shown.has(k), 'data-column': k });
      box.addEventListener('change', (e) => {
        const cols = (this.view.configColumns ?? [...keys]).filter((x) => x !== k);
        if (box.checked) cols.push(k);
        this.view.configColumns = cols;
        this.changed(e);
      });
      return h('label', { class: 'column-choice' }, box, k);
    });
    menu.replaceChildren(
      h('summary', {}, `Config columns (${keys.filter((k) => shown.has(k)).length}/${keys.length})`),
      h('div', { class: 'column-list' }, ...boxes),
    );
  }

  /** Lays out the arranged rows (groups nested, expanded ones with their members); redraws header and rows. */
  private layout(): void {
    const s = this.snapshot;
    const arranged = this.arranged;
    if (!s || !arranged) return;
    const t0 = performance.now();
    this.columns = columnsFor(this.view, s.configKeys);
    const items: Item[] = [];
    if (arranged.groups) {
      const except = this.view.groupBy?.except ?? [];
      for (const g of arranged.groups) {
        const expanded = this.expanded.has(g.key);
        items.push({ kind: 'group', group: g, label: shownGroupLabel(g, s.configKeys, except), expanded });
        if (expanded) for (const r of g.members) items.push({ kind: 'run', row: r, member: true });
      }
    } else for (const r of arranged.rows) items.push({ kind: 'run', row: r, member: false });
    this.items = items;
    const note = groupNoteText(arranged.groups);
    this.groupNote.hidden = note === null;
    setText(this.groupNote, note ?? '');
    const template = this.columns.map((c) => `${c.width}px`).join(' ');
    this.element.style.setProperty('--xcols', `28px ${template}`);
    this.renderHeader();
    this.body.setItems(items);
    const groups = arranged.groups?.length ?? 0;
    setText(
      this.count,
      `${arranged.rows.length} of ${s.rows.length} runs${arranged.groups ? ` · ${groups} groups` : ''} · ${this.selected.size} selected`,
    );
    this.updateActions();
    this.updatePlot();
    this.element.dataset.layoutMs = (performance.now() - t0).toFixed(2);
  }

  private renderHeader(): void {
    const sort = this.view.sort;
    this.header.replaceChildren(
      h('span', { class: 'xcell select', role: 'columnheader' }),
      ...this.columns.map((c) => {
        const dir = sort?.column === c.id ? (sort.descending ? 'descending' : 'ascending') : 'none';
        const cell = h(
          'span',
          { class: `xcell${c.numeric ? ' num' : ''}`, role: 'columnheader', title: c.title, 'aria-sort': dir, 'data-column': c.id },
          c.label,
          dir === 'none' ? '' : dir === 'ascending' ? ' ▲' : ' ▼',
        );
        cell.addEventListener('click', (e) => this.sortBy(c.id, e));
        return cell;
      }),
    );
  }

  /** Click: sort by the column (numbers descending first: best on top), again: reverse. */
  sortBy(column: string, event?: Event): void {
    const cur = this.view.sort;
    const col = this.columns.find((c) => c.id === column);
    if (cur?.column === column) this.view.sort = { column, descending: !cur.descending };
    else this.view.sort = { column, descending: col?.numeric ?? false };
    this.changed(event);
  }

  private renderRow(item: Item, index: number, recycled: HTMLElement | null): HTMLElement {
    const el = recycled ?? h('div', { role: 'row' });
    const key = itemKey(item);
    el.className = `xrow ${item.kind}${item.kind === 'run' && item.member ? ' member' : ''}${item.kind === 'run' && item.row.problem ? ' problem' : ''}`;
    el.dataset.key = key;
    el.dataset.index = String(index);
    el.setAttribute('aria-selected', String(this.selected.has(key)));
    if (item.kind === 'run') {
      el.dataset.run = item.row.id;
      delete el.dataset.group;
      el.title = this.tooltip(item.row);
    } else {
      el.dataset.group = item.group.key;
      delete el.dataset.run;
      const ids = item.group.members.slice(0, 12).map((m) => m.id);
      el.title = `${item.label}\n${item.group.members.length} runs: ${ids.join(', ')}${item.group.members.length > 12 ? ', …' : ''}`;
    }
    const box = h('input', { type: 'checkbox', class: 'xcell select', 'aria-label': 'select', checked: this.selected.has(key) });
    box.addEventListener('click', (e) => {
      e.stopPropagation();
      this.toggle(index, e.shiftKey ? 'range' : 'toggle');
    });
    const cells = this.columns.map((c) => {
      const text = c.text(item);
      const cell = h('span', { class: `xcell${c.numeric ? ' num' : ''}`, role: 'gridcell', 'data-field': c.id }, text);
      if (c.id === 'status' && item.kind === 'run') {
        cell.textContent = STATUS_ICON[item.row.status] ?? '?';
        cell.dataset.status = item.row.status;
        cell.title = item.row.problem ? `${item.row.status}: ${item.row.problem}` : item.row.status;
      }
      if (c.id === 'name' && item.kind === 'group') {
        cell.textContent = `${item.expanded ? '▾' : '▸'} ${text}`;
        cell.classList.add('expander');
        cell.addEventListener('click', (e) => {
          e.stopPropagation();
          this.toggleGroup(item.group.key);
        });
      }
      if (c.id === 'tags' && item.kind === 'run') {
        cell.replaceChildren(...item.row.tags.map((t) => h('span', { class: 'tag' }, t)));
        if (item.row.metaProblem) cell.append(h('span', { class: 'meta-problem', title: item.row.metaProblem }, '⚠'));
      }
      return cell;
    });
    el.replaceChildren(box, ...cells);
    el.onclick = (e) => this.toggle(index, e.shiftKey ? 'range' : e.ctrlKey || e.metaKey ? 'toggle' : 'only');
    el.ondblclick = () => {
      if (item.kind === 'run' && item.row.status !== 'unreadable') this.hooks.open(item.row.id);
      else if (item.kind === 'group') this.toggleGroup(item.group.key);
    };
    return el;
  }

  private tooltip(r: ExperimentRow): string {
    const lines = [`${r.name} (${r.id}) · ${r.status}`];
    if (r.problem) lines.push(`problem: ${r.problem}`);
    if (r.metaProblem) lines.push(`meta.json: ${r.metaProblem}`);
    if (r.tags.length) lines.push(`tags: ${r.tags.join(' ')}`);
    if (r.note) lines.push(`note: ${r.note}`);
    return lines.join('\n');
  }

  private toggleGroup(key: string): void {
    if (this.expanded.has(key)) this.expanded.delete(key);
    else this.expanded.add(key);
    this.layout();
  }

  private toggle(index: number, how: 'only' | 'toggle' | 'range'): void {
    const item = this.items[index];
    if (!item) return;
    const key = itemKey(item);
    if (how === 'range' && this.anchor !== null) {
      const [a, b] = [Math.min(this.anchor, index), Math.max(this.anchor, index)];
      for (let i = a; i <= b; i++) this.selected.add(itemKey(this.items[i]!));
    } else if (how === 'toggle') {
      if (this.selected.has(key)) this.selected.delete(key);
      else this.selected.add(key);
      this.anchor = index;
    } else {
      this.selected.clear();
      this.selected.add(key);
      this.anchor = index;
    }
    this.body.refresh();
    this.updateActions();
    this.updatePlot();
    const s = this.snapshot;
    if (s) setText(this.count, this.count.textContent.replace(/\d+ selected$/, `${this.selected.size} selected`));
  }

  private onKey(e: KeyboardEvent): void {
    if ((e.key === 'a' || e.key === 'A') && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      for (const item of this.items) this.selected.add(itemKey(item));
      this.body.refresh();
      this.updateActions();
      this.updatePlot();
    }
  }

  /** Selected items, in table order, that still exist. */
  private selectedItems(): Item[] {
    return this.items.filter((i) => this.selected.has(itemKey(i)));
  }

  private selectedRunIds(): string[] {
    const ids = new Set<string>();
    for (const i of this.selectedItems()) {
      if (i.kind === 'run') ids.add(i.row.id);
      else for (const m of i.group.members) ids.add(m.id);
    }
    return [...ids];
  }

  private updateActions(): void {
    const items = this.selectedItems();
    const runs = this.selectedRunIds();
    this.actionButtons.compare.disabled = !(items.length >= 2 || items.some((i) => i.kind === 'group'));
    this.actionButtons.tags.disabled = runs.length === 0;
    this.actionButtons.note.disabled = !(items.length === 1 && items[0]!.kind === 'run');
  }

  private compare(): void {
    const items = this.selectedItems().map((i): CompareItemWire =>
      i.kind === 'run' ? { kind: 'run', runId: i.row.id } : { kind: 'group', label: i.label, runIds: i.group.members.map((m) => m.id) },
    );
    if (items.length) this.hooks.compare(items, this.view.band);
  }

  private updatePlot(): void {
    const s = this.snapshot;
    if (!s) return;
    const m = this.view.plotMetric;
    const lines: PlotLine[] = this.selectedItems().map((i) =>
      i.kind === 'run'
        ? { label: i.row.name, config: i.row.config, metric: i.row.metrics[m] }
        : { label: i.label, config: groupConfig(i.group, s.configKeys), metric: i.group.metrics[m]?.mean ?? null },
    );
    this.plot.update(lines, s.configKeys, m);
  }

  private exportCsv(): void {
    this.hooks.exportCsv();
  }

  setTheme(theme: Theme): void {
    this.plot.setTheme(theme);
  }

  /** Test and benchmark probes. */
  get renderedRows(): number {
    return this.body.renderedCount;
  }

  get shownItems(): number {
    return this.items.length;
  }

  dispose(): void {
    this.body.dispose();
    this.plot.dispose();
  }
}
