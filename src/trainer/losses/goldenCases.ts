// Reader of loss cases in the golden file's format (schema gpaco-loss-golden/v1, docs/method.md).
// Used by `verify-loss` and the tests. Bad input gets a message naming the JSON field path.
import * as fs from 'node:fs';
import { EPS_DEN, EPS_PRIOR, type LossHyper, type Matrix, type MethodInput64, type MethodResult64, type Variant } from './reference64';

export const GOLDEN_SCHEMA = 'gpaco-loss-golden/v1';

/** The reference's result as the golden file stores it (positives / centre logits may be absent). */
export type GoldenExpected = Omit<MethodResult64, 'positives' | 'centerLogits'> & {
  positives: number[] | null;
  centerLogits: Matrix | null;
};

export interface GoldenCase {
  name: string;
  variant: Variant;
  hyper: LossHyper;
  inputs: MethodInput64;
  expected: GoldenExpected;
}

export class GoldenFormatError extends Error {
  constructor(
    message: string,
    readonly where: string,
  ) {
    super(where ? `${where}: ${message}` : message);
    this.name = 'GoldenFormatError';
  }
}

type Json = unknown;

function obj(v: Json, at: string): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new GoldenFormatError('expected an object', at);
  return v as Record<string, Json>;
}
function num(v: Json, at: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new GoldenFormatError('expected a finite number', at);
  return v;
}
function bool(v: Json, at: string): boolean {
  if (typeof v !== 'boolean') throw new GoldenFormatError('expected true or false', at);
  return v;
}
function vec(v: Json, at: string, len?: number): number[] {
  if (!Array.isArray(v)) throw new GoldenFormatError('expected an array of numbers', at);
  if (len !== undefined && v.length !== len) throw new GoldenFormatError(`expected ${len} entries, found ${v.length}`, at);
  return v.map((x, i) => num(x, `${at}[${i}]`));
}
function ints(v: Json, at: string, len: number | undefined, max: number): number[] {
  const out = vec(v, at, len);
  out.forEach((x, i) => {
    if (!Number.isInteger(x) || x < 0 || x >= max) throw new GoldenFormatError(`expected an integer label in 0..${max - 1}`, `${at}[${i}]`);
  });
  return out;
}
function mat(v: Json, at: string, rows: number | undefined, cols: number | undefined): Matrix {
  if (!Array.isArray(v)) throw new GoldenFormatError('expected an array of rows', at);
  if (rows !== undefined && v.length !== rows) throw new GoldenFormatError(`expected ${rows} rows, found ${v.length}`, at);
  const m = v.map((r, i) => vec(r, `${at}[${i}]`, cols));
  const width = m[0]?.length ?? 0;
  m.forEach((r, i) => {
    if (r.length !== width) throw new GoldenFormatError(`row has ${r.length} entries, row 0 has ${width}`, `${at}[${i}]`);
  });
  return m;
}
const optMat = (v: Json, at: string, rows: number | undefined, cols: number | undefined): Matrix | null =>
  v === null || v === undefined ? null : mat(v, at, rows, cols);

function parseVariant(v: Json, at: string): Variant {
  if (v === 'paco' || v === 'gpaco' || v === 'gpaco_single_view') return v;
  throw new GoldenFormatError(`expected "paco", "gpaco" or "gpaco_single_view", found ${JSON.stringify(v)}`, at);
}

