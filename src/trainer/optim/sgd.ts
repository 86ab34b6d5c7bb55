// SGD with momentum and weight decay, as PyTorch's torch.optim.SGD (no Nesterov, dampening 0):
//   g <- grad + wd * w          (L2 added to the gradient, every parameter incl. BN and biases)
//   v <- momentum * v + g       (v starts at 0, so the first step is v = g, as PyTorch's)
//   w <- w - lr * v
// The momentum buffers are keyed by the parameters' checkpoint names and saved in checkpoints.
import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../nn/params';

export interface SgdOptions {
  momentum: number;
  weightDecay: number;
}

export class SgdMomentum {
  private readonly buffers = new Map<string, tf.Variable>();

  constructor(
    /** The trainable parameters with their (unique) checkpoint names. */
    private readonly params: readonly NamedVariable[],
    private readonly opts: SgdOptions,
  ) {
    for (const p of params) {
      if (!p.trainable) throw new Error(`SgdMomentum: "${p.name}" is not trainable`);
      if (this.buffers.has(p.name)) throw new Error(`SgdMomentum: parameter "${p.name}" listed twice`);
      this.buffers.set(p.name, tf.variable(tf.zerosLike(p.variable), false));
    }
  }

  /**
   * One update. `grads` maps checkpoint names to gradients; a parameter without a gradient is
   * left alone (no decay, no momentum), as PyTorch skips parameters whose grad is None.
   */
  step(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    const { momentum, weightDecay } = this.opts;
    tf.tidy(() => {
      for (const p of this.params) {
        const buf = this.buffers.get(p.name)!;
        const grad = grads.get(p.name);
        if (!grad) continue;
        let g: tf.Tensor = grad;
        if (weightDecay !== 0) g = tf.add(g, tf.mul(p.variable, weightDecay));
        const v = momentum !== 0 ? tf.add(tf.mul(buf, momentum), g) : g;
        buf.assign(v);
        p.variable.assign(tf.sub(p.variable, tf.mul(v, lr)));
      }
    });
  }

  /** Momentum buffers by parameter name (owned by the optimizer; read, do not dispose). */
  state(): ReadonlyMap<string, tf.Variable> {
    return this.buffers;
  }

  /** Copies saved buffers in; every parameter must have one of the same shape. */
  restore(saved: ReadonlyMap<string, tf.Tensor>): void {
    for (const [name, buf] of this.buffers) {
      const t = saved.get(name);
      if (!t) throw new Error(`optimizer state for "${name}" missing from the checkpoint`);
      if (t.shape.join('x') !== buf.shape.join('x')) {
        throw new Error(`optimizer state for "${name}" has shape [${t.shape.join(', ')}], expected [${buf.shape.join(', ')}]`);
      }
      buf.assign(t);
    }
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}
