// A group's curve: per epoch, the mean of its members' values with a ± sample std band and a
// min-max band (the compare panel and reports draw one band per group instead of one line per
// seed), for an evaluation metric or the training loss. Members need not share epochs: each
// epoch's statistics use the members with a value then, and `n` says how many that was.
import { statsOf } from './stats';
import type { EvalPoint } from './summary';
import type { MetricKey } from './table';

export interface SeriesPoint {
  epoch: number;
  value: number;
}

export interface BandCurve {
  epochs: number[];
  mean: number[];
  /** Sample std at each epoch; null where only one member has a value. */
  std: (number | null)[];
  min: number[];
  max: number[];
  /** Members with a value at each epoch. */
  n: number[];
}

/** One run's values of a metric by epoch (a re-evaluated epoch keeps its last value). */
export function metricSeries(evals: readonly EvalPoint[], metric: MetricKey): SeriesPoint[] {
  const byEpoch = new Map<number, number>();
  for (const e of evals) {
    const v = e[metric];
    // null: the run did not record this figure (an imported run); it adds no point.
    if (v !== null) byEpoch.set(e.epoch, v);
  }
  return [...byEpoch].sort((a, b) => a[0] - b[0]).map(([epoch, value]) => ({ epoch, value }));
}

/** Mean, std, min and max over several series, at every epoch any of them has. */
export function bandCurve(series: readonly (readonly SeriesPoint[])[]): BandCurve {
  const byEpoch = new Map<number, number[]>();
  for (const s of series) {
    for (const p of s) {
      const list = byEpoch.get(p.epoch);
      if (list) list.push(p.value);
      else byEpoch.set(p.epoch, [p.value]);
    }
  }
  const curve: BandCurve = { epochs: [], mean: [], std: [], min: [], max: [], n: [] };
  for (const epoch of [...byEpoch.keys()].sort((a, b) => a - b)) {
    const st = statsOf(byEpoch.get(epoch)!);
    if (!st) continue;
    curve.epochs.push(epoch);
    curve.mean.push(st.mean);
    curve.std.push(st.std);
    curve.min.push(st.min);
    curve.max.push(st.max);
    curve.n.push(st.n);
  }
  return curve;
}

/** What a group curve can follow: an evaluation metric, or the training loss of the epoch records. */
export type CurveKey = MetricKey | 'loss';

/** A run as a group curve reads it: its evaluations, and its training loss by epoch when `loss` is drawn. */
export interface CurveMember {
  evals: readonly EvalPoint[];
  losses?: readonly SeriesPoint[];
}

/** The band curve of a metric (or the loss) over runs (e.g. a group's members). */
export function groupCurve(members: readonly CurveMember[], key: CurveKey): BandCurve {
  return bandCurve(members.map((m) => (key === 'loss' ? (m.losses ?? []) : metricSeries(m.evals, key))));
}
