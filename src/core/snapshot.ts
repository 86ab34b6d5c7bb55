// Dashboard snapshots from run directories (src/protocol/snapshot.ts): the run panel's, the
// compare panel's and `gpaco report`'s data. Pure Node (no vscode): the extension panels and
// the CLI both call it. Reading is incremental where it matters: metrics.jsonl through a
// MetricsTail (only appended bytes), evaluation files cached by size + mtime.
import * as fs from 'node:fs';
import type { ClassesFile, EpochRecord, EvalFile, EvalRecord, RunManifest } from './contract';
import { isRunProcessAlive } from './catalog';
import { headToTailOrder } from './evalMath';
import { MetricsTail } from './metricsLog';
import { slurmDisplayStatus } from './slurm/states';
import { runReadability } from './readability';
import { listEvalTags, readCheckpointIndex, readClassesFile, readEvalFile, readRunManifest, runPaths } from './runDirectory';
import { encodeSparseMatrix } from '../protocol/matrixCodec';
import { confusionTotals, type SparseConfusion } from './evalEncoding';
import {
  SNAPSHOT_SCHEMA,
  TOP_PAIRS,
  type ConfusedPair,
  type CheckpointRow,
  type ClassTable,
  type CompareRun,
  type CompareSnapshot,
  type ConfigDifference,
  type GroupConfigCell,
  type EpochCurves,
  type EvalCurves,
  type EvalDetail,
  type ReportData,
  type RunDisplayStatus,
  type RunHeader,
  type RunSnapshot,
} from '../protocol/snapshot';

/** Epochs averaged for the time-per-epoch estimate: recent enough to follow a changed machine load. */
const ETA_EPOCHS = 5;
/** Evaluation details kept decoded per run: the selected one and a few the user flips between. */
const DETAIL_CACHE = 4;

export interface SnapshotOptions {
  /** Tag the user picked; null follows the latest evaluation. */
  selectedTag?: string | null;
  now?: Date;
  /** Whether a `running` run's process is still alive (default: pid check on this host). */
  isAlive?: (manifest: RunManifest) => boolean;
}

/** The catalog's rule: only a trainer known to be gone on this host makes a run interrupted. */
export function defaultIsAlive(manifest: RunManifest): boolean {
  return isRunProcessAlive(manifest) !== false;
}

export function displayStatusOf(manifest: RunManifest, isAlive: (m: RunManifest) => boolean = defaultIsAlive): RunDisplayStatus {
  const base = manifest.status === 'running' && !isAlive(manifest) ? 'interrupted' : manifest.status;
  // A Slurm run's trainer may live on another host: its recorded job state says when it is over.
  return slurmDisplayStatus(manifest, base) === 'interrupted' ? 'interrupted' : base;
}

/** Classes in display order (head to tail). */
export function classTable(classes: ClassesFile): ClassTable {
  const order = headToTailOrder(classes.trainCounts);
  return {
    names: order.map((i) => classes.names[i]!),
    label: order,
    trainCounts: order.map((i) => classes.trainCounts[i]!),
    testCounts: order.map((i) => classes.testCounts[i]!),
    groups: order.map((i) => classes.groups.assignment[i]!),
    rule: classes.groups.rule,
  };
}

/** The TOP_PAIRS largest off-diagonal cells (count, then share, then display order). */
export function topConfusedPairs(m: SparseConfusion, pos: Int32Array): ConfusedPair[] {
  const { totals } = confusionTotals(m);
  const pairs: ConfusedPair[] = [];
  for (let k = 0; k < m.cells.length; k += 3) {
    const t = m.cells[k]!;
    const p = m.cells[k + 1]!;
    if (t === p) continue;
    const count = m.cells[k + 2]!;
    pairs.push({ true: pos[t]!, pred: pos[p]!, count, share: totals[t]! > 0 ? count / totals[t]! : 0 });
  }
  pairs.sort((a, b) => b.count - a.count || b.share - a.share || a.true - b.true || a.pred - b.pred);
  return pairs.slice(0, TOP_PAIRS);
}

