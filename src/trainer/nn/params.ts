// A registry of named variables. Names (e.g. `stage1.conv.w`) are what checkpoints store, so
// they must be stable across runs; tfjs's own variable names are left auto-generated because
// they must be unique per process (a PaCo key encoder is a second copy of the same network).
import * as tf from '@tensorflow/tfjs';

export interface NamedVariable {
  /** Checkpoint key, unique inside its store (with the store's prefix). */
  readonly name: string;
  readonly variable: tf.Variable;
  /** false: state written outside gradients (BN running statistics, EMA copies, queues). */
  readonly trainable: boolean;
}

export class ParameterStore {
  private readonly entriesByName: Map<string, NamedVariable>;
  private readonly prefix: string;

  constructor(prefix = '', shared?: Map<string, NamedVariable>) {
    this.prefix = prefix;
    this.entriesByName = shared ?? new Map<string, NamedVariable>();
  }

  /** A view that adds `name.` in front of every name it registers; shares the same registry. */
  scope(name: string): ParameterStore {
    return new ParameterStore(`${this.prefix}${name}.`, this.entriesByName);
  }

  /** Takes ownership of `initial` (it becomes the variable's value). */
  addTrainable(name: string, initial: tf.Tensor): tf.Variable {
    return this.add(name, initial, true);
  }

  /** Takes ownership of `initial`. Not updated by the optimizer. */
  addState(name: string, initial: tf.Tensor): tf.Variable {
    return this.add(name, initial, false);
  }

  private add(name: string, initial: tf.Tensor, trainable: boolean): tf.Variable {
    const full = this.prefix + name;
    if (this.entriesByName.has(full)) throw new Error(`parameter "${full}" registered twice`);
    const variable = tf.variable(initial, trainable);
    initial.dispose();
    this.entriesByName.set(full, { name: full, variable, trainable });
    return variable;
  }

  /**
   * Registers every variable of `source` here under `<name>.` as state (not trained by the
   * optimizer, still checkpointed): a PaCo key encoder built by createNetwork() keeps its own
   * store for its layers, and the method that owns it checkpoints it through this one. Ownership
   * moves here (dispose this store, not the source). (Added for GPaCo/PaCo.)
   */
  adoptAsState(name: string, source: ParameterStore): void {
    for (const e of source.entries()) {
      const full = `${this.prefix}${name}.${e.name}`;
      if (this.entriesByName.has(full)) throw new Error(`parameter "${full}" registered twice`);
      e.variable.trainable = false;
      this.entriesByName.set(full, { name: full, variable: e.variable, trainable: false });
    }
  }

  /** Every variable in registration order. */
  entries(): NamedVariable[] {
    return [...this.entriesByName.values()];
  }

  get(name: string): NamedVariable | undefined {
    return this.entriesByName.get(name);
  }

  trainable(): tf.Variable[] {
    return this.entries()
      .filter((e) => e.trainable)
      .map((e) => e.variable);
  }

  state(): tf.Variable[] {
    return this.entries()
      .filter((e) => !e.trainable)
      .map((e) => e.variable);
  }

  /** Number of scalars in trainable variables. */
  trainableCount(): number {
    return this.trainable().reduce((s, v) => s + v.size, 0);
  }

  dispose(): void {
    for (const e of this.entriesByName.values()) e.variable.dispose();
    this.entriesByName.clear();
  }
}

/** Copies every value of `from` into the variable of the same name in `to` (e.g. a key encoder). */
export function copyParameters(from: ParameterStore, to: ParameterStore): void {
  for (const e of from.entries()) {
    const target = to.get(e.name);
    if (!target) throw new Error(`copyParameters: "${e.name}" missing in the target`);
    target.variable.assign(e.variable);
  }
}
