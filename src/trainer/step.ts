// One optimizer step: the method's loss and its gradient (whole batch, micro-batches summed, or
// the method's own gradient caching), the SGD update, the method's after-step hook. Shared by
// the training loop and the training benchmark so both time the same code.
import * as tf from '@tensorflow/tfjs';
import { disposeBatch, sliceBatch } from './batches';
import type { TrainBatch, TrainingMethod } from './methods/types';
import type { NamedVariable } from './nn/params';
import type { SgdMomentum } from './optim/sgd';

export interface StepResult {
  /** The step's loss (device scalar, owned by the caller). */
  loss: tf.Scalar;
  /** Training predictions of the first view that were right (device scalar, owned by the caller). */
  correct: tf.Scalar;
}

export class StepRunner {
  private readonly varNames: Map<string, string>;

  constructor(
    private readonly method: TrainingMethod,
    /** Trainable variables under their checkpoint names (the optimizer's list). */
    private readonly trainables: readonly NamedVariable[],
    private readonly optimizer: SgdMomentum,
    /** Images per forward pass; undefined = the whole batch at once (>= batch: the same, except for coupled methods, see run()). */
    private readonly microBatchSize?: number,
  ) {
    this.varNames = new Map(trainables.map((v) => [v.variable.name, v.name]));
    if (microBatchSize !== undefined && !method.microBatchable && !method.computeGradients) {
      throw new Error(`optim.microBatchSize: loss "${method.kind}" cannot split a batch into micro-batches; remove optim.microBatchSize`);
    }
  }

  async run(batch: TrainBatch, lr: number): Promise<StepResult> {
    const { method } = this;
    const micro = this.microBatchSize;
    // A coupled (contrastive) method splits even at micro = batch: its views then go through the
    // tape one at a time (gradient caching), which is what bounds the wasm heap.
    const useMicro = micro !== undefined && (micro < batch.size || !method.microBatchable);
    let loss: tf.Scalar;
    let logits: tf.Tensor2D;
    const grads = new Map<string, tf.Tensor>();
    if (useMicro && !method.microBatchable) {
      const out = method.computeGradients!(batch, this.trainables, micro);
      loss = out.loss;
      logits = out.logits;
      for (const [k, g] of out.grads) grads.set(k, g);
    } else {
      const parts = useMicro ? microBatches(batch, micro) : [batch];
      const lossParts: tf.Scalar[] = [];
      const logitParts: tf.Tensor2D[] = [];
      for (const part of parts) {
        const weight = part.size / batch.size;
        let partLogits: tf.Tensor2D | null = null;
        const { value, grads: g } = tf.variableGrads(
          () => {
            const out = method.computeLoss(part);
            partLogits = tf.keep(out.logits);
            return weight === 1 ? out.loss : tf.mul(out.loss, weight);
          },
          this.trainables.map((v) => v.variable),
        );
        lossParts.push(value);
        logitParts.push(partLogits!);
        for (const [tfName, grad] of Object.entries(g)) this.accumulate(grads, tfName, grad);
        if (part !== batch) disposeBatch(part);
      }
      loss = lossParts.length === 1 ? lossParts[0]! : tf.addN<tf.Scalar>(lossParts);
      logits = logitParts.length === 1 ? logitParts[0]! : tf.concat(logitParts, 0);
      if (lossParts.length > 1) for (const t of [...lossParts, ...logitParts]) t.dispose();
    }
    try {
      this.optimizer.step(grads, lr);
    } finally {
      for (const g of grads.values()) g.dispose();
    }
    // Awaited: on WebGPU the method reads its keys back asynchronously (no synchronous reads).
    await method.afterStep(batch);
    const correct = tf.tidy(() => tf.sum<tf.Scalar>(tf.cast(tf.equal(tf.argMax(logits, 1), batch.labels), 'float32')));
    logits.dispose();
    return { loss, correct };
  }

  private accumulate(grads: Map<string, tf.Tensor>, tfName: string, grad: tf.Tensor): void {
    const name = this.varNames.get(tfName);
    if (!name) {
      grad.dispose();
      return;
    }
    const prev = grads.get(name);
    if (!prev) {
      grads.set(name, grad);
      return;
    }
    grads.set(name, tf.add(prev, grad));
    prev.dispose();
    grad.dispose();
  }
}

function microBatches(batch: TrainBatch, micro: number): TrainBatch[] {
  const out: TrainBatch[] = [];
  for (let start = 0; start < batch.size; start += micro) out.push(sliceBatch(batch, start, Math.min(micro, batch.size - start)));
  return out;
}
