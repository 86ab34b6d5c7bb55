// What GPaCo, single-view GPaCo and PaCo share (docs/method.md, "The methods"): a projection
// head, the key queue, the log prior, the loss from the views' embeddings, and the step with
// gradient caching for micro-batches. The subclasses say how each view is embedded.
import * as tf from '@tensorflow/tfjs';
import {
  arrangeContrast,
  lossHyper,
  logPriorTensor,
  parametricContrastiveLoss,
  type ContrastVariant,
  type LossHyper,
} from '../losses/parametricContrastive';
import { expectedHeadPositives } from '../losses/alphaScale';
import { KeyQueue } from '../losses/queue';
import { syncReadsAvailable } from '../backends/webgpuReads';
import type { NamedVariable } from '../nn/params';
import { ParameterStore } from '../nn/params';
import type { GradientOutput, JsonValue, MethodContext, MethodState, ShardedLoss, StepOutput, TrainBatch } from './types';

/** One view's outputs: unit projection e [n, d] and raw classifier logits z [n, C]. */
export interface Embedding {
  e: tf.Tensor2D;
  z: tf.Tensor2D;
}

/**
 * Runs `f` without recording on the gradient tape. The PaCo key encoder runs inside the loop's
 * tf.variableGrads but is a constant; recording it would keep a second set of activations alive
 * until the backward pass (on wasm, heap the step may not have). tfjs has no public no-grad
 * scope; its tape is off while `kernelDepth` > 0 (the engine's own rule for nested kernels).
 * Should that internal field ever go away, `f` still runs correctly, just with the tape on.
 */
export function withoutTape<T>(f: () => T): T {
  const state = (tf.engine() as unknown as { state?: { kernelDepth?: number } }).state;
  if (!state || typeof state.kernelDepth !== 'number') return f();
  state.kernelDepth++;
  try {
    return f();
  } finally {
    state.kernelDepth--;
  }
}

/** [start, end) ranges of at most `size` covering 0..n. */
export function microBatchRanges(n: number, size: number): [number, number][] {
  const s = Math.max(1, Math.floor(size));
  const out: [number, number][] = [];
  for (let i = 0; i < n; i += s) out.push([i, Math.min(n, i + s)]);
  return out;
}

function sliceRows<T extends tf.Tensor>(x: T, [a, b]: [number, number]): T {
  if (a === 0 && b === x.shape[0]) return x;
  const begin = x.shape.map((_, i) => (i === 0 ? a : 0));
  const size = x.shape.map((d, i) => (i === 0 ? b - a : d));
  return tf.slice<tf.Rank, T>(x, begin, size);
}

export abstract class ContrastiveMethod {
  readonly microBatchable = false;
  readonly params = new ParameterStore();
  readonly hp: LossHyper;
  protected queue: KeyQueue;
  protected readonly prior: tf.Tensor1D | null;
  /** Detached keys of the last step, enqueued by afterStep (owned here until then). */
  private pending: tf.Tensor2D | null = null;
  /** Tensors of the last saveState() (the method owns them; replaced by the next save). */
  private saved: tf.Tensor[] = [];

  protected constructor(
    protected readonly ctx: MethodContext,
    protected readonly variant: ContrastVariant,
  ) {
    this.hp = lossHyper(ctx.config.loss);
    this.prior = this.hp.usePrior ? logPriorTensor(ctx.trainCounts, this.hp.epsPrior) : null;
    this.queue = new KeyQueue(ctx.config.loss.queueSize, ctx.config.model.projectionDim);
  }

  abstract readonly views: 1 | 2;

  /** Embeds view `v` (0 or 1) of a (micro-)batch. Called with or without a tape. */
  protected abstract embed(v: number, x: tf.Tensor4D): Embedding;

  /** Views whose embeddings receive gradients (PaCo: only the query view). */
  protected abstract gradientViews(): number[];

  /** The key encoder's EMA (PaCo); nothing for GPaCo. */
  protected afterUpdate(): void {}

  /** The queue as it is now (tests, diagnostics). */
  queueState() {
    return this.queue.state();
  }

  /** Loss from the views' embeddings (index 0 = q, 1 = k) and the queue snapshot. */
  protected lossFromEmbeddings(es: tf.Tensor2D[], zs: tf.Tensor2D[], labels: tf.Tensor1D): tf.Scalar {
    const snapshot = this.queue.snapshot();
    try {
      const k = this.variant === 'gpaco_single_view' ? null : es[1]!;
      const { contrast, anchorLabels } = arrangeContrast(this.variant, es[0]!, k, labels, snapshot);
      const centerLogits = this.variant === 'gpaco' ? tf.concat([zs[0]!, zs[1]!], 0) : zs[0]!;
      const out = parametricContrastiveLoss({ centerLogits, labels: anchorLabels, logPrior: this.prior, contrast }, this.hp);
      out.positives.dispose();
      out.perAnchor.dispose();
      return out.loss;
    } finally {
      if (snapshot) {
        snapshot.features.dispose();
        snapshot.labels.dispose();
      }
    }
  }

