// What the Experiments panel shows, computed with src/core/experiments (the same functions as
// `gpaco ls`): run summaries from a SummaryCache that the watcher invalidates run by run, rows
// in the panel's value mode, the differing config keys, and for the current view the filtered
// and sorted order, the groups with mean ± sample std, and the CSV of the table as shown.
// No vscode here: unit-tested on real folders.
import type { DisplayStatus } from '../../core/contract';
import {
  allConfigKeys,
  buildRows,
  differingConfigKeys,
  filterRows,
  groupCell,
  groupRows,
  SummaryCache,
  sortGroups,
  sortRows,
  tableToCsv,
  type ColumnId,
  type ConfigValue,
  type ExperimentGroup as CoreGroup,
  type ExperimentRow as CoreRow,
  type RowFilter,
} from '../../core/experiments';
import {
  EXPERIMENTS_SCHEMA,
  METRIC_NAMES,
  type ExperimentGroup,
  type ExperimentRow,
  type ExperimentsShown,
  type ExperimentsSnapshot,
  type ExperimentsUpdate,
  type ExperimentsView,
  type MetricName,
  type MetricStats,
} from '../../protocol/experiments';

/** Columns always in the CSV, before the config columns the user chose. */
const CSV_FIXED: ColumnId[] = [
  'name',
  'id',
  'status',
  'tags',
  'created',
  'duration',
  'epochs',
  'backend',
  'classes',
  'valueEpoch',
  'metric:top1',
  'metric:many',
  'metric:medium',
  'metric:few',
  'metric:top5',
];

export class ExperimentsModel {
  readonly cache = new SummaryCache();
  /** Rows by folder, in the mode `rowsMode`; a run leaves this map when the watcher says its files changed. */
  private readonly rowByDir = new Map<string, CoreRow>();
  private rows: CoreRow[] = [];
  private rowsMode = '';
  private configKeys: string[] = [];
  private dirsKey = '';
  /** Runs re-read since the last `takeChanged`: what a live update sends. */
  private changed = new Set<string>();

  constructor(private readonly dirs: () => readonly string[]) {}

  /** The watcher saw these runs' files change: only they are read again. */
  invalidate(dirs: readonly string[]): void {
    for (const d of dirs) {
      this.rowByDir.delete(d);
      this.cache.invalidate(d);
    }
  }

  /** Core rows in the view's value mode; only runs invalidated since the last call are read and built again. */
  private coreRows(view: ExperimentsView): CoreRow[] {
    const mode = JSON.stringify(view.value);
    if (mode !== this.rowsMode) {
      this.rowByDir.clear();
      this.rowsMode = mode;
    }
    const dirs = this.dirs();
    const key = dirs.join('\n');
    let rebuilt = key !== this.dirsKey;
    if (rebuilt) {
      this.dirsKey = key;
      const keep = new Set(dirs);
      for (const d of [...this.rowByDir.keys()]) {
        if (keep.has(d)) continue;
        this.rowByDir.delete(d);
        this.cache.forget(d);
      }
    }
    for (const d of dirs) {
      if (this.rowByDir.has(d)) continue;
      const [row] = buildRows([this.cache.get(d)], view.value);
      this.rowByDir.set(d, row!);
      this.changed.add(d);
      rebuilt = true;
    }
    if (rebuilt) {
      this.rows = dirs.map((d) => this.rowByDir.get(d)!);
      const differing = differingConfigKeys(this.rows);
      this.configKeys = differing.includes('seed') ? differing : ['seed', ...differing];
    }
    return this.rows;
  }

  snapshot(view: ExperimentsView, seq: number, now = new Date()): ExperimentsSnapshot {
    const rows = this.coreRows(view);
    this.changed.clear();
    const warnings: string[] = [];
    return {
      schema: EXPERIMENTS_SCHEMA,
      kind: 'experiments',
      builtAt: now.toISOString(),
      rows: rows.map((r) => wireRow(r, this.configKeys)),
      configKeys: this.configKeys,
      shown: this.shown(view, seq),
      warnings,
    };
  }

  /**
   * A live update: the rows of the runs re-read since the last snapshot or update, the config
   * keys and what is shown. Undefined when runs were added or removed (a whole snapshot is due).
   */
  update(view: ExperimentsView, seq: number, now = new Date()): ExperimentsUpdate | undefined {
    const before = this.dirsKey;
    const keysBefore = this.configKeys.join('\n');
    const rows = this.coreRows(view);
    if (this.dirsKey !== before) return undefined;
    const changed = rows.filter((r) => this.changed.has(r.summary.dir));
    this.changed.clear();
    // New differing keys change every row's config cells: a whole snapshot then.
    if (this.configKeys.join('\n') !== keysBefore) return undefined;
    return {
      builtAt: now.toISOString(),
      rows: changed.map((r) => wireRow(r, this.configKeys)),
      configKeys: this.configKeys,
      shown: this.shown(view, seq),
    };
  }

