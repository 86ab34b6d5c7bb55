// A virtualised list: a scroller whose content is as tall as all rows, holding DOM nodes only
// for the rows in view (plus a small margin). 1,000 runs cost ~40 nodes, not 1,000.
import { h } from '../dom';

export interface VirtualRowsOptions<T> {
  rowHeight: number;
  /** Builds (or refills) the element of one item; `el` is a recycled node or null. */
  render(item: T, index: number, el: HTMLElement | null): HTMLElement;
  /** Extra rows rendered above and below the visible ones. */
  overscan?: number;
}

export class VirtualRows<T> {
  readonly element: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly layer: HTMLElement;
  private items: readonly T[] = [];
  private readonly pool: HTMLElement[] = [];
  private first = -1;
  private last = -1;
  private queued = false;
  private readonly resize: ResizeObserver;

  constructor(private readonly options: VirtualRowsOptions<T>) {
    this.layer = h('div', { class: 'vrows-layer', role: 'rowgroup' });
    this.spacer = h('div', { class: 'vrows-spacer' }, this.layer);
    this.element = h('div', { class: 'vrows', tabindex: 0 }, this.spacer);
    this.element.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.resize = new ResizeObserver(() => this.schedule());
    this.resize.observe(this.element);
  }

  /** New items: re-renders the visible window now (a sort or filter shows in this frame). */
  setItems(items: readonly T[]): void {
    this.items = items;
    this.spacer.style.height = `${items.length * this.options.rowHeight}px`;
    this.first = this.last = -1;
    this.draw();
  }

  /** Redraws the visible rows (their data changed, not the list). */
  refresh(): void {
    this.first = this.last = -1;
    this.draw();
  }

  scrollToIndex(index: number): void {
    this.element.scrollTop = Math.max(0, index * this.options.rowHeight);
    this.draw();
  }

  /** Rendered DOM rows (tests and the benchmark read it). */
  get renderedCount(): number {
    return this.layer.childElementCount;
  }

  private schedule(): void {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      this.draw();
    });
  }

  private draw(): void {
    const rh = this.options.rowHeight;
    const over = this.options.overscan ?? 6;
    const height = this.element.clientHeight || 600;
    const first = Math.max(0, Math.floor(this.element.scrollTop / rh) - over);
    const last = Math.min(this.items.length, Math.ceil((this.element.scrollTop + height) / rh) + over);
    if (first === this.first && last === this.last) return;
    this.first = first;
    this.last = last;
    const old = [...this.layer.children] as HTMLElement[];
    this.pool.push(...old);
    const nodes: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const el = this.options.render(this.items[i]!, i, this.pool.pop() ?? null);
      el.style.transform = `translateY(${i * rh}px)`;
      nodes.push(el);
    }
    this.layer.replaceChildren(...nodes);
    this.pool.length = Math.min(this.pool.length, 100);
    this.element.dataset.first = String(first);
    this.element.dataset.rendered = String(nodes.length);
  }

  dispose(): void {
    this.resize.disconnect();
  }
}
