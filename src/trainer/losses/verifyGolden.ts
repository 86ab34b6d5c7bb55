// Evaluates golden loss cases through the same TF.js code the trainer uses (the core, the
// contrast arrangement, a linear classifier) on the current backend, and compares every
// quantity with the expected float64 values. Backs `gpaco verify-loss` and the tests.
import * as tf from '@tensorflow/tfjs';
import { GOLDEN_QUANTITIES, maxAbsDiff, type GoldenCase, type GoldenQuantity } from './goldenCases';
import { arrangeContrast, logPriorTensor, parametricContrastiveLoss } from './parametricContrastive';
import type { Matrix, MethodResult64 } from './reference64';

export type Computed = Pick<MethodResult64, GoldenQuantity>;

const toMatrix = (t: tf.Tensor): Matrix => t.arraySync() as Matrix;

interface CaseTensors {
  value: tf.Scalar;
  perAnchor: tf.Tensor;
  grads: tf.Tensor[];
}

/** Loss, per-anchor loss and gradients w.r.t. q, k (GPaCo only), h, W, b, as float32 TF.js. */
export function evaluateCaseTf(c: GoldenCase): Computed {
  const out = caseTensors(c);
  try {
    const [gq, ghq, gW, gb, gk, ghk] = out.grads as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor?, tf.Tensor?];
    return {
      loss: out.value.dataSync()[0]!,
      perAnchor: Array.from(out.perAnchor.dataSync()),
      gradQ: toMatrix(gq),
      gradK: gk ? toMatrix(gk) : null,
      gradHQ: toMatrix(ghq),
      gradHK: ghk ? toMatrix(ghk) : null,
      gradW: toMatrix(gW),
      gradB: Array.from(gb.dataSync()),
    };
  } finally {
    disposeCase(out);
  }
}

/** The same, read back asynchronously (backends without synchronous reads: WebGPU). */
export async function evaluateCaseTfAsync(c: GoldenCase): Promise<Computed> {
  const out = caseTensors(c);
  try {
    const [gq, ghq, gW, gb, gk, ghk] = out.grads as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor?, tf.Tensor?];
    const matrix = async (t: tf.Tensor) => (await t.array()) as Matrix;
    return {
      loss: (await out.value.data())[0]!,
      perAnchor: Array.from(await out.perAnchor.data()),
      gradQ: await matrix(gq),
      gradK: gk ? await matrix(gk) : null,
      gradHQ: await matrix(ghq),
      gradHK: ghk ? await matrix(ghk) : null,
      gradW: await matrix(gW),
      gradB: Array.from(await gb.data()),
    };
  } finally {
    disposeCase(out);
  }
}

function disposeCase(out: CaseTensors): void {
  out.value.dispose();
  out.perAnchor.dispose();
  tf.dispose(out.grads);
}

function caseTensors(c: GoldenCase): CaseTensors {
  const x = c.inputs;
  const twoView = c.variant === 'gpaco';
  const out = tf.tidy(() => {
    const labels = tf.tensor1d(x.labels, 'int32');
    const q = tf.tensor2d(x.q);
    const k = x.k ? tf.tensor2d(x.k) : null;
    const hQ = tf.tensor2d(x.hQ);
    const hK = x.hK ? tf.tensor2d(x.hK) : null;
    const W = tf.tensor2d(x.W); // [C, F]
    const b = tf.tensor1d(x.b);
    const queue = { features: tf.tensor2d(x.queue, [x.queue.length, x.q[0]!.length]), labels: tf.tensor1d(x.queueLabels, 'int32') };
    const logPrior = c.hyper.usePrior ? logPriorTensor(x.classCounts, c.hyper.epsPrior) : null;

    let perAnchor: tf.Tensor | null = null;
    // Differentiate w.r.t. every input that receives a gradient in the method (PaCo: k is the
    // momentum encoder's output, a constant; the queue is always a constant). tf.grads refuses
    // inputs that do not reach the loss, so the list depends on the variant.
    const xs: tf.Tensor[] = twoView ? [q, hQ, W, b, k!, hK!] : [q, hQ, W, b];
    const f = (...v: tf.Tensor[]): tf.Scalar => {
      const [qv, hq, Wv, bv, kv, hk] = v as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D?, tf.Tensor2D?];
      const h = twoView ? tf.concat([hq, hk!], 0) : hq;
      const z = tf.add<tf.Tensor2D>(tf.matMul(h, Wv, false, true), bv);
      const kIn = twoView ? kv! : c.variant === 'paco' ? k : null;
      const { contrast, anchorLabels } = arrangeContrast(c.variant, qv, kIn, labels, queue);
      const r = parametricContrastiveLoss({ centerLogits: z, labels: anchorLabels, logPrior, contrast }, c.hyper);
      perAnchor = tf.keep(r.perAnchor);
      return r.loss;
    };
    const { value, grads } = tf.valueAndGrads(f)(xs);
    const pa = perAnchor as tf.Tensor | null;
    if (!pa) throw new Error('per-anchor loss missing');
    return { value, perAnchor: pa, grads };
  });
  return out;
}

export interface CaseReport {
  name: string;
  variant: string;
  /** Largest absolute error per quantity (null where the case has no such quantity). */
  errors: Record<GoldenQuantity, number | null>;
  worst: number;
}

export function compareCase(c: GoldenCase, got: Computed): CaseReport {
  const errors = {} as Record<GoldenQuantity, number | null>;
  let worst = 0;
  for (const qn of GOLDEN_QUANTITIES) {
    const want = c.expected[qn];
    const have = got[qn];
    if (want === null || have === null) {
      // A quantity on one side only is a mismatch in the case's variant, not a pass.
      errors[qn] = want === have ? null : Number.POSITIVE_INFINITY;
    } else {
      errors[qn] = maxAbsDiff(have, want);
    }
    const e = errors[qn];
    if (e !== null && !(e <= worst)) worst = e; // NaN propagates as the worst
  }
  return { name: c.name, variant: c.variant, errors, worst };
}
