// Groups in the compare panel and in `gpaco report --group-by-config`: a group of runs (the seeds
// of one config) becomes one mean curve with a ± std or min-max band per metric and for the
// training loss (src/core/experiments' groupCurve), statistics of its members' latest
// evaluations, one confusion matrix (the sum of the members' matrices at the last epoch every
// member has an evaluation file for), and a column of the config differences. Pure Node (no vscode).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readClassesFile, readEvalFile, readRunConfig, readRunManifest, runPaths } from './runDirectory';
import { classTable, configDifferences, evalDetail } from './snapshot';
import { groupCurve, statsOf, SummaryCache, type ExperimentSummary } from './experiments';
import { LossSeriesCache } from './experiments/lossSeries';
import type { EvalFile } from './contract';
import {
  SNAPSHOT_SCHEMA,
  type ClassTable,
  type CompareGroup,
  type CompareMetric,
  type CompareSnapshot,
  type GroupStats,
} from '../protocol/snapshot';

const METRICS: readonly CompareMetric[] = ['top1', 'top5', 'many', 'medium', 'few'];

export interface GroupSpec {
  label: string;
  dirs: readonly string[];
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

function revision(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return '-';
  }
}

/** Summed matrices by group key and member eval-file revisions, so an unchanged group is not re-read. */
export class GroupMatrixCache {
  private readonly entries = new Map<string, { key: string; value: GroupMatrix }>();

  get(groupKey: string, key: string, compute: () => GroupMatrix): GroupMatrix {
    const hit = this.entries.get(groupKey);
    if (hit && hit.key === key) return hit.value;
    const value = compute();
    this.entries.set(groupKey, { key, value });
    return value;
  }
}

/**
 * The members with evaluation files (a queued or not yet evaluated seed has none and adds
 * nothing), the last epoch at which each of them has one, and each one's tag there.
 */
export function lastCommonEpoch(
  members: readonly ExperimentSummary[],
): { epoch: number; members: ExperimentSummary[]; tags: string[] } | null {
  const withFiles = members
    .map((m) => {
      const byEpoch = new Map<number, string>();
      for (const e of m.evals) if (fs.existsSync(runPaths(m.dir).evalFile(e.tag))) byEpoch.set(e.epoch, e.tag);
      return { m, byEpoch };
    })
    .filter((w) => w.byEpoch.size > 0);
  if (withFiles.length === 0) return null;
  const common = [...withFiles[0]!.byEpoch.keys()].filter((ep) => withFiles.every((w) => w.byEpoch.has(ep)));
  if (common.length === 0) return null;
  const epoch = Math.max(...common);
  return { epoch, members: withFiles.map((w) => w.m), tags: withFiles.map((w) => w.byEpoch.get(epoch)!) };
}

type GroupMatrix = Pick<CompareGroup, 'classes' | 'confusion' | 'confusionEpoch' | 'confusionMembers' | 'confusionNote'>;

function summedMatrix(all: readonly ExperimentSummary[]): GroupMatrix {
  const none = (note: string, classes: ClassTable | null = null): GroupMatrix => ({
    classes,
    confusion: null,
    confusionEpoch: null,
    confusionMembers: 0,
    confusionNote: note,
  });
  const common = lastCommonEpoch(all);
  if (!common)
    return none(
      all.some((m) => m.evals.length)
        ? 'the evaluated members have no evaluation file at a common epoch'
        : 'no member has an evaluation file yet',
    );
  const members = common.members;
  let table: ClassTable | null = null;
  let names: string[] | null = null;
  for (const m of members) {
    let classes;
    try {
      classes = readClassesFile(m.dir);
    } catch (err) {
      return none(`${m.id}: ${(err as Error).message}`);
    }
    if (!classes) return none(`${m.id} has no classes.json`);
    if (names === null) {
      names = classes.names;
      table = classTable(classes);
    } else if (!sameNames(names, classes.names))
      return none(`${m.id} has other classes than ${members[0]!.id}: matrices of different classes are not added`);
  }
  const c = table!.label.length;
  // Sparse cells [true, predicted, count] of every member, added by cell.
  const sum = new Map<number, number>();
  let first: EvalFile | null = null;
  for (let i = 0; i < members.length; i++) {
    let ev: EvalFile;
    try {
      ev = readEvalFile(members[i]!.dir, common.tags[i]!);
    } catch (err) {
      return none((err as Error).message, table);
    }
    if (ev.confusion.classes !== c)
      return none(`${members[i]!.id}: evaluation ${ev.tag} has ${ev.confusion.classes} classes, classes.json ${c}`, table);
    const cells = ev.confusion.cells;
    for (let k = 0; k + 2 < cells.length; k += 3) {
      const key = cells[k]! * c + cells[k + 1]!;
      sum.set(key, (sum.get(key) ?? 0) + cells[k + 2]!);
    }
    first ??= ev;
  }
  const cells: number[] = [];
  for (const key of [...sum.keys()].sort((a, b) => a - b)) cells.push(Math.floor(key / c), key % c, sum.get(key)!);
  // evalDetail puts the summed counts in display order and encodes them for the wire.
  const detail = evalDetail({ ...first!, confusion: { layout: 'sparse', classes: c, cells } }, table!, `group:${common.epoch}`);
  return {
    classes: table,
    confusion: detail.confusion,
    confusionEpoch: common.epoch,
    confusionMembers: members.length,
    confusionNote: null,
  };
}