  /** The view enqueued after the step: k (PaCo / GPaCo) or q (single view). */
  private enqueuedView(): number {
    return this.variant === 'gpaco_single_view' ? 0 : 1;
  }

  private setPending(e: tf.Tensor2D): void {
    this.pending?.dispose();
    this.pending = tf.keep(tf.clone(e));
  }

  computeLoss(batch: TrainBatch): StepOutput {
    if (batch.views.length !== this.views) throw new Error(`${this.variant}: expected ${this.views} views, got ${batch.views.length}`);
    const embs = batch.views.map((x, v) => this.embed(v, x));
    this.setPending(embs[this.enqueuedView()]!.e);
    const loss = this.lossFromEmbeddings(
      embs.map((m) => m.e),
      embs.map((m) => m.z),
      batch.labels,
    );
    return { loss, logits: embs[0]!.z };
  }

  /**
   * Gradient caching (optim.microBatchSize): 1) every view of every micro-batch embedded without
   * a tape (BN running statistics updated here, once per view and micro-batch); 2) the loss and
   * its gradient w.r.t. all embeddings (the whole batch stays coupled, as in the plain step);
   * 3) each micro-batch of each gradient view re-run with a tape, back-propagating the cached
   * embedding gradients, with the BN running statistics restored afterwards so they are not
   * updated twice. Same loss and gradient as the plain step when micro-batch = batch; with
   * smaller micro-batches BN batch statistics are per micro-batch (a documented deviation).
   */
  computeGradients(batch: TrainBatch, variables: readonly NamedVariable[], microBatchSize: number): GradientOutput {
    if (batch.views.length !== this.views) throw new Error(`${this.variant}: expected ${this.views} views, got ${batch.views.length}`);
    const ranges = microBatchRanges(batch.size, microBatchSize);
    // 1) embeddings, no tape
    const parts = batch.views.map((x, v) =>
      ranges.map((r) => {
        const [e, z] = tf.tidy<[tf.Tensor2D, tf.Tensor2D]>(() => {
          const m = this.embed(v, sliceRows(x, r));
          return [m.e, m.z];
        });
        return { e, z };
      }),
    );
    const es = parts.map((ps) =>
      ps.length === 1
        ? ps[0]!.e
        : tf.concat(
            ps.map((p) => p.e),
            0,
          ),
    );
    const zs = parts.map((ps) =>
      ps.length === 1
        ? ps[0]!.z
        : tf.concat(
            ps.map((p) => p.z),
            0,
          ),
    );
    if (ranges.length > 1) for (const ps of parts) for (const p of ps) tf.dispose([p.e, p.z]);
    this.setPending(es[this.enqueuedView()]!);

    // 2) loss and d loss / d embeddings of the gradient views
    const gv = this.gradientViews();
    const xs = [...gv.map((v) => es[v]!), ...gv.map((v) => zs[v]!)];
    const { value: loss, grads: dxs } = tf.valueAndGrads((...t: tf.Tensor[]) => {
      const e2 = es.map((e, v) => (gv.includes(v) ? (t[gv.indexOf(v)] as tf.Tensor2D) : e));
      const z2 = zs.map((z, v) => (gv.includes(v) ? (t[gv.length + gv.indexOf(v)] as tf.Tensor2D) : z));
      return this.lossFromEmbeddings(e2, z2, batch.labels);
    })(xs);
    const logits = tf.keep(zs[0]!);
    tf.dispose([...es, ...zs.filter((z) => z !== logits)]);

    // 3) re-run each micro-batch with a tape and back-propagate the cached gradients
    const stateVars = this.stateVariables();
    const savedState = stateVars.map((v) => tf.clone(v));
    const byTfName = new Map(variables.map((nv) => [nv.variable.name, nv.name]));
    const varList = variables.map((nv) => nv.variable);
    const grads = new Map<string, tf.Tensor>();
    try {
      gv.forEach((v, i) => {
        const dE = dxs[i]!;
        const dZ = dxs[gv.length + i]!;
        for (const r of ranges) {
          const { value, grads: g } = tf.variableGrads(() => {
            const m = this.embed(v, sliceRows(batch.views[v]!, r));
            return tf.add<tf.Scalar>(tf.sum(tf.mul(m.e, sliceRows(dE, r))), tf.sum(tf.mul(m.z, sliceRows(dZ, r))));
          }, varList);
          value.dispose();
          for (const [tfName, t] of Object.entries(g)) {
            // variableGrads lists variables without a path to the loss with a null gradient.
            if (!t) continue;
            const name = byTfName.get(tfName);
            if (!name) {
              t.dispose();
              continue;
            }
            const prev = grads.get(name);
            if (prev) {
              grads.set(name, tf.add(prev, t));
              prev.dispose();
              t.dispose();
            } else {
              grads.set(name, t);
            }
          }
        }
      });
    } finally {
      stateVars.forEach((sv, i) => sv.assign(savedState[i]!));
      tf.dispose(savedState);
      tf.dispose(dxs);
    }
    return { loss, logits, grads };
  }