export function parseGoldenCase(raw: Json, at: string): GoldenCase {
  const c = obj(raw, at);
  const name = typeof c.name === 'string' ? c.name : at;
  const variant = parseVariant(c.variant, `${at}.variant`);
  const h = obj(c.hyper, `${at}.hyper`);
  const temperature = num(h.temperature, `${at}.hyper.temperature`);
  const hyper: LossHyper = {
    alpha: num(h.alpha, `${at}.hyper.alpha`),
    beta: num(h.beta, `${at}.hyper.beta`),
    gamma: num(h.gamma, `${at}.hyper.gamma`),
    temperature,
    baseTemperature:
      h.base_temperature === null || h.base_temperature === undefined
        ? temperature
        : num(h.base_temperature, `${at}.hyper.base_temperature`),
    supt: num(h.supt, `${at}.hyper.supt`),
    labelSmoothing: num(h.label_smoothing, `${at}.hyper.label_smoothing`),
    usePrior: bool(h.use_prior, `${at}.hyper.use_prior`),
    epsPrior: h.eps_prior === undefined ? EPS_PRIOR : num(h.eps_prior, `${at}.hyper.eps_prior`),
    epsDen: h.eps_den === undefined ? EPS_DEN : num(h.eps_den, `${at}.hyper.eps_den`),
  };
  if (!(hyper.temperature > 0) || !(hyper.baseTemperature > 0) || !(hyper.supt > 0)) {
    throw new GoldenFormatError('temperature, base_temperature and supt must be > 0', `${at}.hyper`);
  }

  const i = obj(c.inputs, `${at}.inputs`);
  const I = `${at}.inputs`;
  const W = mat(i.W, `${I}.W`, undefined, undefined);
  const C = W.length;
  const F = W[0]?.length ?? 0;
  const q = mat(i.q, `${I}.q`, undefined, undefined);
  const B = q.length;
  const D = q[0]?.length ?? 0;
  const isPair = variant !== 'gpaco_single_view';
  const k = optMat(i.k, `${I}.k`, B, D);
  if (isPair && !k) throw new GoldenFormatError(`${variant} needs k`, `${I}.k`);
  const queue = mat(i.queue, `${I}.queue`, undefined, D);
  const inputs: MethodInput64 = {
    q,
    k: isPair ? k : null,
    queue,
    labels: ints(i.labels, `${I}.labels`, B, C),
    queueLabels: ints(i.queue_labels, `${I}.queue_labels`, queue.length, C),
    hQ: mat(i.h_q, `${I}.h_q`, B, F),
    hK: variant === 'gpaco' ? mat(i.h_k, `${I}.h_k`, B, F) : null,
    W,
    b: vec(i.b, `${I}.b`, C),
    classCounts: vec(i.class_counts, `${I}.class_counts`, C),
  };

  const A = variant === 'gpaco' ? 2 * B : B;
  const e = obj(c.expected, `${at}.expected`);
  const E = `${at}.expected`;
  const expected: GoldenExpected = {
    loss: num(e.loss, `${E}.loss`),
    perAnchor: vec(e.per_anchor_loss, `${E}.per_anchor_loss`, A),
    positives: e.positives_per_anchor == null ? null : vec(e.positives_per_anchor, `${E}.positives_per_anchor`, A),
    centerLogits: optMat(e.center_logits, `${E}.center_logits`, A, C),
    gradQ: mat(e.grad_q, `${E}.grad_q`, B, D),
    gradK: variant === 'gpaco' ? mat(e.grad_k, `${E}.grad_k`, B, D) : null,
    gradHQ: mat(e.grad_h_q, `${E}.grad_h_q`, B, F),
    gradHK: variant === 'gpaco' ? mat(e.grad_h_k, `${E}.grad_h_k`, B, F) : null,
    gradW: mat(e.grad_W, `${E}.grad_W`, C, F),
    gradB: vec(e.grad_b, `${E}.grad_b`, C),
  };
  return { name, variant, hyper, inputs, expected };
}

export function parseGoldenFile(text: string, file = '<input>'): GoldenCase[] {
  let raw: Json;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new GoldenFormatError(`not valid JSON (${(err as Error).message})`, file);
  }
  const top = obj(raw, file);
  if (top.schema !== undefined && top.schema !== GOLDEN_SCHEMA) {
    throw new GoldenFormatError(`unknown schema ${JSON.stringify(top.schema)}; expected "${GOLDEN_SCHEMA}"`, `${file}: schema`);
  }
  if (!Array.isArray(top.cases) || top.cases.length === 0) throw new GoldenFormatError('expected a non-empty array', `${file}: cases`);
  return top.cases.map((c, n) => parseGoldenCase(c, `cases[${n}]`));
}

export function loadGoldenFile(file: string): GoldenCase[] {
  return parseGoldenFile(fs.readFileSync(file, 'utf8'), file);
}

/** The quantities compared, in report order. */
export const GOLDEN_QUANTITIES = ['loss', 'perAnchor', 'gradQ', 'gradK', 'gradHQ', 'gradHK', 'gradW', 'gradB'] as const;
export type GoldenQuantity = (typeof GOLDEN_QUANTITIES)[number];

/** Largest absolute difference between two equally shaped numbers / vectors / matrices. */
export function maxAbsDiff(a: number | number[] | Matrix, b: number | number[] | Matrix): number {
  if (typeof a === 'number' || typeof b === 'number') {
    if (typeof a !== 'number' || typeof b !== 'number') throw new Error('shape mismatch');
    return Math.abs(a - b);
  }
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = maxAbsDiff(a[i]!, b[i]!);
    // NaN must never pass a tolerance check.
    if (Number.isNaN(d)) return Number.NaN;
    if (d > m) m = d;
  }
  return m;
}
