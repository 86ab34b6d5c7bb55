// CSV exports (pure: no DOM, unit-tested). Classes in display order, head to tail.
import type { SparseMatrix } from '../../src/protocol/matrixCodec';
import type { ClassTable, EvalDetail } from '../../src/protocol/snapshot';

/** RFC 4180 quoting; a leading = + - @ is prefixed with ' so spreadsheets do not run it as a formula. */
export function csvField(v: string | number): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const line = (fields: (string | number)[]) => fields.map(csvField).join(',');

export function perClassCsv(classes: ClassTable, detail: EvalDetail): string {
  const rows = [line(['class', 'label', 'group', 'train_images', 'test_images', 'accuracy'])];
  classes.names.forEach((name, i) => {
    rows.push(
      line([name, classes.label[i]!, classes.groups[i]!, classes.trainCounts[i]!, classes.testCounts[i]!, detail.perClassAccuracy[i]!]),
    );
  });
  return rows.join('\n') + '\n';
}

/** Classes up to which the confusion CSV is a table; beyond, a table would be size^2 cells (66 million at 8,142). */
export const WIDE_CSV_MAX = 2000;

/**
 * Up to WIDE_CSV_MAX classes: rows = true class, columns = predicted class, both head to tail;
 * first row and column name them. Beyond: one line per non-zero cell (true, predicted, count).
 */
export function confusionCsv(names: readonly string[], m: SparseMatrix): string {
  const size = m.size;
  if (size > WIDE_CSV_MAX) {
    const rows = [line(['true', 'predicted', 'count'])];
    for (let r = 0; r < size; r++)
      for (let k = m.rowStart[r]!; k < m.rowStart[r + 1]!; k++) rows.push(line([names[r]!, names[m.col[k]!]!, m.value[k]!]));
    return rows.join('\n') + '\n';
  }
  const rows = [line(['true \\ predicted', ...names])];
  const cells = new Array<string | number>(size + 1);
  for (let r = 0; r < size; r++) {
    cells[0] = names[r]!;
    cells.fill(0, 1);
    for (let k = m.rowStart[r]!; k < m.rowStart[r + 1]!; k++) cells[m.col[k]! + 1] = m.value[k]!;
    rows.push(line(cells));
  }
  return rows.join('\n') + '\n';
}

/** A bare, safe file name (the host's save dialog proposes it; the user picks the folder). */
export function exportName(...parts: string[]): string {
  const ext = parts.pop()!;
  const base = parts
    .join(' ')
    .replace(/[^A-Za-z0-9 ._()-]+/g, '-')
    .replace(/^[^A-Za-z0-9_]+/, '')
    .slice(0, 110);
  return `${base || 'export'}.${ext}`;
}
