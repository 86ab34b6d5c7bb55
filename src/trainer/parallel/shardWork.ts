// What one shard of a step computes, the same code in a worker thread and on the main thread
// (ghost batch norm): the outputs the loss couples (no tape), and the parameter gradients of
// those outputs given their gradients from the main thread. Every pass starts from the step's
// batch-norm running statistics, so each shard's statistics are its own and the main thread
// averages them (docs/architecture.md, "Worker threads and shards").
import * as tf from '@tensorflow/tfjs';
import type { ShardedLoss } from '../methods/types';
import type { NamedVariable } from '../nn/params';

/** One shard's images: each view float32 NHWC, `size` images. */
export interface ShardData {
  views: Float32Array[];
  size: number;
}

export interface ShardForward {
  /** loss.outputs of the shard, row-major [size, widths[i]]. */
  outputs: Float32Array[];
  /** Every state variable (BN running statistics) after the shard's forward pass, flattened. */
  state: Float32Array;
}

export interface ShardGradients {
  /** d loss / d trainable, flattened in the trainables' order. */
  values: Float32Array;
  /** 1 where the variable has a gradient (a variable without one is left alone by SGD). */
  present: Uint8Array;
}

/** A list of variables as one flat float32 array (weights broadcast, gradients, state). */
export class FlatVariables {
  readonly offsets: number[] = [];
  readonly total: number;

  constructor(readonly vars: readonly NamedVariable[]) {
    let off = 0;
    for (const v of vars) {
      if (v.variable.dtype !== 'float32')
        throw new Error(`variable ${v.name} is ${v.variable.dtype}; only float32 variables can be shared with workers`);
      this.offsets.push(off);
      off += v.variable.size;
    }
    this.total = off;
  }

  /** The variables' values (read back synchronously: CPU backends only). */
  read(into: Float32Array<ArrayBufferLike> = new Float32Array(this.total)): Float32Array<ArrayBufferLike> {
    this.vars.forEach((v, i) => into.set(v.variable.dataSync(), this.offsets[i]));
    return into;
  }

  write(values: Float32Array): void {
    tf.tidy(() => {
      this.vars.forEach((v, i) => {
        const off = this.offsets[i]!;
        v.variable.assign(tf.tensor(values.slice(off, off + v.variable.size), v.variable.shape, 'float32'));
      });
    });
  }
}

export class ShardWork {
  private readonly trainables: FlatVariables;
  readonly state: FlatVariables;
  private readonly diff: number[];

  constructor(
    private readonly loss: ShardedLoss,
    trainables: readonly NamedVariable[],
    state: readonly NamedVariable[],
    private readonly imageShape: readonly [number, number, number],
    /** Puts the state variables back to the step's starting values. */
    private readonly resetState: () => void,
  ) {
    this.trainables = new FlatVariables(trainables);
    this.state = new FlatVariables(state);
    this.diff = loss.differentiable.flatMap((d, i) => (d ? [i] : []));
  }

  get gradientSize(): number {
    return this.trainables.total;
  }

  private inputs(shard: ShardData): tf.Tensor4D[] {
    const [h, w, c] = this.imageShape;
    return shard.views.map((v) => tf.tensor4d(v, [shard.size, h, w, c]));
  }

  private read(outs: readonly tf.Tensor2D[]): ShardForward {
    return { outputs: outs.map((o) => Float32Array.from(o.dataSync() as Float32Array)), state: this.state.read() };
  }

  /** The scalar whose gradient is the shard's: sum over differentiable outputs of out * dOut. */
  private surrogate(outs: readonly tf.Tensor2D[], dOuts: readonly Float32Array[]): tf.Scalar {
    const terms = this.diff.map((j, k) => tf.sum(tf.mul(outs[j]!, tf.tensor2d(dOuts[k]!, outs[j]!.shape))));
    return (terms.length === 1 ? terms[0]! : tf.addN(terms)) as tf.Scalar;
  }

  private flatten(grads: tf.NamedTensorMap): ShardGradients {
    const values = new Float32Array(this.trainables.total);
    const present = new Uint8Array(this.trainables.vars.length);
    this.trainables.vars.forEach((v, i) => {
      const g = grads[v.variable.name];
      if (!g) return;
      values.set(g.dataSync(), this.trainables.offsets[i]);
      present[i] = 1;
    });
    tf.dispose(Object.values(grads).filter((g): g is tf.Tensor => !!g));
    return { values, present };
  }

  /** The shard's outputs without a tape. */
  forward(shard: ShardData): ShardForward {
    this.resetState();
    const outs = tf.tidy(() => this.loss.outputs(this.inputs(shard)));
    try {
      return this.read(outs);
    } finally {
      tf.dispose(outs);
    }
  }

  /** The shard's parameter gradients for output gradients `dOuts` (differentiable outputs only), by a second, taped pass. */
  backward(shard: ShardData, dOuts: readonly Float32Array[]): ShardGradients {
    this.resetState();
    const { value, grads } = tf.variableGrads(
      () => this.surrogate(this.loss.outputs(this.inputs(shard)), dOuts),
      this.trainables.vars.map((v) => v.variable),
    );
    value.dispose();
    return this.flatten(grads);
  }

  /**
   * Forward and backward in one taped pass: `exchange` hands the outputs over and returns their
   * gradients synchronously (a worker blocks on shared memory meanwhile). The same numbers as
   * forward() then backward().
   */
  forwardBackward(shard: ShardData, exchange: (f: ShardForward) => Float32Array[]): ShardGradients {
    this.resetState();
    const { value, grads } = tf.variableGrads(
      () => {
        const outs = this.loss.outputs(this.inputs(shard));
        return this.surrogate(outs, exchange(this.read(outs)));
      },
      this.trainables.vars.map((v) => v.variable),
    );
    value.dispose();
    return this.flatten(grads);
  }
}
