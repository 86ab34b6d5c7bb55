// Sweeps: a grid over config keys (`--grid loss.alpha=0.01,0.05 --grid optim.lr=0.05,0.1`)
// expanded into one validated config per point; the runs share a sweep id, and a small record
// under `<runs root>/.sweeps/<id>/sweep.json` lists them (the catalog skips dot-folders).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from './atomicWrite';
import { applyOverrides, type Override } from './config/overrides';
import { isForbiddenKey } from './config/safeKeys';
import type { Config } from './config/schema';
import { formatIssue, validateConfig, type ConfigIssue } from './config/validate';
import { slugify, timestampId } from './runDirectory';

export interface GridAxis {
  /** Dotted config path, e.g. `loss.alpha`. */
  key: string;
  path: string[];
  values: unknown[];
}

/** Most points a sweep may have (a typo such as a long list pasted twice is refused). */
export const MAX_SWEEP_POINTS = 256;

/** Splits on commas outside brackets and quotes: `[1,2],[3]` -> `[1,2]`, `[3]`. */
export function splitGridValues(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      cur += ch;
      if (ch === '\\' && i + 1 < text.length) cur += text[++i]!;
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"') quote = ch;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** `loss.alpha=0.01,0.05`: values are JSON when they parse as JSON, else strings (as `--set`). */
export function parseGridAxis(text: string): GridAxis | ConfigIssue {
  const eq = text.indexOf('=');
  if (eq <= 0) return { path: '', message: `--grid expects key=value1,value2,..., got "${text}"` };
  const key = text.slice(0, eq).trim();
  if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(key))
    return { path: key, message: `--grid: "${key}" is not a dotted field path such as loss.alpha` };
  const bad = key.split('.').find(isForbiddenKey);
  if (bad !== undefined) return { path: key, message: `--grid: "${bad}" is not a config field` };
  const raw = splitGridValues(text.slice(eq + 1));
  if (raw.some((v) => v === '')) return { path: key, message: `--grid ${key}: empty value in "${text.slice(eq + 1)}"` };
  const values = raw.map((v) => {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  });
  const seen = new Set(values.map((v) => JSON.stringify(v)));
  if (seen.size !== values.length) return { path: key, message: `--grid ${key}: a value is repeated` };
  return { key, path: key.split('.'), values };
}

/** Axes typed on one line: `loss.alpha=0.01,0.05 optim.lr=0.05,0.1` (spaces or semicolons between axes). */
export function splitGridText(text: string): string[] {
  return text
    .split(/[;\s]+(?=[A-Za-z_$][\w$.]*=)/)
    .map((s) => s.trim().replace(/;$/, ''))
    .filter(Boolean);
}

export function isGridAxis(x: GridAxis | ConfigIssue): x is GridAxis {
  return Array.isArray((x as GridAxis).values);
}

export interface SweepPoint {
  index: number;
  /** key -> value of this point, in axis order. */
  values: Record<string, unknown>;
  /** `alpha=0.01 lr=0.05`: short, for names and tables. */
  label: string;
}

/** The cartesian product, first axis slowest (the order the runs are made and array tasks numbered). */
export function gridPoints(axes: readonly GridAxis[]): SweepPoint[] {
  let combos: unknown[][] = [[]];
  for (const a of axes) combos = combos.flatMap((c) => a.values.map((v) => [...c, v]));
  return combos.map((vals, index) => {
    const values: Record<string, unknown> = {};
    axes.forEach((a, i) => (values[a.key] = vals[i]));
    const label = axes
      .map((a, i) => `${a.path[a.path.length - 1]}=${typeof vals[i] === 'string' ? vals[i] : JSON.stringify(vals[i])}`)
      .join(' ');
    return { index, values, label };
  });
}

export interface ExpandedPoint extends SweepPoint {
  config: Config;
}

export type ExpandResult = { ok: true; points: ExpandedPoint[] } | { ok: false; errors: string[] };

/**
 * One validated config per grid point: `base` (a raw config object, already with any --set
 * overrides) with the point's values applied. Every invalid point is reported with its values.
 */
export function expandSweep(
  base: unknown,
  axes: readonly GridAxis[],
  validateOptions: Parameters<typeof validateConfig>[1] = {},
): ExpandResult {
  const errors: string[] = [];
  if (axes.length === 0) return { ok: false, errors: ['give at least one --grid key=value1,value2'] };
  const keys = axes.map((a) => a.key);
  const dup = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dup) return { ok: false, errors: [`--grid ${dup} is given twice`] };
  const nested = keys.find((k) => keys.some((o) => o !== k && o.startsWith(`${k}.`)));
  if (nested) return { ok: false, errors: [`--grid ${nested} overlaps another --grid key inside it`] };
  const count = axes.reduce((n, a) => n * a.values.length, 1);
  if (count > MAX_SWEEP_POINTS) return { ok: false, errors: [`the grid has ${count} points; at most ${MAX_SWEEP_POINTS}`] };
  const points: ExpandedPoint[] = [];
  for (const p of gridPoints(axes)) {
    const overrides: Override[] = axes.map((a) => ({ path: a.path, value: p.values[a.key] }));
    const r = validateConfig(applyOverrides(base, overrides), { ...validateOptions, text: undefined });
    if (!r.ok) {
      errors.push(`grid point ${p.index + 1} (${p.label}): ${r.errors.map(formatIssue).join('; ')}`);
      continue;
    }
    points.push({ ...p, config: r.config });
  }
  return errors.length ? { ok: false, errors } : { ok: true, points };
}

/** `20261128-101500-synthetic-lt-3f9a`: sortable, readable, unique. */
export function newSweepId(name: string, now: Date = new Date()): string {
  return `${timestampId(now)}-${slugify(name).slice(0, 30)}-${crypto.randomBytes(2).toString('hex')}`;
}

/** `<runs root>/.sweeps/<id>`: the sweep's record and, for Slurm, its array script and task logs. */
export function sweepDir(root: string, sweepId: string): string {
  return path.join(root, '.sweeps', sweepId);
}

export interface SweepRecord {
  schema: 'gpaco-sweep/1';
  id: string;
  name: string;
  createdAt: string;
  grid: { key: string; values: unknown[] }[];
  launch: { kind: 'local' } | { kind: 'slurm'; jobId: string | null };
  runs: { id: string; dir: string; label: string; values: Record<string, unknown> }[];
}

export function writeSweepRecord(root: string, record: SweepRecord): string {
  const file = path.join(sweepDir(root, record.id), 'sweep.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeJsonAtomic(file, record);
  return file;
}
