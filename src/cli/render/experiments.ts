// The experiments table in a terminal: column names as a user types them, and rows / groups as
// text (percentages; groups as mean ± sample std (n)). The numbers come from core/experiments.
import { closestMatches } from '../../core/catalog';
import {
  FIXED_COLUMNS,
  METRIC_LABELS,
  groupCell,
  isMetricKey,
  parseColumn,
  type ColumnId,
  type ExperimentGroup,
  type ExperimentRow,
  type FixedColumn,
  type ValueMode,
} from '../../core/experiments/table';
import { UsageError } from '../registry';
import { duration, localTime, pct, truncate } from './format';
import { renderTable, type Column } from './table';

/** What a user may type for a fixed column (besides the ids themselves). */
const FIXED_ALIASES: Record<string, FixedColumn> = { epoch: 'epochs', 'eval-epoch': 'valueEpoch', group: 'name' };

/** `few`, `top-1`, `loss.alpha`, `config:seed`, `eval-epoch` -> a column id; unknown names are a UsageError with suggestions. */
export function columnFromName(name: string, configKeys: readonly string[]): ColumnId {
  const n = name.trim();
  const metric = n.replace(/^metric:/, '').replace(/^top-/, 'top');
  if (isMetricKey(metric)) return `metric:${metric}`;
  if ((FIXED_COLUMNS as readonly string[]).includes(n)) return n as FixedColumn;
  if (Object.hasOwn(FIXED_ALIASES, n)) return FIXED_ALIASES[n]!;
  const key = n.replace(/^config:/, '');
  if (configKeys.includes(key)) return `config:${key}`;
  const known = [...FIXED_COLUMNS, ...Object.keys(FIXED_ALIASES), 'top1', 'top5', 'many', 'medium', 'few', ...configKeys];
  const near = closestMatches(n, known, 4);
  throw new UsageError(
    `unknown column "${n}"${near.length ? `; did you mean ${near.map((x) => `"${x}"`).join(' or ')}?` : ''} (columns: ${FIXED_COLUMNS.join(', ')}, top1, top5, many, medium, few, or a config key such as loss.alpha)`,
  );
}

function modeSuffix(mode: ValueMode): string {
  switch (mode.kind) {
    case 'last':
      return '';
    case 'best':
      return ` (BEST ${METRIC_LABELS[mode.by].toUpperCase()})`;
    case 'epoch':
      return ` @${mode.epoch}`;
    default:
      return '';
  }
}

const FIXED_HEADERS: Record<FixedColumn, string> = {
  id: 'ID',
  name: 'NAME',
  status: 'STATUS',
  tags: 'TAGS',
  created: 'CREATED',
  duration: 'DURATION',
  epochs: 'EPOCH',
  backend: 'BACKEND',
  classes: 'CLASSES',
  valueEpoch: 'EVAL EPOCH',
  n: 'N',
};

function header(col: ColumnId, mode: ValueMode, groups: boolean): Column {
  const c = parseColumn(col);
  if (!c) return { header: col };
  switch (c.kind) {
    case 'metric':
      return { header: `${METRIC_LABELS[c.metric].toUpperCase()}${modeSuffix(mode)}`, align: 'right' };
    case 'config':
      return { header: c.key };
    case 'fixed':
      if (groups && c.id === 'name') return { header: 'GROUP' };
      return {
        header: FIXED_HEADERS[c.id],
        ...(['epochs', 'classes', 'valueEpoch', 'n', 'duration'].includes(c.id) ? { align: 'right' as const } : {}),
      };
    default:
      return { header: col };
  }
}

function text(v: string | number | boolean | null | undefined): string {
  return v === undefined || v === null ? '-' : String(v);
}

function rowText(row: ExperimentRow, col: ColumnId): string {
  const c = parseColumn(col);
  const s = row.summary;
  if (!c) return '-';
  switch (c.kind) {
    case 'metric':
      return pct(row.metrics[c.metric]);
    case 'config':
      return text(s.config[c.key]);
    case 'fixed':
      switch (c.id) {
        case 'id':
          return s.id;
        case 'name':
          return s.status === 'unreadable' ? '?' : truncate(s.name, 24);
        case 'status':
          return s.status;
        case 'tags':
          return s.meta.tags.join(',') || '-';
        case 'created':
          return localTime(s.createdAt);
        case 'duration':
          return s.durationSeconds === null ? '-' : duration(s.durationSeconds);
        case 'epochs':
          return s.epoch === null || s.epochs === null ? '-' : `${s.epoch}/${s.epochs}`;
        case 'backend':
          return s.backend ?? '-';
        case 'classes':
          return text(s.classes);
        case 'valueEpoch':
          return text(row.source?.epoch);
        case 'n':
          return '1';
        default:
          return '-';
      }
    default:
      return '-';
  }
}

/** `75.1 ± 0.4 (3)`; a single value has no std: `75.1 (1)`. */
export function statsText(st: { mean: number; std: number | null; n: number } | undefined): string {
  if (!st) return '-';
  const mean = (st.mean * 100).toFixed(1);
  return st.std === null ? `${mean} (${st.n})` : `${mean} ± ${(st.std * 100).toFixed(1)} (${st.n})`;
}

function groupText(g: ExperimentGroup, col: ColumnId): string {
  const c = parseColumn(col);
  if (!c) return '-';
  if (c.kind === 'metric') return statsText(g.metrics[c.metric]);
  if (c.kind === 'fixed' && c.id === 'created') return localTime(String(groupCell(g, col)));
  if (c.kind === 'fixed' && c.id === 'duration') {
    const d = groupCell(g, col);
    return typeof d === 'number' ? duration(d) : '-';
  }
  if (c.kind === 'fixed' && c.id === 'name') return truncate(g.label, 60);
  if (c.kind === 'fixed' && c.id === 'valueEpoch') {
    const e = groupCell(g, col);
    return typeof e === 'number' ? e.toFixed(1).replace(/\.0$/, '') : '-';
  }
  return text(groupCell(g, col));
}

export function rowsTable(rows: readonly ExperimentRow[], columns: readonly ColumnId[], mode: ValueMode): string[] {
  return renderTable(
    columns.map((c) => header(c, mode, false)),
    rows.map((r) => columns.map((c) => rowText(r, c))),
  );
}

export function groupsTable(groups: readonly ExperimentGroup[], columns: readonly ColumnId[], mode: ValueMode): string[] {
  return renderTable(
    columns.map((c) => header(c, mode, true)),
    groups.map((g) => columns.map((c) => groupText(g, c))),
  );
}
