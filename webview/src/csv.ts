// CSV exports (pure: no DOM, unit-tested). Classes in display order, head to tail.
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

/** Rows = true class, columns = predicted class, both head to tail; first row and column name them. */
export function confusionCsv(names: readonly string[], counts: ArrayLike<number>, size: number): string {
  const rows = [line(['true \\ predicted', ...names])];
  for (let r = 0; r < size; r++) {
    const cells = new Array<string | number>(size + 1);
    cells[0] = names[r]!;
    for (let c = 0; c < size; c++) cells[c + 1] = counts[r * size + c]!;
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
