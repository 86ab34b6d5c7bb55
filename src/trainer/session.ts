// Everything one training run holds: data, network, method, optimizer, and how they map to the
// named tensors of a checkpoint (`net/<name>`, `method/<name>`, `opt/<param>`, `extra/<key>`).
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../core/config/schema';
import type { ClassesFile } from '../core/contract';
import { assignShotGroups, configToGroupRule } from '../core/evalMath';
import { Rng } from '../core/random';
import type { ImageGeometry } from './augment';
import type { HostTensor } from './checkpoint';
import type { AnySet, Dataset } from '../data/types';
import { createMethod } from './methods';
import type { JsonValue, TrainingMethod } from './methods/types';
import { createNetwork } from './models';
import type { Network, NetworkSpec } from './models/types';
import type { NamedVariable } from './nn/params';
import { SgdMomentum } from './optim/sgd';

export function geometryOf(d: Dataset<AnySet>): ImageGeometry {
  return { height: d.height, width: d.width, channels: d.channels };
}

export function classCounts(labels: Int32Array, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const l of labels) counts[l]!++;
  return counts;
}

export function classesFileOf(config: Config, d: Dataset<AnySet>): ClassesFile {
  const trainCounts = classCounts(d.train.labels, d.classNames.length);
  const rule = configToGroupRule(config);
  return {
    names: d.classNames,
    trainCounts,
    testCounts: classCounts(d.test.labels, d.classNames.length),
    groups: { rule, assignment: assignShotGroups(trainCounts, rule) },
  };
}

/** The network for a config and data set, its initial weights drawn from the run seed. */
export function buildNetwork(config: Config, d: Dataset<AnySet>, rng = Rng.derive(config.seed, 'init/network')): Network {
  return createNetwork(config.model, { inputShape: [d.height, d.width, d.channels], numClasses: d.classNames.length }, rng);
}

/** A network and its training method, built from the run seed (the session's, or a worker's replica). */
export function buildModel(
  config: Config,
  spec: NetworkSpec,
  trainCounts: readonly number[],
): { network: Network; method: TrainingMethod } {
  const network = createNetwork(config.model, spec, Rng.derive(config.seed, 'init/network'));
  const method = createMethod({
    network,
    createNetwork: (rng) => createNetwork(config.model, spec, rng),
    config,
    numClasses: network.numClasses,
    trainCounts,
    rng: Rng.derive(config.seed, 'init/method'),
  });
  return { network, method };
}

/** Every variable of network and method under its checkpoint name (`net/...`, `method/...`). */
export function modelVariables(network: Network, method: TrainingMethod): NamedVariable[] {
  return [
    ...network.params.entries().map((e) => ({ ...e, name: `net/${e.name}` })),
    ...method.params.entries().map((e) => ({ ...e, name: `method/${e.name}` })),
  ];
}

export class TrainingSession {
  readonly network: Network;
  readonly method: TrainingMethod;
  readonly optimizer: SgdMomentum;
  /** Trainable parameters under their checkpoint names (the optimizer's list). */
  readonly trainables: NamedVariable[];
  readonly classes: ClassesFile;
  readonly geo: ImageGeometry;

  constructor(
    readonly config: Config,
    readonly dataset: Dataset<AnySet>,
  ) {
    this.geo = geometryOf(dataset);
    this.classes = classesFileOf(config, dataset);
    const model = buildModel(
      config,
      { inputShape: [dataset.height, dataset.width, dataset.channels], numClasses: dataset.classNames.length },
      this.classes.trainCounts,
    );
    this.network = model.network;
    this.method = model.method;
    this.trainables = this.namedVariables().filter((v) => v.trainable);
    this.optimizer = new SgdMomentum(this.trainables, { momentum: config.optim.momentum, weightDecay: config.optim.weightDecay });
  }

  /** Every variable of network and method under its checkpoint name. */
  namedVariables(): NamedVariable[] {
    return modelVariables(this.network, this.method);
  }

  /** Number of trainable scalars of the network alone (the model size users compare). */
  networkParameterCount(): number {
    return this.network.params.trainableCount();
  }

  /**
   * Reads every checkpointed tensor back to the host, asynchronously (WebGPU has no synchronous
   * reads) and all at once (a GPU then serves them in one wait instead of hundreds).
   */
  async collectTensors(): Promise<Map<string, HostTensor>> {
    const named: [string, tf.Tensor][] = [
      ...this.namedVariables().map((v): [string, tf.Tensor] => [v.name, v.variable]),
      ...[...this.optimizer.state()].map(([name, buf]): [string, tf.Tensor] => [`opt/${name}`, buf]),
      ...Object.entries(this.method.saveState().tensors ?? {}).map(([k, t]): [string, tf.Tensor] => [`extra/${k}`, t]),
    ];
    for (const [name, t] of named)
      if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`cannot checkpoint ${name}: dtype ${t.dtype}`);
    const values = await Promise.all(named.map(([, t]) => t.data()));
    const out = new Map<string, HostTensor>();
    named.forEach(([name, t], i) =>
      out.set(name, { dtype: t.dtype as 'float32' | 'int32', shape: [...t.shape], values: values[i] as Float32Array | Int32Array }),
    );
    return out;
  }

  /** Assigns checkpointed values to every variable, the optimizer and the method. */
  applyTensors(tensors: ReadonlyMap<string, HostTensor>, methodJson: JsonValue): void {
    assignVariables(this.namedVariables(), tensors);
    const opt = new Map<string, tf.Tensor>();
    try {
      for (const [name, t] of tensors) if (name.startsWith('opt/')) opt.set(name.slice(4), tf.tensor(t.values, t.shape, t.dtype));
      this.optimizer.restore(opt);
    } finally {
      for (const t of opt.values()) t.dispose();
    }
    const extra: Record<string, tf.Tensor> = {};
    try {
      for (const [name, t] of tensors) if (name.startsWith('extra/')) extra[name.slice(6)] = tf.tensor(t.values, t.shape, t.dtype);
      this.method.restoreState({ json: methodJson, tensors: extra });
    } finally {
      for (const t of Object.values(extra)) t.dispose();
    }
  }

  dispose(): void {
    this.optimizer.dispose();
    this.method.dispose();
    this.network.dispose();
  }
}

/** Copies `tensors[name]` into each variable; a missing tensor or another shape is an error. */
export function assignVariables(vars: readonly NamedVariable[], tensors: ReadonlyMap<string, HostTensor>): void {
  for (const v of vars) {
    const t = tensors.get(v.name);
    if (!t) throw new Error(`the checkpoint has no tensor "${v.name}" (was it made with another model or loss?)`);
    if (t.shape.join('x') !== v.variable.shape.join('x')) {
      throw new Error(
        `checkpoint tensor "${v.name}" has shape [${t.shape.join(', ')}], the model expects [${v.variable.shape.join(', ')}]`,
      );
    }
    tf.tidy(() => v.variable.assign(tf.tensor(t.values, t.shape, t.dtype)));
  }
}

/** The network's variables under their checkpoint names (evaluation needs nothing else). */
export function networkVariables(network: Network): NamedVariable[] {
  return network.params.entries().map((e) => ({ ...e, name: `net/${e.name}` }));
}
