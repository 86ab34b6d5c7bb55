// The float64 oracle of the parametric-contrastive loss (docs/method.md, "The loss" and "Gradients"):
// plain TypeScript, no TensorFlow.js, analytic gradients. It matches the golden file to 1e-9
// and is what the float32 TF.js graph is checked against (and what verify-loss trusts).
// Kept deliberately naive (row by row) so it reads like the spec.

import { EPS_PRIOR, type LossHyper } from './hyper';

export { EPS_DEN, EPS_PRIOR, type LossHyper } from './hyper';

export type Matrix = number[][];

/** Inputs of the core (docs/method.md). `selfIndex[a]` = -1 means "no self column". */
export interface CoreInput64 {
  anchors: Matrix;
  anchorLabels: number[];
  contrast: Matrix;
  contrastLabels: number[];
  selfIndex: number[];
  centerLogits: Matrix;
  classCounts: number[] | null;
}

export interface CoreResult64 {
  loss: number;
  perAnchor: number[];
  /** Same-label contrast entries per anchor, self excluded (|P(a)|). */
  positives: number[];
  /** dL/d anchors (anchor role only). */
  gradAnchors: Matrix;
  /** dL/d contrast rows (contrast role only). */
  gradContrast: Matrix;
  /** dL/d z (raw class logits). */
  gradCenterLogits: Matrix;
}