/** Per display position, its largest off-diagonal cell (ties: the lower display index). */
export function mostConfused(m: SparseConfusion, pos: Int32Array): { mostConfusedWith: number[]; mostConfusedCount: number[] } {
  const c = m.classes;
  const withIdx = new Array<number>(c).fill(-1);
  const count = new Array<number>(c).fill(0);
  for (let k = 0; k < m.cells.length; k += 3) {
    const t = pos[m.cells[k]!]!;
    const p = pos[m.cells[k + 1]!]!;
    const n = m.cells[k + 2]!;
    if (t === p) continue;
    if (n > count[t]! || (n === count[t]! && p < withIdx[t]!)) {
      count[t] = n;
      withIdx[t] = p;
    }
  }
  return { mostConfusedWith: withIdx, mostConfusedCount: count };
}

/** An evaluation permuted into display order, its matrix encoded for the wire. */
export function evalDetail(evalFile: EvalFile, table: ClassTable, revision: string): EvalDetail {
  const c = table.label.length;
  const m = evalFile.confusion;
  if (m.classes !== c) {
    throw new Error(`evaluation ${evalFile.tag} has ${m.classes} classes but classes.json has ${c}`);
  }
  // Display position of each label; the non-zero cells are moved there and sorted.
  const pos = new Int32Array(c);
  table.label.forEach((l, i) => (pos[l] = i));
  const k = m.cells.length / 3;
  const keys = new Float64Array(k);
  for (let i = 0; i < k; i++) keys[i] = pos[m.cells[3 * i]!]! * c + pos[m.cells[3 * i + 1]!]!;
  const byKey = new Map<number, number>();
  for (let i = 0; i < k; i++) byKey.set(keys[i]!, m.cells[3 * i + 2]!);
  keys.sort();
  const values = new Float64Array(k);
  for (let i = 0; i < k; i++) values[i] = byKey.get(keys[i]!)!;
  return {
    tag: evalFile.tag,
    epoch: evalFile.epoch,
    split: evalFile.split,
    n: evalFile.n,
    top1: evalFile.top1,
    top5: evalFile.top5,
    groupAccuracy: { ...evalFile.groupAccuracy },
    perClassAccuracy: table.label.map((l) => evalFile.perClassAccuracy[l]!),
    confusion: encodeSparseMatrix(keys, values, c),
    topPairs: topConfusedPairs(m, pos),
    ...mostConfused(m, pos),
    revision,
  };
}

