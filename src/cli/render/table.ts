// Plain text tables: a header, a rule, one line per row, columns two spaces apart.
import { padEnd, padStart, textWidth } from './format';

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/** Lines of the table (no trailing spaces); an empty `rows` still prints the header. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string[] {
  const widths = columns.map((c, i) => Math.max(textWidth(c.header), ...rows.map((r) => textWidth(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => (c.align === 'right' ? padStart(cells[i] ?? '', widths[i]!) : padEnd(cells[i] ?? '', widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.header)),
    widths
      .map((w) => '-'.repeat(w))
      .join('  ')
      .trimEnd(),
    ...rows.map(line),
  ];
}

/** "key   value" lines with the keys padded to one width. */
export function renderFields(fields: readonly (readonly [string, string])[]): string[] {
  const w = Math.max(0, ...fields.map(([k]) => textWidth(k)));
  return fields.map(([k, v]) => `${padEnd(k, w)}  ${v}`.trimEnd());
}
