// How the experiments table orders, filters and groups its rows: one implementation for
// `gpaco ls`, reports and the extension host (over src/core/experiments' rows) and for the
// Experiments webview (over the wire rows of protocol/experiments.ts), so a click re-sorts on
// screen without a round trip and every view agrees (docs/architecture.md, "Experiments table").
// Pure and Node-free: no node:, no vscode; rows are replaced, never changed, so per-row caches
// key on the row object.
import type { ExperimentsView } from './experiments';

export type MetricKey = 'top1' | 'top5' | 'many' | 'medium' | 'few';
export const METRIC_KEYS: readonly MetricKey[] = ['top1', 'top5', 'many', 'medium', 'few'];
export const METRIC_LABELS: Record<MetricKey, string> = { top1: 'top-1', top5: 'top-5', many: 'many', medium: 'medium', few: 'few' };

export function isMetricKey(s: string): s is MetricKey {
  return (METRIC_KEYS as readonly string[]).includes(s);
}

/** A flattened config value: arrays and objects that are leaves are JSON text. */
export type ConfigValue = string | number | boolean | null;

/** What sorting, filtering and grouping read of a run's row (core rows and wire rows both have it). */
export interface TableRow {
  /** Run id (folder name). */
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly tags: readonly string[];
  readonly note: string;
  readonly backend: string | null;
  readonly sweepId: string | null;
  readonly createdAt: string;
  readonly durationSeconds: number | null;
  /** Epochs done; null when unknown. */
  readonly epoch: number | null;
  readonly classes: number | null;
  /** Epoch of the evaluation the metric values come from; null when the run has none for the mode. */
  readonly valueEpoch: number | null;
  /** Metric values (fractions 0..1) in the table's value mode; null or undefined: none. */
  readonly metrics: Readonly<Record<MetricKey, number | null | undefined>>;
  /** The whole flattened config (`{}` when it cannot be read): filter words and grouping need every key. */
  readonly config: Readonly<Record<string, ConfigValue>>;
}

function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}

// ---------------------------------------------------------------------------------------------
// Statistics

export interface Stats {
  mean: number;
  /** Sample standard deviation (divides by n - 1); null for a single value. */
  std: number | null;
  n: number;
  min: number;
  max: number;
}

/** Mean, sample standard deviation (n - 1), n, min and max of the finite values; undefined when there are none. */
export function statsOf(values: readonly (number | undefined | null)[]): Stats | undefined {
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    n++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0) return undefined;
  const mean = sum / n;
  let ss = 0;
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v)) ss += (v - mean) ** 2;
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : null, n, min, max };
}

// ---------------------------------------------------------------------------------------------
// Config keys

type HasConfig = { readonly config: Readonly<Record<string, ConfigValue>> };

