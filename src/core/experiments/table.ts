// The experiments table, one implementation for the panel, `gpaco ls` and reports: rows with the
// metric values of a chosen evaluation (last, best by a metric, or at an epoch), the config keys
// that differ, filtering, sorting, grouping runs whose configs are equal except some keys
// (seed by default) with mean ± sample std, and CSV of what is shown.
import type { DisplayStatus } from '../contract';
import { statsOf, type Stats } from './stats';
import type { ConfigValue, EvalPoint, ExperimentSummary } from './summary';

export type MetricKey = 'top1' | 'top5' | 'many' | 'medium' | 'few';
export const METRIC_KEYS: readonly MetricKey[] = ['top1', 'top5', 'many', 'medium', 'few'];
export const METRIC_LABELS: Record<MetricKey, string> = { top1: 'top-1', top5: 'top-5', many: 'many', medium: 'medium', few: 'few' };

/** Which evaluation a row's metric cells come from. */
export type ValueMode = { kind: 'last' } | { kind: 'best'; by: MetricKey } | { kind: 'epoch'; epoch: number };
/** Best is by few-shot accuracy unless another metric is chosen: the tail is what long-tailed work is about. */
export const DEFAULT_BEST_BY: MetricKey = 'few';

export function isMetricKey(s: string): s is MetricKey {
  return (METRIC_KEYS as readonly string[]).includes(s);
}

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

export interface ExperimentRow {
  summary: ExperimentSummary;
  /** The evaluation the metric cells come from; undefined when the run has none for the mode. */
  source: EvalPoint | undefined;
  metrics: Record<MetricKey, number | undefined>;
}

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
  // Filtering must answer within a keystroke: the row's search text is made with the row.
  searchable(summary);
  const source = pickEvaluation(summary.evals, mode);
  const metrics = {} as Record<MetricKey, number | undefined>;
  for (const k of METRIC_KEYS) metrics[k] = source?.[k] ?? undefined;
  return { summary, source, metrics };
}

export function buildRows(summaries: readonly ExperimentSummary[], mode: ValueMode): ExperimentRow[] {
  return summaries.map((s) => buildRow(s, mode));
}

// ---------------------------------------------------------------------------------------------
// Config keys

type HasConfig = { summary: { config: Record<string, ConfigValue> } };

