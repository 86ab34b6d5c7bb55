// The JSON shapes of experiment rows and groups (`gpaco ls --json`, reports): plain data, the
// same numbers the table shows. Missing values are null (JSON has no undefined).
import type { Stats } from './stats';
import type { EvalPoint, ExperimentSummary } from './summary';
import { METRIC_KEYS, type ExperimentGroup, type ExperimentRow, type MetricKey, type ValueMode } from './table';

export interface RowJson {
  id: string;
  dir: string;
  name: string;
  status: ExperimentSummary['status'];
  problem: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  progress: { epoch: number; epochs: number } | null;
  backend: string | null;
  classes: number | null;
  sweepId: string | null;
  tags: string[];
  note: string;
  metaProblem: string | null;
  /** Which evaluation `metrics` come from. */
  value: { mode: ValueMode; epoch: number | null; tag: string | null };
  metrics: Record<MetricKey, number | null>;
  /** The last evaluation (whatever the mode), for scripts that want it. */
  latestEval: EvalPoint | null;
  evaluations: number;
  config: ExperimentSummary['config'];
}

export interface GroupJson {
  key: string;
  label: string;
  classes: number | null;
  n: number;
  config: ExperimentGroup['config'];
  varying: ExperimentGroup['varying'];
  apart: string | null;
  value: { mode: ValueMode };
  metrics: Record<MetricKey, Stats | null>;
  members: string[];
}

export function rowJson(row: ExperimentRow, mode: ValueMode): RowJson {
  const s = row.summary;
  const metrics = {} as Record<MetricKey, number | null>;
  for (const k of METRIC_KEYS) metrics[k] = row.metrics[k] ?? null;
  let latest: EvalPoint | null = null;
  for (const e of s.evals) if (!latest || e.epoch >= latest.epoch) latest = e;
  return {
    id: s.id,
    dir: s.dir,
    name: s.name,
    status: s.status,
    problem: s.problem ?? null,
    createdAt: s.createdAt,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    durationSeconds: s.durationSeconds,
    progress: s.epoch !== null && s.epochs !== null ? { epoch: s.epoch, epochs: s.epochs } : null,
    backend: s.backend,
    classes: s.classes,
    sweepId: s.sweepId,
    tags: s.meta.tags,
    note: s.meta.note,
    metaProblem: s.meta.problem ?? null,
    value: { mode, epoch: row.source?.epoch ?? null, tag: row.source?.tag ?? null },
    metrics,
    latestEval: latest,
    evaluations: s.evals.length,
    config: s.config,
  };
}

export function groupJson(group: ExperimentGroup, mode: ValueMode): GroupJson {
  const metrics = {} as Record<MetricKey, Stats | null>;
  for (const k of METRIC_KEYS) metrics[k] = group.metrics[k] ?? null;
  return {
    key: group.key,
    label: group.label,
    classes: group.classes,
    n: group.n,
    config: group.config,
    varying: group.varying,
    apart: group.apart ?? null,
    value: { mode },
    metrics,
    members: group.members.map((m) => m.summary.id),
  };
}
