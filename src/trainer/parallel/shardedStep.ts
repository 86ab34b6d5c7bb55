// One optimizer step over shards (docs/architecture.md, "Worker threads and shards"): the batch
// is cut into contiguous shards; an executor (worker threads, or this thread one shard after
// another) returns each shard's coupled outputs; this thread computes the whole-batch loss and
// its gradient with respect to them; the executor back-propagates each shard; the parameter
// gradients are summed in shard order, the BN running statistics averaged, SGD applied, and the
// new weights published. The same numbers whichever executor runs the shards.
import * as tf from '@tensorflow/tfjs';
import { shardRanges } from '../../core/parallel';
import type { HostBatch } from '../batches';
import type { TrainingMethod } from '../methods/types';
import type { NamedVariable } from '../nn/params';
import type { SgdMomentum } from '../optim/sgd';
import type { StepResult } from '../step';
import { FlatVariables, type ShardData, type ShardForward, type ShardGradients, ShardWork } from './shardWork';

export interface ShardExecutor {
  /** Each shard's forward, in shard order. */
  forward(shards: ShardData[]): Promise<ShardForward[]>;
  /** Each shard's parameter gradients for its output gradients (differentiable outputs only), in shard order. */
  backward(dOuts: Float32Array[][]): Promise<ShardGradients[]>;
  /** The main thread's variables changed: later passes must use them. */
  publish(): void;
}

/** Runs the shards on this thread, one after another (ghost batch norm; also GPU backends). */
export class InProcessShards implements ShardExecutor {
  private readonly work: ShardWork;
  private saved: Float32Array;
  private shards: ShardData[] = [];

  constructor(
    method: TrainingMethod,
    trainables: readonly NamedVariable[],
    state: readonly NamedVariable[],
    imageShape: readonly [number, number, number],
  ) {
    this.work = new ShardWork(method.sharded, trainables, state, imageShape, () => this.work.state.write(this.saved));
    this.saved = this.work.state.read();
  }

  forward(shards: ShardData[]): Promise<ShardForward[]> {
    this.saved = this.work.state.read();
    this.shards = shards;
    return Promise.resolve(shards.map((s) => this.work.forward(s)));
  }

  backward(dOuts: Float32Array[][]): Promise<ShardGradients[]> {
    const grads = this.shards.map((s, i) => this.work.backward(s, dOuts[i]!));
    this.shards = [];
    return Promise.resolve(grads);
  }

  publish(): void {}
}

export class ShardedStepRunner {
  private readonly trainables: FlatVariables;
  private readonly state: FlatVariables;

  constructor(
    private readonly method: TrainingMethod,
    trainables: readonly NamedVariable[],
    /** Every non-trainable variable of network and method (BN running statistics, PaCo's key encoder). */
    state: readonly NamedVariable[],
    private readonly optimizer: SgdMomentum,
    private readonly shards: number,
    private readonly imageShape: readonly [number, number, number],
    private readonly numClasses: number,
    private readonly executor: ShardExecutor,
  ) {
    this.trainables = new FlatVariables(trainables);
    this.state = new FlatVariables(state);
  }

  async run(batch: HostBatch, lr: number): Promise<StepResult> {
    const loss = this.method.sharded;
    const B = batch.size;
    const per = this.imageShape[0] * this.imageShape[1] * this.imageShape[2];
    const ranges = shardRanges(B, this.shards);
    const shards: ShardData[] = ranges.map(([a, b]) => ({ views: batch.views.map((v) => v.subarray(a * per, b * per)), size: b - a }));
    const forwards = await this.executor.forward(shards);

    // The whole batch's outputs, shards concatenated in order.
    const outputs = loss.widths.map((w, j) => {
      const all = new Float32Array(B * w);
      forwards.forEach((f, s) => all.set(f.outputs[j]!, ranges[s]![0] * w));
      return tf.tensor2d(all, [B, w]);
    });
    const diff = loss.differentiable.flatMap((d, i) => (d ? [i] : []));
    const labels = tf.tensor1d(batch.labels, 'int32');
    const oneHot = tf.tidy(() => tf.oneHot(labels, this.numClasses).toFloat() as tf.Tensor2D);
    let logits: tf.Tensor2D | null = null;
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => {
      const all = outputs.map((t, j) => (diff.includes(j) ? (xs[diff.indexOf(j)] as tf.Tensor2D) : t));
      const out = loss.loss(all, labels, oneHot);
      logits = tf.keep(tf.clone(out.logits));
      return out.loss;
    })(diff.map((j) => outputs[j]!));
    const dHost = grads.map((g) => g.dataSync() as Float32Array);
    tf.dispose(grads);
    tf.dispose(outputs);
    const dOuts = ranges.map(([a, b]) => diff.map((j, k) => dHost[k]!.slice(a * loss.widths[j]!, b * loss.widths[j]!)));
    const shardGrads = await this.executor.backward(dOuts);

    // Sum in shard order (float32 after each addition, the same on every executor).
    const sum = new Float32Array(this.trainables.total);
    const present = new Uint8Array(this.trainables.vars.length);
    for (const g of shardGrads) {
      const v = g.values;
      for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + v[i]!;
      for (let i = 0; i < present.length; i++) present[i] ||= g.present[i]!;
    }
    const gradMap = new Map<string, tf.Tensor>();
    this.trainables.vars.forEach((v, i) => {
      if (!present[i]) return;
      const off = this.trainables.offsets[i]!;
      gradMap.set(v.name, tf.tensor(sum.subarray(off, off + v.variable.size), v.variable.shape, 'float32'));
    });
    try {
      this.optimizer.step(gradMap, lr);
    } finally {
      tf.dispose([...gradMap.values()]);
    }
    this.state.write(averageState(forwards));
    await this.method.afterStep({ views: [], labels, oneHot, size: B });
    const finalLogits = logits as unknown as tf.Tensor2D;
    const correct = tf.tidy(() => tf.sum<tf.Scalar>(tf.cast(tf.equal(tf.argMax(finalLogits, 1), labels), 'float32')));
    tf.dispose([finalLogits, labels, oneHot]);
    this.executor.publish();
    return { loss: value, correct };
  }
}

/** Mean of the shards' state, in float64 (identical values stay exactly themselves). */
function averageState(forwards: readonly ShardForward[]): Float32Array {
  const n = forwards[0]!.state.length;
  const acc = new Float64Array(n);
  for (const f of forwards) for (let i = 0; i < n; i++) acc[i] = acc[i]! + f.state[i]!;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = acc[i]! / forwards.length;
  return out;
}