function fileRevision(file: string): string | null {
  try {
    const st = fs.statSync(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return null;
  }
}

const emptyCurves = (): EpochCurves => ({ epoch: [], loss: [], lr: [], accuracy: [], seconds: [] });
const emptyEvalCurves = (): EvalCurves => ({ epoch: [], tag: [], top1: [], top5: [], many: [], medium: [], few: [] });

function epochFromTag(tag: string): number {
  const m = /(\d+)$/.exec(tag);
  return m ? Number(m[1]) : 0;
}

/**
 * The live source of one run's snapshots. Keep one per open panel: each `build()` reads only
 * what changed since the previous one.
 */
export class RunSnapshotSource {
  private readonly tail: MetricsTail;
  private readonly epochs = new Map<number, EpochRecord>();
  private readonly evalRecords = new Map<string, EvalRecord>();
  private readonly details = new Map<string, { revision: string; detail: EvalDetail }>();
  private classes: { revision: string; table: ClassTable } | null = null;
  /** run.json as read by the last build (the compare panel diffs its config). */
  manifest: RunManifest | null = null;

  constructor(readonly dir: string) {
    this.tail = new MetricsTail(runPaths(dir).metrics);
  }

  /** Tags of the evaluations that exist now: what a panel may ask to show. */
  evaluationTags(): Set<string> {
    return new Set(listEvalTags(this.dir));
  }

  build(options: SnapshotOptions = {}): RunSnapshot {
    const now = options.now ?? new Date();
    const warnings: string[] = [];
    const manifest = readRunManifest(this.dir); // unreadable run.json: the caller shows the error
    this.manifest = manifest;
    this.readMetrics(warnings);
    const table = this.readClasses(warnings);
    const status = displayStatusOf(manifest, options.isAlive);

    const curves = emptyCurves();
    for (const r of [...this.epochs.values()].sort((a, b) => a.epoch - b.epoch)) {
      curves.epoch.push(r.epoch);
      curves.loss.push(r.loss);
      curves.lr.push(r.lr);
      curves.accuracy.push(r.accuracy);
      curves.seconds.push(r.seconds);
    }
    const evals = emptyEvalCurves();
    const byEpoch = new Map<number, EvalRecord>();
    for (const r of this.evalRecords.values()) byEpoch.set(r.epoch, r);
    for (const r of [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch)) {
      evals.epoch.push(r.epoch);
      evals.tag.push(r.tag);
      evals.top1.push(r.top1);
      evals.top5.push(r.top5);
      evals.many.push(r.many);
      evals.medium.push(r.medium);
      evals.few.push(r.few);
    }

    const evalTags = listEvalTags(this.dir);
    const checkpoints = this.checkpointRows(evalTags, warnings);
    const pinned = options.selectedTag != null && evalTags.includes(options.selectedTag);
    if (options.selectedTag != null && !pinned) warnings.push(`evaluation ${options.selectedTag} is not available; showing the latest`);
    const latest = [...checkpoints].filter((c) => c.hasEval).sort((a, b) => b.epoch - a.epoch || (a.tag < b.tag ? 1 : -1))[0];
    const selectedTag = pinned ? options.selectedTag! : (latest?.tag ?? null);
    const selected = selectedTag !== null && table !== null ? this.detail(selectedTag, table, warnings) : null;

    const recent = curves.seconds.filter((s): s is number => s !== null).slice(-ETA_EPOCHS);
    const header: RunHeader = {
      id: manifest.id,
      name: manifest.name,
      status,
      backend: manifest.backend,
      backendDetail: manifest.backendInfo?.detail ?? null,
      host: manifest.host,
      createdAt: manifest.createdAt,
      startedAt: manifest.startedAt,
      endedAt: manifest.endedAt,
      error: manifest.error?.message ?? null,
      epoch: manifest.progress.epoch,
      epochs: manifest.progress.epochs,
      secondsPerEpoch: recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : null,
      canStop: status === 'running' || status === 'queued',
      canResume:
        (status === 'stopped' || status === 'failed' || status === 'interrupted') &&
        !manifest.imported &&
        checkpoints.some((c) => c.hasCheckpoint && !c.external),
      sweepId: manifest.sweepId ?? null,
      readability: runReadability(this.dir) ?? null,
      imported: manifest.imported
        ? {
            kind: manifest.imported.kind,
            source: manifest.imported.source,
            read: manifest.imported.read,
            skipped: manifest.imported.skipped,
          }
        : null,
    };
    if (this.tail.malformed > 0) warnings.push(`metrics.jsonl: ${this.tail.malformed} malformed line(s) skipped`);
    return {
      schema: SNAPSHOT_SCHEMA,
      kind: 'run',
      builtAt: now.toISOString(),
      run: header,
      classes: table,
      curves,
      evals,
      checkpoints,
      selectedTag,
      pinned,
      selected,
      warnings,
    };
  }

  /** The detail of one evaluation, or null with a warning when its file cannot be used. */
  detail(tag: string, table: ClassTable, warnings: string[]): EvalDetail | null {
    const file = runPaths(this.dir).evalFile(tag);
    const revision = fileRevision(file);
    if (revision === null) {
      warnings.push(`evals/${tag}.json is missing`);
      return null;
    }
    const cached = this.details.get(tag);
    if (cached && cached.revision === revision) {
      // Most recently used last, so the cache evicts the oldest.
      this.details.delete(tag);
      this.details.set(tag, cached);
      return cached.detail;
    }
    try {
      const detail = evalDetail(readEvalFile(this.dir, tag), table, `${tag}:${revision}`);
      this.details.set(tag, { revision, detail });
      while (this.details.size > DETAIL_CACHE) this.details.delete(this.details.keys().next().value!);
      return detail;
    } catch (err) {
      warnings.push((err as Error).message);
      return null;
    }
  }

  private readMetrics(warnings: string[]): void {
    let batch: ReturnType<MetricsTail['readBatch']>;
    try {
      batch = this.tail.readBatch();
    } catch (err) {
      warnings.push((err as Error).message);
      return;
    }
    if (batch.restarted) {
      this.epochs.clear();
      this.evalRecords.clear();
    }
    for (const r of batch.records) {
      switch (r.kind) {
        case 'epoch':
          this.epochs.set(r.epoch, r);
          break;
        case 'eval':
          this.evalRecords.set(r.tag, r);
          break;
        case 'step':
        case 'checkpoint':
        case 'event':
          break;
        default: {
          const never: never = r;
          void never;
        }
      }
    }
    // A resumed run records its epochs again from the checkpoint on: the later record wins.
  }

  private readClasses(warnings: string[]): ClassTable | null {
    const file = runPaths(this.dir).classes;
    const revision = fileRevision(file);
    if (revision === null) return null;
    if (this.classes?.revision === revision) return this.classes.table;
    try {
      const classes = readClassesFile(this.dir);
      if (!classes) return null;
      this.classes = { revision, table: classTable(classes) };
      this.details.clear();
      return this.classes.table;
    } catch (err) {
      warnings.push((err as Error).message);
      return null;
    }
  }

  private checkpointRows(evalTags: string[], warnings: string[]): CheckpointRow[] {
    const rows = new Map<string, CheckpointRow>();
    let entries: ReturnType<typeof readCheckpointIndex>['checkpoints'] = [];
    try {
      entries = readCheckpointIndex(this.dir).checkpoints;
    } catch (err) {
      warnings.push((err as Error).message);
    }
    for (const c of entries) {
      rows.set(c.tag, {
        tag: c.tag,
        epoch: c.epoch,
        hasCheckpoint: true,
        hasEval: false,
        best: c.best,
        external: c.external === true,
        bytes: c.bytes,
        time: c.time || null,
        top1: c.top1,
        many: c.many,
        medium: c.medium,
        few: c.few,
      });
    }
    for (const tag of evalTags) {
      const rec = this.evalRecords.get(tag);
      const row = rows.get(tag) ?? {
        tag,
        epoch: rec?.epoch ?? epochFromTag(tag),
        hasCheckpoint: false,
        hasEval: true,
        best: false,
        external: false,
        bytes: null,
        time: rec?.time ?? null,
        top1: null,
        many: null,
        medium: null,
        few: null,
      };
      row.hasEval = true;
      if (rec) Object.assign(row, { top1: rec.top1, many: rec.many, medium: rec.medium, few: rec.few });
      rows.set(tag, row);
    }
    return [...rows.values()].sort((a, b) => b.epoch - a.epoch || (a.tag < b.tag ? 1 : -1));
  }
}

export function buildRunSnapshot(dir: string, options: SnapshotOptions = {}): RunSnapshot {
  return new RunSnapshotSource(dir).build(options);
}

// ---------------------------------------------------------------------------------------------
// Compare

/** Dotted keys of every leaf (arrays are leaves: a changed list is one difference). */
export function flattenConfig(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) out.set(prefix, '{}');
    for (const [k, v] of entries) flattenConfig(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.set(prefix, JSON.stringify(value) ?? 'null');
  }
  return out;
}