export type BandKind = 'std' | 'minmax';

function buildCompareGroup(
  spec: GroupSpec,
  cache: SummaryCache,
  matrices: GroupMatrixCache,
  losses: LossSeriesCache,
  warnings: string[],
): CompareGroup {
  const members = spec.dirs.map((d) => cache.get(d));
  const curveMembers = members.map((m) => ({ evals: m.evals, losses: losses.get(m.dir, warnings) }));
  const curves = {} as CompareGroup['curves'];
  const final = {} as Record<CompareMetric, GroupStats | null>;
  const latest = members.map((m) =>
    m.evals.reduce<(typeof m.evals)[number] | undefined>((a, e) => (!a || e.epoch >= a.epoch ? e : a), undefined),
  );
  for (const metric of METRICS) {
    curves[metric] = groupCurve(curveMembers, metric);
    final[metric] = statsOf(latest.map((e) => e?.[metric])) ?? null;
  }
  const key = members.map((m) => m.id).join(',');
  const revKey = members.map((m) => m.evals.map((e) => `${e.tag}@${revision(runPaths(m.dir).evalFile(e.tag))}`).join(';')).join('|');
  const matrix = matrices.get(key, revKey, () => summedMatrix(members));
  return {
    key,
    label: spec.label,
    members: members.map((m) => m.id),
    memberNames: members.map((m) => m.name),
    curves,
    loss: groupCurve(curveMembers, 'loss'),
    final,
    ...matrix,
  };
}

/** A run's config as its run.json records it (else its config.json); null with a warning when neither can be read. */
function configOf(dir: string, warnings: string[]): unknown {
  try {
    return readRunManifest(dir).config;
  } catch (err) {
    try {
      return readRunConfig(dir);
    } catch {
      warnings.push(`${path.basename(dir)}: ${(err as Error).message}; its config is left out of the differences`);
      return null;
    }
  }
}

/**
 * Groups added to a compare snapshot, kept between builds: summaries, loss series and summed
 * matrices are re-read only for the members whose files changed.
 */
export class CompareGroupsSource {
  private readonly summaries = new SummaryCache();
  private readonly matrices = new GroupMatrixCache();
  private readonly losses = new LossSeriesCache();

  /** A member's files changed: its summary is read again on the next build. */
  invalidate(dir: string): void {
    this.summaries.invalidate(dir);
  }

  /**
   * `base` (the runs' snapshot; `runConfigs` their configs, in order) with the groups, the band
   * choice, and the config differences over the runs and the groups.
   */
  build(base: CompareSnapshot, runConfigs: readonly unknown[], specs: readonly GroupSpec[], band: BandKind): CompareSnapshot {
    const warnings = [...base.warnings];
    const groups = specs.map((g) => buildCompareGroup(g, this.summaries, this.matrices, this.losses, warnings));
    const groupConfigs = specs.map((g) => g.dirs.map((d) => configOf(d, warnings)).filter((c) => c !== null));
    return {
      ...base,
      groups,
      band,
      configDiff: configDifferences(runConfigs, groupConfigs),
      warnings,
    };
  }
}

/** A comparison of groups alone (`gpaco report --group-by-config`): no run lines, one band per group. */
export function buildGroupsCompare(specs: readonly GroupSpec[], band: BandKind, now = new Date()): CompareSnapshot {
  const base: CompareSnapshot = {
    schema: SNAPSHOT_SCHEMA,
    kind: 'compare',
    builtAt: now.toISOString(),
    runs: [],
    configDiff: [],
    sameClasses: false,
    warnings: [],
  };
  return new CompareGroupsSource().build(base, [], specs, band);
}