  /**
   * Shard outputs: e and z of every view, in view order. The enqueued view's keys are kept by
   * loss() (main thread) for afterStep, exactly as computeLoss does.
   */
  get sharded(): ShardedLoss {
    const views = this.views;
    const grads = new Set(this.gradientViews());
    const perView = [this.ctx.config.model.projectionDim, this.ctx.numClasses];
    return {
      widths: Array.from({ length: views }, () => perView).flat(),
      differentiable: Array.from({ length: views }, (_, v) => [grads.has(v), grads.has(v)]).flat(),
      outputs: (xs) => {
        if (xs.length !== views) throw new Error(`${this.variant}: expected ${views} views, got ${xs.length}`);
        return xs.flatMap((x, v) => {
          const m = this.embed(v, x);
          return [m.e, m.z];
        });
      },
      loss: (outputs, labels) => {
        const es = outputs.filter((_, i) => i % 2 === 0);
        const zs = outputs.filter((_, i) => i % 2 === 1);
        this.setPending(es[this.enqueuedView()]!);
        return { loss: this.lossFromEmbeddings(es, zs, labels), logits: zs[0]! };
      },
    };
  }

  /** BN running statistics written by the embedding passes (network + the method's own). */
  protected stateVariables(): tf.Variable[] {
    return [...this.ctx.network.params.state(), ...this.params.state()];
  }

  afterStep(batch: TrainBatch): void | Promise<void> {
    const keys = this.pending;
    this.pending = null;
    // WebGPU in Node cannot read synchronously: the keys come back asynchronously there.
    if (keys && !syncReadsAvailable()) return this.enqueueAsync(keys, batch.labels);
    if (keys) {
      try {
        this.queue.enqueueTensor(keys, batch.labels.dataSync() as Int32Array);
      } finally {
        keys.dispose();
      }
    }
    this.afterUpdate();
  }

  private async enqueueAsync(keys: tf.Tensor2D, labels: tf.Tensor1D): Promise<void> {
    try {
      const [k, l] = await Promise.all([keys.data(), labels.data()]);
      this.queue.enqueue(k as Float32Array, l as Int32Array);
    } finally {
      keys.dispose();
    }
    this.afterUpdate();
  }

  saveState(): MethodState {
    const s = this.queue.state();
    const json: JsonValue = { queue: { size: s.size, dim: s.dim, ptr: s.ptr, filled: s.filled } };
    tf.dispose(this.saved);
    const tensors = {
      'queue.features': tf.tensor2d(s.features, [s.size, s.dim]),
      'queue.labels': tf.tensor1d(s.labels, 'int32'),
    };
    this.saved = Object.values(tensors);
    return { json, tensors };
  }

  restoreState(state: MethodState): void {
    const j = state.json as { queue?: { size?: unknown; dim?: unknown; ptr?: unknown; filled?: unknown } } | null;
    const q = j?.queue;
    const f = state.tensors?.['queue.features'];
    const l = state.tensors?.['queue.labels'];
    if (!q || !f || !l)
      throw new Error('checkpoint has no queue state (method state "queue", tensors "queue.features" and "queue.labels")');
    const size = Number(q.size);
    const dim = Number(q.dim);
    if (size !== this.queue.size || dim !== this.queue.dim) {
      throw new Error(
        `checkpoint queue is ${size} x ${dim}, this run's is ${this.queue.size} x ${this.queue.dim} (loss.queueSize / model.projectionDim changed?)`,
      );
    }
    this.queue = KeyQueue.restore({
      size,
      dim,
      ptr: Number(q.ptr),
      filled: Number(q.filled),
      features: Float32Array.from(f.dataSync()),
      labels: Int32Array.from(l.dataSync()),
    });
  }

  /** Expected |P| of an anchor of the largest class once the queue is full (docs/method.md). */
  protected headPositives(): number {
    return expectedHeadPositives(this.variant, this.ctx.config.optim.batchSize, this.queue.size, this.ctx.trainCounts);
  }

  protected describeLoss(): string {
    const h = this.hp;
    const aP = h.alpha * this.headPositives();
    const warn = aP > 10 || (h.alpha > 0 && aP < 0.05) ? ' - outside the published range ~0.5-5, see docs/method.md' : '';
    return (
      `alpha ${h.alpha}, beta ${h.beta}, gamma ${h.gamma}, tau ${h.temperature}` +
      (h.baseTemperature !== h.temperature ? `, tau_b ${h.baseTemperature}` : '') +
      (h.supt !== 1 ? `, T_s ${h.supt}` : '') +
      (h.labelSmoothing > 0 ? `, label smoothing ${h.labelSmoothing}` : '') +
      `, prior ${h.usePrior ? 'on' : 'off'}, queue ${this.queue.size} (starts empty)` +
      `; alpha*|P| of the largest class ~ ${aP.toFixed(2)} with a full queue${warn}`
    );
  }

  dispose(): void {
    this.pending?.dispose();
    this.pending = null;
    tf.dispose(this.saved);
    this.saved = [];
    this.prior?.dispose();
    this.params.dispose();
  }
}