/** Keys that name rather than configure: every run has its own, so they are never a difference. */
const NAMING_KEYS: ReadonlySet<string> = new Set(['name', '$schema']);

/** Distinct values in display order: numbers by value, other values as text, absent last. */
function distinctValues(values: readonly (string | null)[]): (string | null)[] {
  const set = [...new Set(values)];
  const present = set.filter((v): v is string => v !== null);
  const nums = present.map(Number);
  const numeric = nums.every((n) => Number.isFinite(n));
  present.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return set.includes(null) ? [...present, null] : present;
}

/**
 * Exactly the keys whose values are not all equal (absent counts as a value), over the runs'
 * configs and every member of the groups: one column per run and per group. A group's cell is
 * the value its members share, or their distinct values where they differ (e.g. the seed).
 */
export function configDifferences(configs: readonly unknown[], groups: readonly (readonly unknown[])[] = []): ConfigDifference[] {
  const flat = configs.map((c) => flattenConfig(c));
  const groupFlat = groups.map((members) => members.map((c) => flattenConfig(c)));
  const keys = new Set<string>();
  for (const f of [...flat, ...groupFlat.flat()]) for (const k of f.keys()) if (!NAMING_KEYS.has(k)) keys.add(k);
  const out: ConfigDifference[] = [];
  for (const key of [...keys].sort()) {
    const values = flat.map((f) => f.get(key) ?? null);
    const cells = groupFlat.map((members): GroupConfigCell => {
      const distinct = distinctValues(members.map((f) => f.get(key) ?? null));
      return distinct.length === 1 ? { kind: 'same', value: distinct[0]! } : { kind: 'varies', values: distinct };
    });
    const all = new Set([...values, ...cells.flatMap((c) => (c.kind === 'same' ? [c.value] : c.values))]);
    if (all.size > 1) out.push(groups.length ? { key, values, groups: cells } : { key, values });
  }
  return out;
}

