// One optimizer step: micro-batches summed with their weights give the same update as the whole
// batch (a method without batch coupling), a method that cannot be split is refused, and the
// wasm out-of-memory message says what to change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { explainError } from '../../../src/trainer/errors';
import type { MethodState, ShardedLoss, StepOutput, TrainBatch, TrainingMethod } from '../../../src/trainer/methods/types';
import { ParameterStore } from '../../../src/trainer/nn/params';
import { SgdMomentum } from '../../../src/trainer/optim/sgd';
import { StepRunner } from '../../../src/trainer/step';

/** A per-sample loss without batch statistics: softmax CE of a linear map of the pixels. */
class LinearMethod implements TrainingMethod {
  readonly kind = 'ce';
  readonly views = 1;
  readonly params = new ParameterStore();
  readonly w: tf.Variable;
  afterSteps = 0;

  constructor(readonly microBatchable: boolean) {
    this.w = this.params.addTrainable(
      'w',
      tf.tensor2d(
        Array.from({ length: 12 }, (_, i) => Math.sin(i)),
        [4, 3],
      ),
    );
  }

  computeLoss(batch: TrainBatch): StepOutput {
    const x = tf.reshape<tf.Rank.R2>(batch.views[0]!, [batch.size, 4]);
    const logits = tf.matMul<tf.Tensor2D>(x, this.w);
    const loss = tf.neg(tf.mean(tf.sum(tf.mul(batch.oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
    return { loss, logits };
  }

  readonly sharded: ShardedLoss = {
    widths: [3],
    differentiable: [true],
    outputs: (views) => [tf.matMul<tf.Tensor2D>(tf.reshape<tf.Rank.R2>(views[0]!, [views[0]!.shape[0], 4]), this.w)],
    loss: (outputs, _labels, oneHot) => ({
      loss: tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(outputs[0]!)), 1))) as tf.Scalar,
      logits: outputs[0]!,
    }),
  };

  afterStep(): void {
    this.afterSteps++;
  }

  saveState(): MethodState {
    return { json: null };
  }

  restoreState(): void {}

  describe(): string {
    return 'linear';
  }

  dispose(): void {
    this.params.dispose();
  }
}

function batchOf(n: number): TrainBatch {
  const x = tf.tensor4d(
    Array.from({ length: n * 4 }, (_, i) => Math.cos(i * 0.7)),
    [n, 2, 2, 1],
  );
  const labels = tf.tensor1d(
    Array.from({ length: n }, (_, i) => i % 3),
    'int32',
  );
  return { views: [x], labels, oneHot: tf.oneHot(labels, 3).toFloat() as tf.Tensor2D, size: n };
}

async function stepWith(micro: number | undefined): Promise<{ w: Float32Array; loss: number; correct: number; afterSteps: number }> {
  const m = new LinearMethod(true);
  const named = m.params.entries().map((e) => ({ ...e, name: `method/${e.name}` }));
  const runner = new StepRunner(m, named, new SgdMomentum(named, { momentum: 0.9, weightDecay: 1e-3 }), micro);
  const out = await runner.run(batchOf(8), 0.1);
  const res = {
    w: m.w.dataSync() as Float32Array,
    loss: (await out.loss.data())[0]!,
    correct: (await out.correct.data())[0]!,
    afterSteps: m.afterSteps,
  };
  return res;
}

test('micro-batches (3 + 3 + 2) give the update, loss and accuracy of the whole batch', async () => {
  await tf.setBackend('cpu');
  const whole = await stepWith(undefined);
  const split = await stepWith(3);
  for (let i = 0; i < whole.w.length; i++) assert.ok(Math.abs(whole.w[i]! - split.w[i]!) < 1e-6, `w[${i}]`);
  assert.ok(Math.abs(whole.loss - split.loss) < 1e-6);
  assert.equal(whole.correct, split.correct);
  assert.equal(split.afterSteps, 1, 'afterStep once per step, not per micro-batch');
});

test('a method that couples the batch and has no gradient caching cannot be split', () => {
  const m = new LinearMethod(false);
  const named = m.params.entries();
  assert.throws(
    () => new StepRunner(m, named, new SgdMomentum(named, { momentum: 0, weightDecay: 0 }), 4),
    /cannot split a batch into micro-batches/,
  );
});

test('a wasm out-of-memory error says what to change', () => {
  const msg = explainError(new RangeError('RuntimeError: memory access out of bounds'), 256);
  assert.match(
    msg,
    /wasm heap \(at most 4 GiB\) ran out at batch size 256: lower optim\.batchSize \(e\.g\. 128\) or set optim\.microBatchSize/,
  );
  assert.equal(explainError(new Error('something else'), 256), 'something else');
});
