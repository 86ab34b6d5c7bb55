// Seed statistics: mean, sample standard deviation (n - 1), n, min and max of a set of values.

export interface Stats {
  mean: number;
  /** Sample standard deviation (divides by n - 1); null for a single value. */
  std: number | null;
  n: number;
  min: number;
  max: number;
}

/** Statistics of the finite values; undefined when there are none. */
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