/** Every config key of the rows, sorted, with `seed` first (always offered). */
export function allConfigKeys(rows: readonly HasConfig[]): string[] {
  const keys = new Set<string>(['seed']);
  for (const r of rows) for (const k of Object.keys(r.config)) keys.add(k);
  return [...keys].sort((a, b) => (a === 'seed' ? -1 : b === 'seed' ? 1 : a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Keys whose value is not the same in every row (a key missing from some rows differs), in
 * `allConfigKeys` order. Rows without a config (unreadable runs) are left out of the comparison.
 */
export function differingConfigKeys(rows: readonly HasConfig[]): string[] {
  return differingKeysOf(rows.map((r) => r.config).filter((c) => Object.keys(c).length > 0));
}

export function differingKeysOf(configs: readonly Readonly<Record<string, ConfigValue>>[]): string[] {
  if (configs.length < 2) return [];
  const keys = allConfigKeys(configs.map((config) => ({ config })));
  return keys.filter((k) => {
    const first = configs[0]!;
    const has = Object.hasOwn(first, k);
    const v = first[k];
    return configs.some((c) => Object.hasOwn(c, k) !== has || c[k] !== v);
  });
}

// ---------------------------------------------------------------------------------------------
// Columns and cell values

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
export function rowCell(row: TableRow, col: string): CellValue {
  const c = parseColumn(col);
  if (!c) return undefined;
  switch (c.kind) {
    case 'metric':
      return row.metrics[c.metric] ?? undefined;
    case 'config':
      return configCell(row.config[c.key]);
    case 'fixed':
      switch (c.id) {
        case 'id':
          return row.id;
        case 'name':
          return row.name;
        case 'status':
          return row.status;
        case 'tags':
          return row.tags.length ? row.tags.join(' ') : undefined;
        case 'created':
          return row.createdAt;
        case 'duration':
          return row.durationSeconds ?? undefined;
        case 'epochs':
          return row.epoch ?? undefined;
        case 'backend':
          return row.backend ?? undefined;
        case 'classes':
          return row.classes ?? undefined;
        case 'valueEpoch':
          return row.valueEpoch ?? undefined;
        case 'n':
          return 1;
        default:
          return assertNever(c.id);
      }
    default:
      return assertNever(c);
  }
}

// ---------------------------------------------------------------------------------------------
// Filtering

export interface RowFilter {
  /**
   * Words that must all match (case-insensitive): a `key=value` word matches that config entry
   * exactly (`data.classes=10` is not `data.classes=100`); any other word is looked for in the
   * id, name, status, tags, note, backend, sweep id and config entries.
   */
  text?: string;
  /** Keep only these statuses (empty or absent: all). */
  statuses?: readonly string[];
  /** Keep rows that have every one of these tags. */
  tags?: readonly string[];
}

interface Searchable {
  /** Everything a filter word may match, lower case, one entry a line. */
  text: string;
  /** The config's `key=value` entries, lower case (what a `key=value` word must equal). */
  entries: Set<string>;
}

// Filtering 1,000 rows on every keystroke costs only the substring tests: a row's search text is
// made once (rows are replaced, never changed, when a run is read again).
const searchCache = new WeakMap<TableRow, Searchable>();

function searchable(r: TableRow): Searchable {
  let v = searchCache.get(r);
  if (!v) {
    const entries: string[] = [];
    for (const [k, val] of Object.entries(r.config)) entries.push(`${k}=${val === null ? 'null' : String(val)}`.toLowerCase());
    const parts = [r.id, r.name, r.status, r.backend ?? '', ...r.tags, r.note, ...(r.sweepId ? [r.sweepId] : [])];
    v = { text: `${parts.join('\n').toLowerCase()}\n${entries.join('\n')}`, entries: new Set(entries) };
    searchCache.set(r, v);
  }
  return v;
}

/** The text a row's filter words are searched in (lower case); computing it ahead makes the first keystroke as fast as the next. */
export function searchText(r: TableRow): string {
  return searchable(r).text;
}

export function filterRows<R extends TableRow>(rows: readonly R[], filter: RowFilter): R[] {
  const words = (filter.text ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const statuses = filter.statuses?.length ? new Set<string>(filter.statuses) : undefined;
  const tags = filter.tags ?? [];
  return rows.filter((r) => {
    if (statuses && !statuses.has(r.status)) return false;
    if (!tags.every((t) => r.tags.includes(t))) return false;
    if (words.length === 0) return true;
    const hay = searchable(r);
    return words.every((w) => (w.includes('=') ? hay.entries.has(w) : hay.text.includes(w)));
  });
}

// ---------------------------------------------------------------------------------------------
// Sorting

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
export function sortRows<R extends TableRow>(rows: readonly R[], column: string, dir: SortDirection): R[] {
  return sortBy(rows, (r) => rowCell(r, column), dir);
}

function sortBy<T>(items: readonly T[], cell: (item: T) => CellValue, dir: SortDirection): T[] {
  const keyed = items.map((item, i) => ({ item, i, v: cell(item) }));
  keyed.sort((a, b) => compareCells(a.v, b.v, dir) || a.i - b.i);
  return keyed.map((k) => k.item);
}

// ---------------------------------------------------------------------------------------------
// Groups

export interface TableGroup<R extends TableRow> {
  /** Stable identity: the grouping config values and the class count. */
  key: string;
  /** Short name: the values of the keys that differ between groups, e.g. `loss.kind=gpaco loss.alpha=0.05`. */
  label: string;
  /** The config values every member shares (the grouping keys). */
  config: Record<string, ConfigValue>;
  classes: number | null;
  members: R[];
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
const keyCache = new WeakMap<Readonly<Record<string, ConfigValue>>, Map<string, string>>();

function groupKey(config: Readonly<Record<string, ConfigValue>>, except: ReadonlySet<string>, exceptId: string): string {
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
export function groupRows<R extends TableRow>(rows: readonly R[], options: GroupOptions = {}): TableGroup<R>[] {
  const except = new Set(options.except ?? ['seed']);
  const exceptId = JSON.stringify([...except].sort());
  const byKey = new Map<string, { configKey: string; rows: R[] }>();
  for (const r of rows) {
    const configKey = Object.keys(r.config).length ? groupKey(r.config, except, exceptId) : `run:${r.id}`;
    const key = `${configKey}#classes=${r.classes ?? '?'}`;
    const g = byKey.get(key);
    if (g) g.rows.push(r);
    else byKey.set(key, { configKey, rows: [r] });
  }
  const classesByConfig = new Map<string, Set<number | null>>();
  for (const g of byKey.values()) {
    const set = classesByConfig.get(g.configKey) ?? new Set();
    set.add(g.rows[0]!.classes);
    classesByConfig.set(g.configKey, set);
  }
  const groups: TableGroup<R>[] = [];
  for (const [key, g] of byKey) {
    const first = g.rows[0]!;
    const config: Record<string, ConfigValue> = {};
    for (const [k, v] of Object.entries(first.config)) if (!except.has(k)) config[k] = v;
    const varying: Record<string, ConfigValue[]> = {};
    for (const k of except) {
      const vals: ConfigValue[] = [];
      for (const r of g.rows) {
        const v = r.config[k];
        if (v !== undefined && !vals.includes(v)) vals.push(v);
      }
      if (vals.length) varying[k] = vals;
    }
    const metrics = {} as Record<MetricKey, Stats | undefined>;
    for (const m of METRIC_KEYS) metrics[m] = statsOf(g.rows.map((r) => r.metrics[m]));
    const counts = classesByConfig.get(g.configKey)!;
    const group: TableGroup<R> = { key, label: '', config, classes: first.classes, members: g.rows, n: g.rows.length, metrics, varying };
    if (counts.size > 1) {
      const others = [...counts].filter((c) => c !== first.classes).map((c) => (c === null ? 'an unknown number of' : String(c)));
      group.apart = `kept apart from runs with the same config and ${others.join(' / ')} classes: accuracies over ${first.classes ?? 'an unknown number of'} and ${others.join(' / ')} classes are not comparable`;
    }
    groups.push(group);
  }
  labelGroups(groups);
  return groups;
}

function labelGroups(groups: TableGroup<TableRow>[]): void {
  const keys = differingKeysOf(groups.filter((g) => Object.keys(g.config).length).map((g) => g.config));
  const classCounts = new Set(groups.map((g) => g.classes));
  for (const g of groups) {
    const parts = keys.filter((k) => Object.hasOwn(g.config, k)).map((k) => `${k}=${g.config[k]}`);
    if (Object.keys(g.config).length === 0) parts.push(g.members[0]!.name);
    if (classCounts.size > 1) parts.push(`${g.classes ?? '?'} classes`);
    g.label = parts.join(' ') || 'all runs';
  }
}

/**
 * The name the panel shows for a group: `label`, except that a lone group (a filter left one,
 * labelled "all runs") is named by its values of `tableKeys`, the keys that differ across the
 * whole table, leaving out the excepted ones.
 */
export function shownGroupLabel(g: TableGroup<TableRow>, tableKeys: readonly string[], except: readonly string[]): string {
  if (g.label !== 'all runs') return g.label;
  const own = tableKeys.filter((k) => !except.includes(k) && Object.hasOwn(g.config, k)).map((k) => `${k}=${String(g.config[k])}`);
  return own.length ? own.join(' ') : g.label;
}

/** A group's value in a column: metric means, shared config values, the label as name. */
export function groupCell(group: TableGroup<TableRow>, col: string): CellValue {
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
          const st = new Set(group.members.map((m) => m.status));
          return st.size === 1 ? [...st][0] : 'mixed';
        }
        case 'tags': {
          const tags = new Set(group.members.flatMap((m) => m.tags));
          return tags.size ? [...tags].join(' ') : undefined;
        }
        case 'created':
          return group.members.reduce((min, m) => (m.createdAt < min ? m.createdAt : min), group.members[0]!.createdAt);
        case 'duration':
          return statsOf(group.members.map((m) => m.durationSeconds))?.mean;
        case 'epochs':
          return statsOf(group.members.map((m) => m.epoch))?.min;
        case 'valueEpoch':
          return statsOf(group.members.map((m) => m.valueEpoch))?.mean;
        case 'id':
          return group.key;
        case 'backend': {
          const b = new Set(group.members.map((m) => m.backend ?? '-'));
          return [...b].join(',');
        }
        default:
          return assertNever(c.id);
      }
    default:
      return assertNever(c);
  }
}

export function sortGroups<G extends TableGroup<TableRow>>(groups: readonly G[], column: string, dir: SortDirection): G[] {
  return sortBy(groups, (g) => groupCell(g, column), dir);
}

// ---------------------------------------------------------------------------------------------
// The panel's view

/** What the panel shows for a view: the rows that pass the filter, sorted; and the groups over them when it groups. */
export interface Arranged<R extends TableRow> {
  rows: R[];
  groups: TableGroup<R>[] | null;
}

/** The filter of a panel view (status and tag are single choices there). */
export function viewFilter(view: ExperimentsView): RowFilter {
  const { text, status, tag } = view.filter;
  return { text, statuses: status ? [status] : [], tags: tag ? [tag] : [] };
}

/**
 * Filters, sorts and groups rows as the panel's view says. The webview calls it on its rows for
 * every click and keystroke; the host calls it on its own rows for the CSV export, so both see
 * the same order.
 */
export function arrangeRows<R extends TableRow>(rows: readonly R[], view: ExperimentsView): Arranged<R> {
  const filtered = filterRows(rows, viewFilter(view));
  const sort = view.sort;
  const dir: SortDirection = sort?.descending ? 'desc' : 'asc';
  const sorted = sort ? sortRows(filtered, sort.column, dir) : filtered;
  if (!view.groupBy) return { rows: sorted, groups: null };
  const groups = groupRows(sorted, { except: view.groupBy.except });
  return { rows: sorted, groups: sort ? sortGroups(groups, sort.column, dir) : groups };
}

/** The line saying why some groups were kept apart (different class counts), or null. */
export function groupNote(groups: readonly TableGroup<TableRow>[] | null): string | null {
  const apart = groups?.filter((g) => g.apart !== undefined) ?? [];
  return apart.length
    ? `${apart.length} group${apart.length === 1 ? '' : 's'} kept apart by class count: runs with different numbers of classes are never averaged together (their accuracies are over different class sets), e.g. ${apart[0]!.label}: ${apart[0]!.apart}.`
    : null;
}