export function logPrior64(counts: readonly number[], eps = EPS_PRIOR): number[] {
  const total = counts.reduce((s, n) => s + n, 0);
  return counts.map((n) => Math.log(n / total + eps));
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

const zeros = (rows: number, cols: number): Matrix => Array.from({ length: rows }, () => new Array<number>(cols).fill(0));

export function parametricContrastive64(input: CoreInput64, hp: LossHyper): CoreResult64 {
  const { anchors, anchorLabels, contrast, contrastLabels, selfIndex, centerLogits } = input;
  const A = centerLogits.length;
  const C = A > 0 ? centerLogits[0]!.length : 0;
  const N = contrast.length;
  const tau = hp.temperature;
  const scale = hp.temperature / hp.baseTemperature;
  if (hp.usePrior && !input.classCounts) throw new Error('usePrior needs classCounts');
  const prior = hp.usePrior ? logPrior64(input.classCounts!, hp.epsPrior) : null;
  const off = C > 1 ? hp.labelSmoothing / (C - 1) : 0;

  const perAnchor: number[] = [];
  const positives: number[] = [];
  const gradAnchors = zeros(A, anchors[0]?.length ?? 0);
  const gradContrast = zeros(N, contrast[0]?.length ?? 0);
  const gradCenterLogits = zeros(A, C);

  for (let a = 0; a < A; a++) {
    const row: number[] = [];
    for (let c = 0; c < C; c++) row.push((centerLogits[a]![c]! + (prior ? prior[c]! : 0)) / hp.supt);
    for (let j = 0; j < N; j++) row.push(dot(anchors[a]!, contrast[j]!) / tau);
    const m = Math.max(...row); // self column included (docs/method.md, Pitfalls)
    const den: number[] = [];
    const pos: number[] = [];
    let nPos = 0;
    for (let c = 0; c < C; c++) {
      den.push(1);
      pos.push(hp.beta * (c === anchorLabels[a] ? 1 - hp.labelSmoothing : off));
    }
    for (let j = 0; j < N; j++) {
      const notSelf = j !== selfIndex[a];
      den.push(notSelf ? hp.gamma : 0);
      const same = notSelf && contrastLabels[j] === anchorLabels[a];
      if (same) nPos++;
      pos.push(same ? hp.alpha : 0);
    }
    const e = row.map((l, k) => den[k]! * Math.exp(l - m));
    const D = e.reduce((s, v) => s + v, 0) + hp.epsDen;
    const logD = Math.log(D);
    const P = pos.reduce((s, v) => s + v, 0);
    let acc = 0;
    for (let k = 0; k < row.length; k++) acc += pos[k]! * (row[k]! - m - logD);
    perAnchor.push((-scale * acc) / P);
    positives.push(nPos);

    // G_{a,k} = scale/A * (e_k/D - rho_k/P)   (docs/method.md; m is a constant)
    const G = row.map((_, k) => (scale / A) * (e[k]! / D - pos[k]! / P));
    for (let c = 0; c < C; c++) gradCenterLogits[a]![c] = G[c]! / hp.supt;
    for (let j = 0; j < N; j++) {
      const g = G[C + j]! / tau;
      if (g === 0) continue;
      const fa = anchors[a]!;
      const gj = contrast[j]!;
      for (let d = 0; d < fa.length; d++) {
        gradAnchors[a]![d]! += g * gj[d]!;
        gradContrast[j]![d]! += g * fa[d]!;
      }
    }
  }
  const loss = perAnchor.reduce((s, v) => s + v, 0) / A;
  return { loss, perAnchor, positives, gradAnchors, gradContrast, gradCenterLogits };
}

// ---- how the three variants fill the core's inputs (docs/method.md) ----

export type Variant = 'paco' | 'gpaco' | 'gpaco_single_view';

/** The golden file's inputs (docs/method.md). W is [C x F]; z = h W^T + b. */
export interface MethodInput64 {
  q: Matrix;
  k: Matrix | null;
  queue: Matrix;
  labels: number[];
  queueLabels: number[];
  hQ: Matrix;
  hK: Matrix | null;
  W: Matrix;
  b: number[];
  classCounts: number[];
}

export interface MethodResult64 {
  loss: number;
  perAnchor: number[];
  positives: number[];
  centerLogits: Matrix;
  gradQ: Matrix;
  gradK: Matrix | null;
  gradHQ: Matrix;
  gradHK: Matrix | null;
  gradW: Matrix;
  gradB: number[];
}

function linear(h: Matrix, W: Matrix, b: number[]): Matrix {
  return h.map((row) => W.map((w, c) => dot(row, w) + b[c]!));
}

const addRows = (x: Matrix, y: Matrix): Matrix => x.map((r, i) => r.map((v, d) => v + y[i]![d]!));

/** Variant -> anchors / contrast set, loss, and gradients w.r.t. q, k, h, W, b. */
export function methodLoss64(variant: Variant, x: MethodInput64, hp: LossHyper): MethodResult64 {
  const B = x.q.length;
  const needK = variant !== 'gpaco_single_view';
  if (needK && !x.k) throw new Error(`${variant} needs k`);
  if (variant === 'gpaco' && !x.hK) throw new Error('gpaco needs h_k');
  const h = variant === 'gpaco' ? [...x.hQ, ...x.hK!] : x.hQ;
  const z = linear(h, x.W, x.b);
  const anchors = variant === 'gpaco' ? [...x.q, ...x.k!] : x.q;
  const anchorLabels = variant === 'gpaco' ? [...x.labels, ...x.labels] : x.labels;
  const contrast = needK ? [...x.q, ...x.k!, ...x.queue] : [...x.q, ...x.queue];
  const contrastLabels = needK ? [...x.labels, ...x.labels, ...x.queueLabels] : [...x.labels, ...x.queueLabels];
  const r = parametricContrastive64(
    { anchors, anchorLabels, contrast, contrastLabels, selfIndex: anchors.map((_, a) => a), centerLogits: z, classCounts: x.classCounts },
    hp,
  );
  // A tensor that is both anchor and contrast column gets both gradients (docs/method.md, Pitfalls).
  const nViews = variant === 'gpaco' ? 2 * B : B;
  const gFeat = addRows(r.gradAnchors, r.gradContrast.slice(0, nViews));
  const dz = r.gradCenterLogits;
  const F = x.W[0]!.length;
  const dh = dz.map((row) => Array.from({ length: F }, (_, f) => row.reduce((s, g, c) => s + g * x.W[c]![f]!, 0)));
  const dW = x.W.map((_, c) => Array.from({ length: F }, (_, f) => dz.reduce((s, row, a) => s + row[c]! * h[a]![f]!, 0)));
  const db = x.W.map((_, c) => dz.reduce((s, row) => s + row[c]!, 0));
  return {
    loss: r.loss,
    perAnchor: r.perAnchor,
    positives: r.positives,
    centerLogits: z,
    gradQ: gFeat.slice(0, B),
    gradK: variant === 'gpaco' ? gFeat.slice(B) : null,
    gradHQ: dh.slice(0, B),
    gradHK: variant === 'gpaco' ? dh.slice(B) : null,
    gradW: dW,
    gradB: db,
  };
}