function sameClassTables(tables: (ClassTable | null)[]): boolean {
  const first = tables[0];
  if (!first) return false;
  return tables.every((t) => t !== null && t.names.length === first.names.length && t.names.every((n, i) => n === first.names[i]));
}

export function compareRunOf(snapshot: RunSnapshot): CompareRun {
  const sel = snapshot.selected;
  return {
    id: snapshot.run.id,
    name: snapshot.run.name,
    status: snapshot.run.status,
    epoch: snapshot.run.epoch,
    epochs: snapshot.run.epochs,
    curves: snapshot.curves,
    evals: snapshot.evals,
    final: sel
      ? {
          tag: sel.tag,
          epoch: sel.epoch,
          top1: sel.top1,
          top5: sel.top5,
          many: sel.groupAccuracy.many,
          medium: sel.groupAccuracy.medium,
          few: sel.groupAccuracy.few,
        }
      : null,
    classes: snapshot.classes,
    confusion: sel?.confusion ?? null,
  };
}

/** Keeps one RunSnapshotSource per compared run, so rebuilding reads only what changed. */
export class CompareSnapshotSource {
  private readonly sources: RunSnapshotSource[];
  constructor(readonly dirs: readonly string[]) {
    this.sources = dirs.map((d) => new RunSnapshotSource(d));
  }

  /** The runs' configs as the last build read them (in order), for differences that also cover groups. */
  configs(): unknown[] {
    return this.sources.map((s) => s.manifest?.config ?? null);
  }

  build(options: Omit<SnapshotOptions, 'selectedTag'> = {}): CompareSnapshot {
    const now = options.now ?? new Date();
    const warnings: string[] = [];
    const snapshots = this.sources.map((s) => s.build({ ...options, now, selectedTag: null }));
    for (const s of snapshots) for (const w of s.warnings) warnings.push(`${s.run.id}: ${w}`);
    const configs = this.configs();
    return {
      schema: SNAPSHOT_SCHEMA,
      kind: 'compare',
      builtAt: now.toISOString(),
      runs: snapshots.map(compareRunOf),
      configDiff: configDifferences(configs),
      sameClasses: sameClassTables(snapshots.map((s) => s.classes)),
      warnings,
    };
  }
}

export function buildCompareSnapshot(dirs: readonly string[], options: Omit<SnapshotOptions, 'selectedTag'> = {}): CompareSnapshot {
  return new CompareSnapshotSource(dirs).build(options);
}

// ---------------------------------------------------------------------------------------------
// Report

export interface ReportOptions extends Omit<SnapshotOptions, 'selectedTag'> {
  title?: string;
  /** Most recent evaluations per run whose full detail is inlined (the rest are listed only). */
  maxEvals?: number;
  /** The Compare tab's data when it is not the runs' comparison (`--group-by-config`: the groups). */
  compare?: CompareSnapshot;
}

export function buildReportData(dirs: readonly string[], options: ReportOptions = {}): ReportData {
  const now = options.now ?? new Date();
  const maxEvals = options.maxEvals ?? 20;
  const runs = dirs.map((dir) => {
    const source = new RunSnapshotSource(dir);
    const snapshot = source.build({ ...options, now, selectedTag: null });
    const details: Record<string, EvalDetail> = {};
    if (snapshot.classes) {
      const tags = snapshot.checkpoints
        .filter((c) => c.hasEval)
        .slice(0, maxEvals)
        .map((c) => c.tag);
      for (const tag of tags) {
        const d = tag === snapshot.selectedTag ? snapshot.selected : source.detail(tag, snapshot.classes, snapshot.warnings);
        if (d) details[tag] = d;
      }
    }
    return { snapshot, details };
  });
  return {
    schema: SNAPSHOT_SCHEMA,
    kind: 'report',
    title:
      options.title ?? (runs.length === 1 ? `GPaCo Lab report: ${runs[0]!.snapshot.run.name}` : `GPaCo Lab report: ${runs.length} runs`),
    generatedAt: now.toISOString(),
    runs,
    compare: options.compare ?? (dirs.length >= 2 ? buildCompareSnapshot(dirs, { ...options, now }) : null),
  };
}
