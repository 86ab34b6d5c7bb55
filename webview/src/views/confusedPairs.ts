// The top confused pairs of an evaluation (true -> predicted, count, share of the true class),
// from the host's list (EvalDetail.topPairs): sortable by count or share, filtered by the true
// class's shot group; a click on a pair shows its test images.
import { SHOT_GROUP_NAMES, type ClassTable, type ConfusedPair, type ShotGroupName } from '../../../src/protocol/snapshot';
import { h, pct } from '../dom';
import { select } from './controls';

type SortKey = 'count' | 'share';
type GroupFilter = 'all' | ShotGroupName;

export class ConfusedPairsView {
  readonly element: HTMLElement;
  private readonly body = h('tbody');
  private readonly heads: Record<SortKey, HTMLElement>;
  private pairs: ConfusedPair[] = [];
  private classes: ClassTable | null = null;
  private sort: SortKey = 'count';
  private group: GroupFilter = 'all';

  /** `pick(trueDisplay, predDisplay)`: a pair was clicked (null when the view has no host). */
  constructor(private readonly pick: ((t: number, p: number) => void) | null) {
    const head = (key: SortKey, label: string) => {
      const th = h('th', { class: 'num sortable', 'data-sort': key, tabindex: 0, role: 'button', title: `Sort by ${label}` }, label);
      const go = () => {
        this.sort = key;
        this.render();
      };
      th.addEventListener('click', go);
      th.addEventListener('keydown', (ev) => (ev.key === 'Enter' ? go() : undefined));
      return th;
    };
    this.heads = { count: head('count', 'images'), share: head('share', 'share of true class') };
    const filter = select(
      [{ value: 'all', label: 'all groups' }, ...SHOT_GROUP_NAMES.map((g) => ({ value: g, label: `true class ${g}` }))],
      'all',
      (v) => {
        this.group = v as GroupFilter;
        this.render();
      },
      { 'data-testid': 'pairs-group' },
    );
    this.element = h(
      'section',
      { class: 'confused-pairs' },
      h('h3', {}, 'Top confused pairs'),
      h('div', { class: 'toolbar' }, h('label', {}, 'Show '), filter),
      h(
        'table',
        { class: 'pairs', 'data-testid': 'confused-pairs' },
        h('thead', {}, h('tr', {}, h('th', {}, 'true → predicted'), h('th', {}, 'group'), this.heads.count, this.heads.share)),
        this.body,
      ),
    );
  }

  set(pairs: ConfusedPair[], classes: ClassTable): void {
    this.pairs = pairs;
    this.classes = classes;
    this.render();
  }

  private render(): void {
    const cls = this.classes;
    if (!cls) return;
    for (const k of ['count', 'share'] as const) this.heads[k].dataset.active = String(k === this.sort);
    const rows = this.pairs
      .filter((p) => this.group === 'all' || cls.groups[p.true] === this.group)
      .sort(
        (a, b) =>
          (this.sort === 'count' ? b.count - a.count || b.share - a.share : b.share - a.share || b.count - a.count) ||
          a.true - b.true ||
          a.pred - b.pred,
      );
    this.body.replaceChildren(
      ...rows.map((p) => {
        const tr = h(
          'tr',
          { 'data-true': cls.label[p.true]!, 'data-pred': cls.label[p.pred]!, ...(this.pick ? { tabindex: 0, class: 'clickable' } : {}) },
          h('td', {}, `${cls.names[p.true]} → ${cls.names[p.pred]}`),
          h('td', {}, cls.groups[p.true]),
          h('td', { class: 'num', 'data-field': 'count' }, String(p.count)),
          h('td', { class: 'num', 'data-field': 'share' }, pct(p.share)),
        );
        if (this.pick) {
          const go = () => this.pick?.(p.true, p.pred);
          tr.addEventListener('click', go);
          tr.addEventListener('keydown', (ev) => (ev.key === 'Enter' ? go() : undefined));
        }
        return tr;
      }),
    );
    if (rows.length === 0) this.body.replaceChildren(h('tr', {}, h('td', { colspan: 4, class: 'note' }, 'No confusions.')));
  }
}
