// The experiments table, one implementation for the panel, `gpaco ls` and reports: rows with the
// metric values of a chosen evaluation (last, best by a metric, or at an epoch), and CSV of what
// is shown. Filtering, sorting, grouping with mean ± sample std and the differing config keys
// are src/protocol/experimentsTable.ts (re-exported here), which the Experiments webview runs
// on its own rows too.
import type { DisplayStatus } from '../contract';
import {
  groupCell,
  isMetricKey,
  METRIC_KEYS,
  METRIC_LABELS,
  parseColumn,
  rowCell,
  type CellValue,
  type ColumnId,
  type MetricKey,
  type TableGroup,
  type TableRow,
} from '../../protocol/experimentsTable';
import type { EvalPoint, ExperimentSummary } from './summary';

export {
  allConfigKeys,
  compareCells,
  differingConfigKeys,
  differingKeysOf,
  FIXED_COLUMNS,
  filterRows,
  groupCell,
  groupRows,
  isMetricKey,
  METRIC_KEYS,
  METRIC_LABELS,
  parseColumn,
  rowCell,
  sortGroups,
  sortRows,
  type CellValue,
  type ColumnId,
  type FixedColumn,
  type GroupOptions,
  type MetricKey,
  type ParsedColumn,
  type RowFilter,
  type SortDirection,
} from '../../protocol/experimentsTable';

/** Which evaluation a row's metric cells come from. */
export type ValueMode = { kind: 'last' } | { kind: 'best'; by: MetricKey } | { kind: 'epoch'; epoch: number };
/** Best is by few-shot accuracy unless another metric is chosen: the tail is what long-tailed work is about. */
export const DEFAULT_BEST_BY: MetricKey = 'few';

/** `last`, `best`, `best:top1`, `epoch:12` (the CLI's `--value`). */
export function parseValueMode(text: string): ValueMode | { error: string } {
  const t = text.trim();
  if (t === 'last') return { kind: 'last' };
  if (t === 'best') return { kind: 'best', by: DEFAULT_BEST_BY };
  if (t.startsWith('best:')) {
    const m = t.slice(5).replace('top-', 'top');
    return isMetricKey(m) ? { kind: 'best', by: m } : { error: `"${t}": best:METRIC takes one of ${METRIC_KEYS.join(', ')}` };
  }
  if (t.startsWith('epoch:')) {
    const e = Number(t.slice(6));
    return Number.isInteger(e) && e >= 0 ? { kind: 'epoch', epoch: e } : { error: `"${t}": epoch:N takes a whole number of epochs` };
  }
  return { error: `"${t}" is not a value mode: use last, best, best:METRIC (${METRIC_KEYS.join(', ')}) or epoch:N` };
}

/** What the metric columns show, for headers: "last", "best few", "epoch 12". */
export function describeValueMode(mode: ValueMode): string {
  switch (mode.kind) {
    case 'last':
      return 'last';
    case 'best':
      return `best ${METRIC_LABELS[mode.by]}`;
    case 'epoch':
      return `epoch ${mode.epoch}`;
    default:
      return assertNever(mode);
  }
}

function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}

// ---------------------------------------------------------------------------------------------
// Rows

/** A run's row: the summary, the evaluation the mode picks, and the fields the shared table code reads. */
export interface ExperimentRow extends TableRow {
  summary: ExperimentSummary;
  status: DisplayStatus;
  /** The evaluation the metric cells come from; undefined when the run has none for the mode. */
  source: EvalPoint | undefined;
  metrics: Record<MetricKey, number | undefined>;
}

/** Runs whose configs are equal except some keys, with mean ± sample std of every metric. */
export type ExperimentGroup = TableGroup<ExperimentRow>;

