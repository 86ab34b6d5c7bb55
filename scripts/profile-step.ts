// `npm run profile:step`: where the time of one worker's share of a training step goes. Runs one
// shard (forward with a tape, then backward of given output gradients, as a worker thread does)
// under tf.profile on wasm and prints the kernels by total time, with the convolutions split into
// forward / input-gradient and weight-gradient ones (the latter are forward convs whose filter is
// the output gradient, so their filter is larger than 3x3).
//   npm run profile:step -- [--model resnet32|convnet] [--loss gpaco|ce] [--shard 64]
import * as tf from '@tensorflow/tfjs';
import { resolvePreset } from '../src/core/config/presets';
import { Rng } from '../src/core/random';
import { selectBackend } from '../src/trainer/backends';
import { ShardWork } from '../src/trainer/parallel/shardWork';
import { buildModel, modelVariables } from '../src/trainer/session';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const model = arg('model', 'resnet32') as 'resnet32' | 'convnet';
  const loss = arg('loss', 'gpaco') as 'gpaco' | 'ce';
  const n = Number(arg('shard', '64'));
  await selectBackend('wasm');
  const r = resolvePreset('cifar100-lt');
  if (!r.ok) throw new Error('preset');
  const config = structuredClone(r.config);
  config.model.arch = model;
  config.loss.kind = loss;
  const shape: [number, number, number] = model === 'resnet32' ? [32, 32, 3] : [28, 28, 1];
  const classes = 100;
  const { network, method } = buildModel(config, { inputShape: shape, numClasses: classes }, new Array<number>(classes).fill(10));
  const vars = modelVariables(network, method);
  const state = vars.filter((v) => !v.trainable);
  const work = new ShardWork(
    method.sharded,
    vars.filter((v) => v.trainable),
    state,
    shape,
    () => {},
  );
  const rng = Rng.derive(0, 'profile');
  const per = shape[0] * shape[1] * shape[2];
  const shard = { views: Array.from({ length: method.views }, () => Float32Array.from({ length: n * per }, () => rng.next())), size: n };
  const dOuts = method.sharded.widths.flatMap((w, i) =>
    method.sharded.differentiable[i] ? [Float32Array.from({ length: n * w }, () => rng.normal() * 1e-3)] : [],
  );
  work.forwardBackward(shard, () => dOuts); // warm-up
  const t0 = performance.now();
  work.forwardBackward(shard, () => dOuts);
  const wall = performance.now() - t0;
  const info = await tf.profile(() => {
    work.forwardBackward(shard, () => dOuts);
  });
  const by = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    // A custom-gradient op (the fused ResNet block) is listed as "forward" around the kernels it runs: counted once, inside.
    if (k.name === 'forward') continue;
    let name = k.name;
    if (name === 'Conv2D') name = (k.inputShapes[1]?.[0] ?? 0) > 3 ? 'Conv2D (weight gradient)' : 'Conv2D (forward / input gradient)';
    const e = by.get(name) ?? { ms: 0, calls: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.calls++;
    by.set(name, e);
  }
  const total = [...by.values()].reduce((s, e) => s + e.ms, 0);
  console.log(
    `${model} ${loss}, one shard of ${n} images x ${method.views} view(s), forward + backward on wasm: ${(wall / 1000).toFixed(2)} s unprofiled, ${(total / 1000).toFixed(2)} s in kernels`,
  );
  console.log('| kernel | calls | ms | share |\n|---|---:|---:|---:|');
  for (const [name, e] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14))
    console.log(`| ${name} | ${e.calls} | ${e.ms.toFixed(0)} | ${((100 * e.ms) / total).toFixed(1)}% |`);
  void state;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