/** Every config key of the rows, sorted, with `seed` first (always offered). */
export function allConfigKeys(rows: readonly HasConfig[]): string[] {
  const keys = new Set<string>(['seed']);
  for (const r of rows) for (const k of Object.keys(r.summary.config)) keys.add(k);
  return [...keys].sort((a, b) => (a === 'seed' ? -1 : b === 'seed' ? 1 : a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Keys whose value is not the same in every row (a key missing from some rows differs), in
 * `allConfigKeys` order. Rows without a config (unreadable runs) are left out of the comparison.
 */
export function differingConfigKeys(rows: readonly HasConfig[]): string[] {
  const configs = rows.map((r) => r.summary.config).filter((c) => Object.keys(c).length > 0);
  return differingKeysOf(configs);
}

export function differingKeysOf(configs: readonly Record<string, ConfigValue>[]): string[] {
  if (configs.length < 2) return [];
  const keys = allConfigKeys(configs.map((config) => ({ summary: { config } })));
  return keys.filter((k) => {
    const first = configs[0]!;
    const has = Object.hasOwn(first, k);
    const v = first[k];
    return configs.some((c) => Object.hasOwn(c, k) !== has || c[k] !== v);
  });
}

// ---------------------------------------------------------------------------------------------
// Columns, cell values, filtering, sorting

export type FixedColumn =
  'id' | 'name' | 'status' | 'tags' | 'created' | 'duration' | 'epochs' | 'backend' | 'classes' | 'valueEpoch' | 'n';
export const FIXED_COLUMNS: readonly FixedColumn[] = [
  'id',
  'name',
  'status',
  'tags',
  'created',
  'duration',
  'epochs',
  'backend',
  'classes',
  'valueEpoch',
  'n',
];
/** A table column: a fixed one, `metric:few` or `config:loss.alpha`. */
export type ColumnId = FixedColumn | `metric:${MetricKey}` | `config:${string}`;

export type ParsedColumn = { kind: 'fixed'; id: FixedColumn } | { kind: 'metric'; metric: MetricKey } | { kind: 'config'; key: string };

export function parseColumn(col: string): ParsedColumn | undefined {
  if ((FIXED_COLUMNS as readonly string[]).includes(col)) return { kind: 'fixed', id: col as FixedColumn };
  if (col.startsWith('metric:')) {
    const m = col.slice(7);
    return isMetricKey(m) ? { kind: 'metric', metric: m } : undefined;
  }
  if (col.startsWith('config:') && col.length > 7) return { kind: 'config', key: col.slice(7) };
  return undefined;
}

export type CellValue = number | string | undefined;

function configCell(v: ConfigValue | undefined): CellValue {
  if (v === undefined) return undefined;
  return typeof v === 'number' || typeof v === 'string' ? v : String(v);
}

/** A row's value in a column (numbers stay numbers, for sorting and CSV). */
export function rowCell(row: ExperimentRow, col: ColumnId): CellValue {
  const c = parseColumn(col);
  if (!c) return undefined;
  const s = row.summary;
  switch (c.kind) {
    case 'metric':
      return row.metrics[c.metric];
    case 'config':
      return configCell(s.config[c.key]);
    case 'fixed':
      switch (c.id) {
        case 'id':
          return s.id;
        case 'name':
          return s.name;
        case 'status':
          return s.status;
        case 'tags':
          return s.meta.tags.length ? s.meta.tags.join(' ') : undefined;
        case 'created':
          return s.createdAt;
        case 'duration':
          return s.durationSeconds ?? undefined;
        case 'epochs':
          return s.epoch ?? undefined;
        case 'backend':
          return s.backend ?? undefined;
        case 'classes':
          return s.classes ?? undefined;
        case 'valueEpoch':
          return row.source?.epoch;
        case 'n':
          return 1;
        default:
          return assertNever(c.id);
      }
    default:
      return assertNever(c);
  }
}

export interface RowFilter {
  /**
   * Words that must all match (case-insensitive): a `key=value` word matches that config entry
   * exactly (`data.classes=10` is not `data.classes=100`); any other word is looked for in the
   * id, name, status, tags, note, backend, sweep id and config entries.
   */
  text?: string;
  /** Keep only these statuses (empty or absent: all). */
  statuses?: readonly DisplayStatus[];
  /** Keep rows that have every one of these tags. */
  tags?: readonly string[];
}

interface Searchable {
  /** Everything a filter word may match, lower case, one entry a line. */
  text: string;
  /** The config's `key=value` entries, lower case (what a `key=value` word must equal). */
  entries: Set<string>;
}

// Summaries are replaced, never changed, when a run is re-read: their search text is computed
// once (filtering 1,000 rows on every keystroke then costs only the substring tests).
const searchCache = new WeakMap<ExperimentSummary, Searchable>();

function searchable(s: ExperimentSummary): Searchable {
  let v = searchCache.get(s);
  if (!v) {
    const entries: string[] = [];
    for (const [k, val] of Object.entries(s.config)) entries.push(`${k}=${val === null ? 'null' : String(val)}`.toLowerCase());
    const parts = [s.id, s.name, s.status, s.backend ?? '', ...s.meta.tags, s.meta.note, ...(s.sweepId ? [s.sweepId] : [])];
    v = { text: `${parts.join('\n').toLowerCase()}\n${entries.join('\n')}`, entries: new Set(entries) };
    searchCache.set(s, v);
  }
  return v;
}

/** The text a row's filter words are searched in (lower case). */
export function searchText(s: ExperimentSummary): string {
  return searchable(s).text;
}

export function filterRows<R extends { summary: ExperimentSummary }>(rows: readonly R[], filter: RowFilter): R[] {
  const words = (filter.text ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const statuses = filter.statuses?.length ? new Set<DisplayStatus>(filter.statuses) : undefined;
  const tags = filter.tags ?? [];
  return rows.filter((r) => {
    const s = r.summary;
    if (statuses && !statuses.has(s.status)) return false;
    if (!tags.every((t) => s.meta.tags.includes(t))) return false;
    if (words.length === 0) return true;
    const hay = searchable(s);
    return words.every((w) => (w.includes('=') ? hay.entries.has(w) : hay.text.includes(w)));
  });
}

export type SortDirection = 'asc' | 'desc';

/** Numbers numerically, then strings; missing values last in both directions. */
export function compareCells(a: CellValue, b: CellValue, dir: SortDirection): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  const sign = dir === 'asc' ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return sign * (a - b);
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return sign * (a < b ? -1 : a > b ? 1 : 0);
}

/** A sorted copy (stable: equal cells keep the input order). */
export function sortRows(rows: readonly ExperimentRow[], column: ColumnId, dir: SortDirection): ExperimentRow[] {
  return sortBy(rows, (r) => rowCell(r, column), dir);
}

function sortBy<T>(items: readonly T[], cell: (item: T) => CellValue, dir: SortDirection): T[] {
  const keyed = items.map((item, i) => ({ item, i, v: cell(item) }));
  keyed.sort((a, b) => compareCells(a.v, b.v, dir) || a.i - b.i);
  return keyed.map((k) => k.item);
}

// ---------------------------------------------------------------------------------------------
// Groups

export interface ExperimentGroup {
  /** Stable identity: the grouping config values and the class count. */
  key: string;
  /** Short name: the values of the keys that differ between groups, e.g. `loss.kind=gpaco loss.alpha=0.05`. */
  label: string;
  /** The config values every member shares (the grouping keys). */
  config: Record<string, ConfigValue>;
  classes: number | null;
  members: ExperimentRow[];
  n: number;
  metrics: Record<MetricKey, Stats | undefined>;
  /** The excepted keys' values across members (e.g. `seed: [0, 1, 2]`). */
  varying: Record<string, ConfigValue[]>;
  /** Why this group is kept apart from others with the same config (different class counts). */
  apart?: string;
}

export interface GroupOptions {
  /** Keys whose values may differ inside a group (default: `seed`). */
  except?: readonly string[];
}

// Group keys by config object and excepted keys (configs are replaced, never changed, on re-read).
const keyCache = new WeakMap<Record<string, ConfigValue>, Map<string, string>>();

function groupKey(config: Record<string, ConfigValue>, except: ReadonlySet<string>, exceptId: string): string {
  let byExcept = keyCache.get(config);
  if (!byExcept) keyCache.set(config, (byExcept = new Map<string, string>()));
  let key = byExcept.get(exceptId);
  if (key === undefined) {
    const parts: string[] = [];
    for (const k of Object.keys(config).sort()) if (!except.has(k)) parts.push(`${JSON.stringify(k)}:${JSON.stringify(config[k])}`);
    key = `{${parts.join(',')}}`;
    byExcept.set(exceptId, key);
  }
  return key;
}

/**
 * Groups rows whose configs are equal except `except` (default `seed`). Runs with different class
 * counts never share a group (their accuracies are not comparable); such groups say why in
 * `apart`. A run without a config (unreadable) is a group of its own. Groups come in the order
 * of their first member.
 */
export function groupRows(rows: readonly ExperimentRow[], options: GroupOptions = {}): ExperimentGroup[] {
  const except = new Set(options.except ?? ['seed']);
  const exceptId = JSON.stringify([...except].sort());
  const byKey = new Map<string, { configKey: string; rows: ExperimentRow[] }>();
  for (const r of rows) {
    const s = r.summary;
    const configKey = Object.keys(s.config).length ? groupKey(s.config, except, exceptId) : `run:${s.id}`;
    const key = `${configKey}#classes=${s.classes ?? '?'}`;
    const g = byKey.get(key);
    if (g) g.rows.push(r);
    else byKey.set(key, { configKey, rows: [r] });
  }
  const classesByConfig = new Map<string, Set<number | null>>();
  for (const g of byKey.values()) {
    const set = classesByConfig.get(g.configKey) ?? new Set();
    set.add(g.rows[0]!.summary.classes);
    classesByConfig.set(g.configKey, set);
  }
  const groups: ExperimentGroup[] = [];
  for (const [key, g] of byKey) {
    const first = g.rows[0]!.summary;
    const config: Record<string, ConfigValue> = {};
    for (const [k, v] of Object.entries(first.config)) if (!except.has(k)) config[k] = v;
    const varying: Record<string, ConfigValue[]> = {};
    for (const k of except) {
      const vals: ConfigValue[] = [];
      for (const r of g.rows) {
        const v = r.summary.config[k];
        if (v !== undefined && !vals.includes(v)) vals.push(v);
      }
      if (vals.length) varying[k] = vals;
    }
    const metrics = {} as Record<MetricKey, Stats | undefined>;
    for (const m of METRIC_KEYS) metrics[m] = statsOf(g.rows.map((r) => r.metrics[m]));
    const counts = classesByConfig.get(g.configKey)!;
    const group: ExperimentGroup = { key, label: '', config, classes: first.classes, members: g.rows, n: g.rows.length, metrics, varying };
    if (counts.size > 1) {
      const others = [...counts].filter((c) => c !== first.classes).map((c) => (c === null ? 'an unknown number of' : String(c)));
      group.apart = `kept apart from runs with the same config and ${others.join(' / ')} classes: accuracies over ${first.classes ?? 'an unknown number of'} and ${others.join(' / ')} classes are not comparable`;
    }
    groups.push(group);
  }
  labelGroups(groups);
  return groups;
}

function labelGroups(groups: ExperimentGroup[]): void {
  const keys = differingKeysOf(groups.filter((g) => Object.keys(g.config).length).map((g) => g.config));
  const classCounts = new Set(groups.map((g) => g.classes));
  for (const g of groups) {
    const parts = keys.filter((k) => Object.hasOwn(g.config, k)).map((k) => `${k}=${g.config[k]}`);
    if (Object.keys(g.config).length === 0) parts.push(g.members[0]!.summary.name);
    if (classCounts.size > 1) parts.push(`${g.classes ?? '?'} classes`);
    g.label = parts.join(' ') || 'all runs';
  }
}

/** A group's value in a column: metric means, shared config values, the label as name. */
export function groupCell(group: ExperimentGroup, col: ColumnId): CellValue {
  const c = parseColumn(col);
  if (!c) return undefined;
  switch (c.kind) {
    case 'metric':
      return group.metrics[c.metric]?.mean;
    case 'config': {
      if (Object.hasOwn(group.config, c.key)) return configCell(group.config[c.key]);
      const vals = group.varying[c.key];
      return vals ? vals.map((v) => String(v)).join(',') : undefined;
    }
    case 'fixed':
      switch (c.id) {
        case 'name':
          return group.label;
        case 'n':
          return group.n;
        case 'classes':
          return group.classes ?? undefined;
        case 'status': {
          const st = new Set(group.members.map((m) => m.summary.status));
          return st.size === 1 ? [...st][0] : 'mixed';
        }
        case 'tags': {
          const tags = new Set(group.members.flatMap((m) => m.summary.meta.tags));
          return tags.size ? [...tags].join(' ') : undefined;
        }
        case 'created':
          return group.members.reduce(
            (min, m) => (m.summary.createdAt < min ? m.summary.createdAt : min),
            group.members[0]!.summary.createdAt,
          );
        case 'duration':
          return statsOf(group.members.map((m) => m.summary.durationSeconds))?.mean;
        case 'epochs':
          return statsOf(group.members.map((m) => m.summary.epoch))?.min;
        case 'valueEpoch':
          return statsOf(group.members.map((m) => m.source?.epoch))?.mean;
        case 'id':
          return group.key;
        case 'backend': {
          const b = new Set(group.members.map((m) => m.summary.backend ?? '-'));
          return [...b].join(',');
        }
        default:
          return assertNever(c.id);
      }
    default:
      return assertNever(c);
  }
}

export function sortGroups(groups: readonly ExperimentGroup[], column: ColumnId, dir: SortDirection): ExperimentGroup[] {
  return sortBy(groups, (g) => groupCell(g, column), dir);
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