/** The evaluation a mode picks: the last (highest epoch), the best by a metric (ties: the earliest epoch), or the one at an epoch. */
export function pickEvaluation(evals: readonly EvalPoint[], mode: ValueMode): EvalPoint | undefined {
  switch (mode.kind) {
    case 'last': {
      let last: EvalPoint | undefined;
      for (const e of evals) if (!last || e.epoch >= last.epoch) last = e;
      return last;
    }
    case 'best': {
      let best: EvalPoint | undefined;
      // An evaluation without the metric (null: not recorded) is never the best by it.
      for (const e of evals) {
        const v = e[mode.by];
        if (v === null) continue;
        const b = best?.[mode.by] ?? null;
        if (!best || b === null || v > b || (v === b && e.epoch < best.epoch)) best = e;
      }
      return best;
    }
    case 'epoch': {
      let at: EvalPoint | undefined;
      for (const e of evals) if (e.epoch === mode.epoch) at = e;
      return at;
    }
    default:
      return assertNever(mode);
  }
}

export function buildRow(summary: ExperimentSummary, mode: ValueMode): ExperimentRow {
  const source = pickEvaluation(summary.evals, mode);
  const metrics = {} as Record<MetricKey, number | undefined>;
  for (const k of METRIC_KEYS) metrics[k] = source?.[k] ?? undefined;
  const s = summary;
  return {
    summary,
    source,
    metrics,
    id: s.id,
    name: s.name,
    status: s.status,
    tags: s.meta.tags,
    note: s.meta.note,
    backend: s.backend,
    sweepId: s.sweepId,
    createdAt: s.createdAt,
    durationSeconds: s.durationSeconds,
    epoch: s.epoch,
    classes: s.classes,
    valueEpoch: source?.epoch ?? null,
    config: s.config,
  };
}

export function buildRows(summaries: readonly ExperimentSummary[], mode: ValueMode): ExperimentRow[] {
  return summaries.map((s) => buildRow(s, mode));
}

// ---------------------------------------------------------------------------------------------
// CSV

export type TableItems = { kind: 'rows'; rows: readonly ExperimentRow[] } | { kind: 'groups'; groups: readonly ExperimentGroup[] };

/** Column header text; metric headers say which evaluation they show. */
export function columnHeader(col: ColumnId, mode: ValueMode): string {
  const c = parseColumn(col);
  if (!c) return col;
  switch (c.kind) {
    case 'metric':
      return `${METRIC_LABELS[c.metric]} (${describeValueMode(mode)})`;
    case 'config':
      return c.key;
    case 'fixed':
      return c.id === 'valueEpoch' ? `epoch of ${describeValueMode(mode)}` : c.id;
    default:
      return assertNever(c);
  }
}

function csvField(v: CellValue): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return String(v);
  // A cell a spreadsheet would run as a formula (a run name is workspace input) is quoted as text.
  const text = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * CSV (RFC 4180, CRLF line ends) of the rows or groups with the given columns, values as in the
 * table (fractions 0..1 for metrics). For groups each metric column becomes mean, std and n.
 */
export function tableToCsv(items: TableItems, columns: readonly ColumnId[], mode: ValueMode): string {
  const header: string[] = [];
  for (const col of columns) {
    const c = parseColumn(col);
    if (items.kind === 'groups' && c?.kind === 'metric') {
      const h = columnHeader(col, mode);
      header.push(`${h} mean`, `${h} std`, `${h} n`);
    } else header.push(columnHeader(col, mode));
  }
  const lines = [header.map(csvField).join(',')];
  if (items.kind === 'rows') {
    for (const r of items.rows) lines.push(columns.map((col) => csvField(rowCell(r, col))).join(','));
  } else {
    for (const g of items.groups) {
      const cells: CellValue[] = [];
      for (const col of columns) {
        const c = parseColumn(col);
        if (c?.kind === 'metric') {
          const st = g.metrics[c.metric];
          cells.push(st?.mean, st?.std ?? undefined, st?.n ?? 0);
        } else cells.push(groupCell(g, col));
      }
      lines.push(cells.map(csvField).join(','));
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}
