// A small text confusion matrix for `gpaco show` (up to ~20 classes): rows = true class,
// columns = predicted, % of each row, classes head to tail, with the many / medium / few
// blocks separated, and a last row with each column's share of all predictions (a model biased
// to the head puts far more than 1/C of its predictions into head columns).
import type { ShotGroup } from '../../core/contract';
import { headToTailOrder, rowNormalize } from '../../core/evalMath';
import { padEnd, padStart, truncate } from './format';

export interface ConfusionView {
  confusion: number[][];
  names: readonly string[];
  trainCounts: readonly number[];
  assignment: readonly ShotGroup[];
}

/** Largest number of classes `gpaco show` draws as text. */
export const MAX_TEXT_CONFUSION_CLASSES = 20;

const CELL = 4;
const LABEL = 18;

export function renderConfusion(view: ConfusionView): string[] {
  const { confusion, names, trainCounts, assignment } = view;
  const order = headToTailOrder(trainCounts);
  const norm = rowNormalize(confusion);
  // A group boundary sits before position i when the group changes there.
  const boundary = (i: number) => i > 0 && assignment[order[i]!] !== assignment[order[i - 1]!];
  const cells = (values: (string | undefined)[]) => values.map((v, i) => `${boundary(i) ? ' |' : ''}${padStart(v ?? '', CELL)}`).join('');

  const lines: string[] = [];
  lines.push('rows: true class, columns: predicted class (index), % of the row; head to tail; M / m / f = many / medium / few');
  lines.push(`${padEnd('', LABEL)}${cells(order.map((c) => String(c)))}`);
  const rule = `${'-'.repeat(LABEL)}${cells(order.map(() => '----')).replace(/[^|]/g, '-')}`;
  order.forEach((c, i) => {
    if (boundary(i)) lines.push(rule);
    const label = truncate(`${groupLetter(assignment[c]!)} ${c} ${names[c] ?? ''}`, LABEL - 1);
    const row = order.map((p) => {
      const v = norm[c]![p]!;
      return v === 0 ? '.' : String(Math.round(v * 100));
    });
    lines.push(`${padEnd(label, LABEL)}${cells(row)}`.trimEnd());
  });
  const total = confusion.flat().reduce((a, b) => a + b, 0);
  const colShare = order.map((p) => {
    const col = confusion.reduce((a, row) => a + row[p]!, 0);
    return total === 0 ? '-' : String(Math.round((col / total) * 100));
  });
  lines.push(rule);
  lines.push(`${padEnd('predicted %', LABEL)}${cells(colShare)}`.trimEnd());
  return lines;
}

function groupLetter(g: ShotGroup): string {
  switch (g) {
    case 'many':
      return 'M';
    case 'medium':
      return 'm';
    case 'few':
      return 'f';
    default: {
      const never: never = g;
      return never;
    }
  }
}
