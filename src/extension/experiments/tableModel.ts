// What the Experiments panel shows, computed with src/core/experiments (the same functions as
// `gpaco ls`): run summaries from a SummaryCache that the watcher invalidates run by run, rows
// in the panel's value mode, the differing config keys, and the CSV of the table as shown. The
// webview orders, filters and groups the rows itself with src/protocol/experimentsTable.ts; the
// host runs the same code (`arranged`) for the CSV, so the file lists what is on screen.
// No vscode here: unit-tested on real folders.
import {
  allConfigKeys,
  buildRow,
  differingConfigKeys,
  SummaryCache,
  tableToCsv,
  type ColumnId,
  type ExperimentRow as CoreRow,
} from '../../core/experiments';
import {
  EXPERIMENTS_SCHEMA,
  METRIC_NAMES,
  type ExperimentRow,
  type ExperimentsSnapshot,
  type ExperimentsUpdate,
  type ExperimentsView,
  type MetricName,
} from '../../protocol/experiments';
import { arrangeRows, type Arranged } from '../../protocol/experimentsTable';

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

/** Up to this many runs without a row are read synchronously (see `load`). */
const SYNC_READ_MAX = 8;

export class ExperimentsModel {
  readonly cache = new SummaryCache();
  /** Rows by folder, in the mode `rowsMode`; a run leaves this map when the watcher says its files changed. */
  private readonly rowByDir = new Map<string, CoreRow>();
  private rows: CoreRow[] = [];
  private rowsMode = '';
  private configKeys: string[] = [];
  private dirsKey = '';
  /** Runs re-read since the last snapshot or update: what a live update sends. */
  private changed = new Set<string>();
  /** `load` added rows: `rows` and the differing keys are due again. */
  private loaded = false;
  /** Invalidations per run, so a read that an invalidation overtook is not kept as current. */
  private readonly invalidations = new Map<string, number>();
  /** The last `load`; the next one waits for it (one reader at a time). */
  private loading: Promise<void> = Promise.resolve();

  constructor(private readonly dirs: () => readonly string[]) {}

  /** The watcher saw these runs' files change: only they are read again. */
  invalidate(dirs: readonly string[]): void {
    for (const d of dirs) {
      this.rowByDir.delete(d);
      this.cache.invalidate(d);
      this.invalidations.set(d, (this.invalidations.get(d) ?? 0) + 1);
    }
  }

  /**
   * Reads the runs that have no row yet (every run on open, or many invalidated at once) without
   * blocking the extension host (`SummaryCache.getMany`: async stats, reads in short slices), so
   * that `snapshot` and `update` find the rows built (a handful missing they read themselves). A read overtaken by an invalidation of its
   * run, or by a new value mode, is not kept: that run is read again when next asked for.
   */
  load(view: ExperimentsView): Promise<void> {
    const next = this.loading.then(() => this.loadMissing(view));
    this.loading = next.catch(() => undefined);
    return next;
  }

  private async loadMissing(view: ExperimentsView): Promise<void> {
    const mode = this.syncMode(view);
    const missing = this.dirs().filter((d) => !this.rowByDir.has(d));
    // A few runs (a live update) are read at once by `update`: a millisecond each, less than
    // the turns of the event loop an async read would wait for.
    if (missing.length <= SYNC_READ_MAX) return;
    const before = missing.map((d) => this.invalidations.get(d) ?? 0);
    const summaries = await this.cache.getMany(missing);
    if (mode !== this.rowsMode) return;
    missing.forEach((d, i) => {
      if ((this.invalidations.get(d) ?? 0) !== before[i]) return;
      this.rowByDir.set(d, buildRow(summaries[i]!, view.value));
      this.changed.add(d);
      this.loaded = true;
    });
  }

  /** A new value mode drops every row (each must pick its evaluation again). Returns the mode. */
  private syncMode(view: ExperimentsView): string {
    const mode = JSON.stringify(view.value);
    if (mode !== this.rowsMode) {
      this.rowByDir.clear();
      this.rowsMode = mode;
    }
    return mode;
  }

  /** Core rows in the view's value mode; runs without a row (not loaded, or invalidated since) are read now. */
  private coreRows(view: ExperimentsView): CoreRow[] {
    this.syncMode(view);
    const dirs = this.dirs();
    const key = dirs.join('\n');
    let rebuilt = key !== this.dirsKey || this.loaded;
    this.loaded = false;
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
      this.rowByDir.set(d, buildRow(this.cache.get(d), view.value));
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
      view,
      seq,
      rows: rows.map(wireRow),
      configKeys: this.configKeys,
      warnings,
    };
  }

  /**
   * A live update: the rows of the runs re-read since the last snapshot or update, and the config
   * keys. Undefined when runs were added or removed, or the differing keys changed (a whole
   * snapshot is due).
   */
  update(view: ExperimentsView, now = new Date()): ExperimentsUpdate | undefined {
    // Runs added or removed: no reading here, a snapshot is due (after `load`).
    if (this.dirs().join('\n') !== this.dirsKey) return undefined;
    const before = this.dirsKey;
    const keysBefore = this.configKeys.join('\n');
    const rows = this.coreRows(view);
    if (this.dirsKey !== before) return undefined;
    const changed = rows.filter((r) => this.changed.has(r.summary.dir));
    this.changed.clear();
    if (this.configKeys.join('\n') !== keysBefore) return undefined;
    return { builtAt: now.toISOString(), rows: changed.map(wireRow), configKeys: this.configKeys };
  }

  /** Every config key any run has (the grouping's "except" choices may name keys that do not differ). */
  allKeys(view: ExperimentsView): string[] {
    return allConfigKeys(this.coreRows(view));
  }

  /** The rows and groups the view shows, in order: what the webview computes from the same rows with the same code. */
  arranged(view: ExperimentsView): Arranged<CoreRow> {
    return arrangeRows(this.coreRows(view), view);
  }

  /** The table as shown (rows or groups, the view's columns and order) as CSV. */
  csv(view: ExperimentsView): string {
    const { rows, groups } = this.arranged(view);
    const columns: ColumnId[] = [...CSV_FIXED, ...(view.configColumns ?? this.configKeys).map((k): ColumnId => `config:${k}`)];
    return tableToCsv(groups ? { kind: 'groups', groups } : { kind: 'rows', rows }, groups ? ['n', ...columns] : columns, view.value);
  }

  /** The folder of a run shown in the table, by id (undefined: not a run of the table). */
  dirOf(id: string): string | undefined {
    return this.rows.find((r) => r.summary.id === id)?.summary.dir;
  }
}

/** The row as the webview gets it: the fields of the shared TableRow (with the whole config) and what cells show. */
export function wireRow(r: CoreRow): ExperimentRow {
  const s = r.summary;
  const metrics = {} as Record<MetricName, number | null>;
  for (const m of METRIC_NAMES) metrics[m] = r.metrics[m] ?? null;
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    problem: s.problem ?? null,
    metaProblem: s.meta.problem ?? null,
    tags: s.meta.tags,
    note: r.note,
    createdAt: r.createdAt,
    durationSeconds: r.durationSeconds,
    epoch: r.epoch,
    epochs: s.epochs,
    backend: r.backend,
    classes: r.classes,
    sweepId: r.sweepId,
    metrics,
    valueEpoch: r.valueEpoch,
    config: s.config,
  };
}
