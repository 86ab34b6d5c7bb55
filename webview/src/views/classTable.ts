// Per-class table: name, training images, group, accuracy and the class it is most often
// mistaken for, with a name search. Rows are virtualised (only the visible ones exist in the
// DOM), so 8,142 classes scroll like 10.
import type { ClassTable, EvalDetail } from '../../../src/protocol/snapshot';
import { h, pct } from '../dom';

/** Must match .class-row's height in styles.css. */
const ROW_HEIGHT = 22;
const VISIBLE_ROWS = 14;

export class ClassTableView {
  readonly element: HTMLElement;
  private readonly search = h('input', {
    type: 'search',
    placeholder: 'Search classes',
    'data-testid': 'class-search',
    'aria-label': 'Search classes by name',
  });
  private readonly count = h('span', { class: 'note', 'data-field': 'class-count' });
  private readonly viewport = h('div', { class: 'class-viewport', 'data-testid': 'class-table', tabindex: 0 });
  private readonly spacer = h('div', { class: 'class-spacer' });
  private readonly rows = h('div', { class: 'class-rows' });
  /** Display positions matching the search, head to tail. */
  private matches: number[] = [];
  private classes: ClassTable | null = null;
  private detail: EvalDetail | null = null;

  constructor() {
    this.viewport.style.height = `${ROW_HEIGHT * VISIBLE_ROWS}px`;
    this.spacer.append(this.rows);
    this.viewport.append(this.spacer);
    this.viewport.addEventListener('scroll', () => this.draw());
    this.search.addEventListener('input', () => this.filter());
    const head = h(
      'div',
      { class: 'class-row class-head' },
      ...['class', 'train', 'group', 'accuracy', 'most confused with'].map((t) => h('span', {}, t)),
    );
    this.element = h(
      'section',
      { class: 'class-table' },
      h('h3', {}, 'Classes'),
      h('div', { class: 'toolbar' }, this.search, this.count),
      head,
      this.viewport,
    );
  }

  set(classes: ClassTable, detail: EvalDetail): void {
    this.classes = classes;
    this.detail = detail;
    this.filter();
  }

  private filter(): void {
    const cls = this.classes;
    if (!cls) return;
    const q = this.search.value.trim().toLowerCase();
    this.matches = [];
    for (let i = 0; i < cls.names.length; i++) if (!q || cls.names[i]!.toLowerCase().includes(q)) this.matches.push(i);
    this.count.textContent = `${this.matches.length} of ${cls.names.length} classes`;
    this.spacer.style.height = `${this.matches.length * ROW_HEIGHT}px`;
    this.draw();
  }

  private draw(): void {
    const cls = this.classes;
    const d = this.detail;
    if (!cls || !d) return;
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / ROW_HEIGHT) - 2);
    const last = Math.min(this.matches.length, first + VISIBLE_ROWS + 4);
    this.rows.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    const out: HTMLElement[] = [];
    for (let k = first; k < last; k++) {
      const i = this.matches[k]!;
      const w = d.mostConfusedWith?.[i] ?? -1;
      out.push(
        h(
          'div',
          { class: 'class-row', 'data-class': cls.label[i]! },
          h('span', { 'data-field': 'name' }, cls.names[i]),
          h('span', { 'data-field': 'train' }, String(cls.trainCounts[i])),
          h('span', { 'data-field': 'group' }, cls.groups[i]),
          h('span', { 'data-field': 'accuracy' }, pct(d.perClassAccuracy[i])),
          h('span', { 'data-field': 'confused' }, w >= 0 ? `${cls.names[w]} (${d.mostConfusedCount?.[i] ?? 0})` : '–'),
        ),
      );
    }
    this.rows.replaceChildren(...out);
  }
}