  /** Every config key any run has (the grouping's "except" choices may name keys that do not differ). */
  allKeys(view: ExperimentsView): string[] {
    return allConfigKeys(this.coreRows(view));
  }

  private arrange(view: ExperimentsView): { rows: CoreRow[]; groups: CoreGroup[] | null } {
    const filtered = filterRows(this.coreRows(view), coreFilter(view));
    const sort = view.sort;
    const rows = sort ? sortRows(filtered, sort.column as ColumnId, sort.descending ? 'desc' : 'asc') : filtered;
    if (!view.groupBy) return { rows, groups: null };
    let groups = groupRows(rows, { except: view.groupBy.except });
    if (sort) groups = sortGroups(groups, sort.column as ColumnId, sort.descending ? 'desc' : 'asc');
    return { rows, groups };
  }

  shown(view: ExperimentsView, seq: number): ExperimentsShown {
    const t0 = performance.now();
    const { rows, groups } = this.arrange(view);
    const apart = groups?.filter((g) => g.apart !== undefined) ?? [];
    return {
      seq,
      view,
      order: rows.map((r) => r.summary.id),
      groups: groups ? groups.map((g) => wireGroup(g, this.configKeys, view.groupBy?.except ?? [])) : null,
      groupNote: apart.length
        ? `${apart.length} group${apart.length === 1 ? '' : 's'} kept apart by class count: runs with different numbers of classes are never averaged together (their accuracies are over different class sets), e.g. ${apart[0]!.label}: ${apart[0]!.apart}.`
        : null,
      hostMs: performance.now() - t0,
    };
  }

  /** The table as shown (rows or groups, the view's columns and order) as CSV. */
  csv(view: ExperimentsView): string {
    const { rows, groups } = this.arrange(view);
    const columns: ColumnId[] = [...CSV_FIXED, ...(view.configColumns ?? this.configKeys).map((k): ColumnId => `config:${k}`)];
    return tableToCsv(groups ? { kind: 'groups', groups } : { kind: 'rows', rows }, groups ? ['n', ...columns] : columns, view.value);
  }

  /** The folder of a run shown in the table, by id (undefined: not a run of the table). */
  dirOf(id: string): string | undefined {
    return this.rows.find((r) => r.summary.id === id)?.summary.dir;
  }
}

function coreFilter(view: ExperimentsView): RowFilter {
  const { text, status, tag } = view.filter;
  return { text, statuses: status ? [status as DisplayStatus] : [], tags: tag ? [tag] : [] };
}

const wireStats = (s: { mean: number; std: number | null; n: number; min: number; max: number } | undefined): MetricStats | null =>
  s ? { mean: s.mean, std: s.std, n: s.n, min: s.min, max: s.max } : null;

function pick(config: Record<string, ConfigValue>, keys: readonly string[]): Record<string, ConfigValue> {
  const out: Record<string, ConfigValue> = {};
  for (const k of keys) if (Object.hasOwn(config, k)) out[k] = config[k]!;
  return out;
}

export function wireRow(r: CoreRow, configKeys: readonly string[]): ExperimentRow {
  const s = r.summary;
  const metrics = {} as Record<MetricName, number | null>;
  for (const m of METRIC_NAMES) metrics[m] = r.metrics[m] ?? null;
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    problem: s.problem ?? null,
    metaProblem: s.meta.problem ?? null,
    tags: s.meta.tags,
    note: s.meta.note,
    createdAt: s.createdAt,
    durationSeconds: s.durationSeconds,
    epoch: s.epoch ?? 0,
    epochs: s.epochs ?? 0,
    backend: s.backend,
    classes: s.classes,
    metrics,
    valueEpoch: r.source?.epoch ?? null,
    config: pick(s.config, configKeys),
  };
}

export function wireGroup(g: CoreGroup, configKeys: readonly string[], except: readonly string[]): ExperimentGroup {
  const metrics = {} as Record<MetricName, MetricStats | null>;
  for (const m of METRIC_NAMES) metrics[m] = wireStats(g.metrics[m]);
  const config: Record<string, ConfigValue> = {};
  for (const k of configKeys) {
    const v = groupCell(g, `config:${k}`);
    if (v !== undefined) config[k] = v;
  }
  // The core labels a group by what differs between the groups shown; a lone group (a filter
  // left one) is named by its values of the keys that differ across the whole table instead.
  const own = configKeys.filter((k) => !except.includes(k) && Object.hasOwn(g.config, k)).map((k) => `${k}=${String(g.config[k])}`);
  const label = g.label === 'all runs' && own.length ? own.join(' ') : g.label;
  return { key: g.key, label, members: g.members.map((m) => m.summary.id), classes: g.classes, metrics, config };
}
