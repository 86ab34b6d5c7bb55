// `npm run bench:train`: training throughput of the trainer's own step (forward, backward, SGD
// update, loss read back) on TensorFlow.js backends, and of the same model and batch in PyTorch
// when Debian's python3-torch is installed, in the same run, with the ratio.
//
//   npm run bench:train -- [--model convnet|resnet32] [--batches 64,128] [--backends wasm,cpu]
//                          [--steps N] [--warmup N] [--width 32] [--no-torch] [--loss ce|gpaco]
//   --loss gpaco: the GPaCo step of the paper recipe (two augmented views through the encoder in
//   separate passes, projector, queue 1024, parametric-contrastive loss); images/s counts images,
//   not views. On wasm the trainer's heap plan applies (gradient caching at ResNet-32 batch 128).
//   npm run bench:train:gpaco runs ResNet-32, batch 128, GPaCo, wasm, against PyTorch.
//   --torch-threads 1,2: PyTorch thread counts to measure (default 2); "vs PyTorch" is against the
//   fastest. --unfused: ResNet-32 with layer-by-layer autodiff instead of the fused blocks.
//   --workers 1,2,...: worker-thread counts to measure (the trainer's data-parallel step,
//   src/trainer/parallel: one shard per worker; 1 = the plain single-thread step). Default 1.
//   Each row then also gives the wasm heap of one worker.
//   --node-flags "FLAGS": Node / V8 flags for each measured process; default: the trainer's own
//   (src/core/trainerFlags.ts), "" for none.
//   --wasm-threads N: EXPERIMENT, the threaded wasm build through scripts/wasm-threads-shim.cjs
//   (patches Blob / URL.createObjectURL / os.cpus globally; the trainer never does this).
// Each configuration runs in its own process (so peak RSS is per configuration), warm-up steps
// first, then the median of the timed steps. A fixed batch is reused, as the PyTorch twin does;
// the host-side batch assembly (augmentation + upload) is timed separately.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { resolvePreset } from '../src/core/config/presets';
import { nodeFlagsOption } from '../src/core/trainerFlags';
import type { BackendName, Config } from '../src/core/config/schema';
import { Rng } from '../src/core/random';
import { selectBackend, wasmHeapBytes } from '../src/trainer/backends';
import { useCachedSoftwareDriver } from './webgpuDriver';
import { disposeBatch, makeHostBatch, makeTrainBatch, uploadBatch } from '../src/trainer/batches';
import { createMethod } from '../src/trainer/methods';
import { createNetwork } from '../src/trainer/models';
import { ResNet32 } from '../src/trainer/models/resnet32';
import { SgdMomentum } from '../src/trainer/optim/sgd';
import { measureStepBytes, planMicroBatch } from '../src/trainer/memoryPlan';
import { WorkerPool } from '../src/trainer/parallel/pool';
import { ShardedStepRunner } from '../src/trainer/parallel/shardedStep';
import { StepRunner } from '../src/trainer/step';

type Model = 'convnet' | 'resnet32';
type Loss = 'ce' | 'gpaco';

interface Options {
  model: Model;
  batches: number[];
  backends: string[];
  steps?: number;
  warmup?: number;
  width: number;
  torch: boolean;
  loss: Loss;
  torchThreads: number[];
  unfused: boolean;
  wasmThreads?: number;
  workers: number[];
  nodeFlags: string[];
}

interface Result {
  impl: string;
  model: Model;
  batch: number;
  params: number;
  stepSeconds: number[];
  medianStepSeconds: number;
  imagesPerSecond: number;
  batchAssemblyMs?: number;
  peakRssMiB: number;
  wasmHeapMiB?: number | null;
  tensorsFlat?: boolean;
  finalLoss: number;
  microBatchSize?: number | null;
  workers?: number;
  workerHeapMiB?: number | null;
  /** Median CPU seconds of the whole process (all threads) per timed step: with a busy machine, wall time says little about overhead. */
  cpuSecondsPerStep?: number;
}

const SHAPES: Record<Model, { size: number; channels: 1 | 3; classes: number }> = {
  convnet: { size: 28, channels: 1, classes: 10 }, // Fashion-MNIST shape (the small-image recipe)
  resnet32: { size: 32, channels: 3, classes: 100 }, // CIFAR-100
};

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

function parseOptions(argv: string[]): Options {
  const model = (arg(argv, 'model') ?? 'convnet') as Model;
  if (!(model in SHAPES)) throw new Error(`--model must be convnet or resnet32`);
  const loss = (arg(argv, 'loss') ?? 'ce') as Loss;
  if (loss !== 'ce' && loss !== 'gpaco') throw new Error('--loss must be ce or gpaco');
  const steps = arg(argv, 'steps');
  const warmup = arg(argv, 'warmup');
  return {
    model,
    batches: (arg(argv, 'batches') ?? '64,128').split(',').map(Number),
    backends: (arg(argv, 'backends') ?? 'wasm,cpu').split(','),
    ...(steps ? { steps: Number(steps) } : {}),
    ...(warmup ? { warmup: Number(warmup) } : {}),
    width: Number(arg(argv, 'width') ?? 32),
    torch: !argv.includes('--no-torch'),
    loss,
    torchThreads: (arg(argv, 'torch-threads') ?? '2').split(',').map(Number),
    unfused: argv.includes('--unfused'),
    ...(arg(argv, 'wasm-threads') ? { wasmThreads: Number(arg(argv, 'wasm-threads')) } : {}),
    workers: (arg(argv, 'workers') ?? '1').split(',').map(Number),
    nodeFlags: nodeFlagsOption(argv.includes('--node-flags') ? (arg(argv, 'node-flags') ?? '') : undefined),
  };
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Default step counts: the pure-JS cpu backend is 10-100x slower, so it gets fewer. */
function stepCounts(backend: string, model: Model, o: Options): { warmup: number; steps: number } {
  const slow = backend === 'cpu';
  return {
    warmup: o.warmup ?? (slow ? 1 : 2),
    steps: o.steps ?? (slow ? (model === 'resnet32' ? 2 : 3) : model === 'resnet32' ? 5 : 10),
  };
}

function benchConfig(o: Options, batch: number): Config {
  const r = resolvePreset('fashion-mnist-lt');
  if (!r.ok) throw new Error('preset fashion-mnist-lt does not resolve');
  const c = structuredClone(r.config);
  c.model.arch = o.model;
  c.model.width = o.width;
  c.loss.kind = o.loss;
  if (o.loss === 'gpaco') {
    // The paper's CIFAR recipe (docs/method.md): two views, d = 32, K = 1024.
    c.loss.views = 2;
    c.loss.queueSize = 1024;
    c.loss.alpha = 0.01;
    c.loss.temperature = 0.07;
    c.model.projectionDim = o.model === 'resnet32' ? 32 : 64;
    c.augment.strongSecondView = true;
  }
  c.optim.batchSize = batch;
  return c;
}

async function child(backend: string, batch: number, workers: number, o: Options): Promise<Result> {
  if (backend === 'wasm' && o.wasmThreads) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./wasm-threads-shim.cjs') as { install(): string }).install();
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    setThreadsCount(o.wasmThreads);
  }
  const selected = await selectBackend(backend as BackendName);
  const shape = SHAPES[o.model];
  const config = benchConfig(o, batch);
  const spec = { inputShape: [shape.size, shape.size, shape.channels] as const, numClasses: shape.classes };
  const network =
    o.unfused && o.model === 'resnet32'
      ? new ResNet32(spec, Rng.derive(0, 'bench/init'), { fused: false })
      : createNetwork(config.model, spec, Rng.derive(0, 'bench/init'));
  const method = createMethod({
    network,
    createNetwork: (rng) => createNetwork(config.model, spec, rng),
    config,
    numClasses: shape.classes,
    trainCounts: new Array<number>(shape.classes).fill(100),
    rng: Rng.derive(0, 'bench/method'),
  });
  const trainables = network.params
    .entries()
    .filter((e) => e.trainable)
    .map((e) => ({ ...e, name: `net/${e.name}` }));
  // The method's own variables (GPaCo's projector) are trained too, as in a run.
  trainables.push(
    ...method.params
      .entries()
      .filter((e) => e.trainable)
      .map((e) => ({ ...e, name: `method/${e.name}` })),
  );
  const optimizer = new SgdMomentum(trainables, { momentum: 0.9, weightDecay: 5e-4 });
  // The trainer's wasm heap plan (src/trainer/main.ts): micro-batches when a step would not fit.
  let micro = config.optim.microBatchSize;
  if (selected.id === 'wasm' && workers === 1) {
    const plan = planMicroBatch({ batchSize: batch, configured: micro, method, bytes: await measureStepBytes(network) });
    if (plan.change) process.stderr.write(`  ${plan.change}\n`);
    micro = plan.microBatchSize;
  }
  const runner = new StepRunner(method, trainables, optimizer, micro);
  // Worker threads: the trainer's sharded step, one shard per worker (src/trainer/main.ts startSharded).
  const imageShape: [number, number, number] = [shape.size, shape.size, shape.channels];
  const variables = [
    ...network.params.entries().map((e) => ({ ...e, name: `net/${e.name}` })),
    ...method.params.entries().map((e) => ({ ...e, name: `method/${e.name}` })),
  ];
  const pool =
    workers > 1
      ? await WorkerPool.start({
          workers,
          shards: workers,
          config,
          inputShape: imageShape,
          numClasses: shape.classes,
          trainCounts: new Array<number>(shape.classes).fill(100),
          backend: selected.id,
          variables,
          widths: method.sharded.widths,
          differentiable: method.sharded.differentiable,
          maxShardSize: Math.ceil(batch / workers),
        })
      : null;
  const sharded = pool
    ? new ShardedStepRunner(
        method,
        trainables,
        variables.filter((v) => !v.trainable),
        optimizer,
        workers,
        imageShape,
        shape.classes,
        pool,
      )
    : null;

  const rng = Rng.derive(0, 'bench/data');
  const per = shape.size * shape.size * shape.channels;
  const images = new Uint8Array(batch * per).map(() => rng.int(256));
  const labels = Int32Array.from({ length: batch }, () => rng.int(shape.classes));
  const set = { images, labels, count: batch };
  const order = Int32Array.from({ length: batch }, (_, i) => i);
  const geo = { height: shape.size, width: shape.size, channels: shape.channels };
  const viewOpts = { padding: config.augment.padding, flip: true, strongSecondView: config.augment.strongSecondView };
  const assembly: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    disposeBatch(makeTrainBatch(set, geo, order, 0, batch, shape.classes, method.views, viewOpts, rng));
    assembly.push(performance.now() - t0);
  }
  const hostBatch = makeHostBatch(set, geo, order, 0, batch, method.views, viewOpts, rng);
  const batchTensors = uploadBatch(hostBatch, geo, shape.classes);

  const { warmup, steps } = stepCounts(backend, o.model, o);
  const times: number[] = [];
  const cpus: number[] = [];
  const tensorCounts: number[] = [];
  let loss = NaN;
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const out = sharded ? await sharded.run(hostBatch, 0.01) : await runner.run(batchTensors, 0.01);
    loss = (await out.loss.data())[0]!;
    out.loss.dispose();
    out.correct.dispose();
    const dt = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    if (i >= warmup) {
      times.push(dt);
      cpus.push((c.user + c.system) / 1e6);
    }
    tensorCounts.push(tf.memory().numTensors);
    process.stderr.write(
      `  ${selected.id} w${workers} b${batch} step ${i}${i < warmup ? ' (warm-up)' : ''}: ${dt.toFixed(3)} s, loss ${loss.toFixed(3)}, tensors ${tf.memory().numTensors}\n`,
    );
  }
  const med = median(times);
  const heap = wasmHeapBytes();
  const workerHeaps = pool ? pool.heaps.filter((h): h is number => h !== null) : [];
  await pool?.dispose();
  return {
    impl: `tfjs-${selected.detail}${o.unfused && o.model === 'resnet32' ? ', unfused' : ''}`,
    model: o.model,
    batch,
    params: network.params.trainableCount(),
    stepSeconds: times.map((t) => +t.toFixed(4)),
    medianStepSeconds: +med.toFixed(4),
    imagesPerSecond: +(batch / med).toFixed(1),
    batchAssemblyMs: +median(assembly).toFixed(2),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    wasmHeapMiB: heap === null ? null : Math.round(heap / 2 ** 20),
    tensorsFlat: tensorCounts.slice(1).every((n) => n === tensorCounts[1]),
    finalLoss: +loss.toFixed(4),
    microBatchSize: workers > 1 ? null : (micro ?? null),
    workers,
    cpuSecondsPerStep: +median(cpus).toFixed(3),
    workerHeapMiB: workerHeaps.length ? Math.round(Math.max(...workerHeaps) / 2 ** 20) : null,
  };
}

function runChild(args: string[], timeoutMs: number, nodeFlags: string[]): Result | { error: string } {
  // From sources through tsx, or as the bundle scripts/gpu-check-prepare.mjs builds.
  const self = __filename.endsWith('.ts') ? ['--import', 'tsx', __filename] : [__filename];
  const r = spawnSync(process.execPath, [...nodeFlags, ...self, '--child', ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line) return JSON.parse(line.slice(7)) as Result;
  return { error: r.error ? r.error.message : `exit ${r.status}` };
}

function torchAvailable(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

function runTorch(o: Options, batch: number, threads: number): Result | { error: string } {
  const shape = SHAPES[o.model];
  const { warmup, steps } = { warmup: o.warmup ?? 3, steps: o.steps ?? 10 };
  const r = spawnSync(
    '/usr/bin/python3',
    [
      path.join(__dirname, 'bench_train_torch.py'),
      '--model',
      o.model,
      '--batch',
      String(batch),
      '--width',
      String(o.width),
      '--size',
      String(shape.size),
      '--channels',
      String(shape.channels),
      '--classes',
      String(shape.classes),
      '--warmup',
      String(warmup),
      '--steps',
      String(steps),
      '--threads',
      String(threads),
      '--loss',
      o.loss,
    ],
    { encoding: 'utf8', timeout: 600_000, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line) return JSON.parse(line.slice(7)) as Result;
  return { error: r.error ? r.error.message : `exit ${r.status}` };
}

function parent(o: Options): void {
  const shape = SHAPES[o.model];
  const lossText = o.loss === 'gpaco' ? 'GPaCo (two views, projector, queue 1024; img/s counts images, each seen twice)' : 'CE';
  console.log(
    `bench:train  model ${o.model}${o.model === 'convnet' ? ` (width ${o.width})` : ''}, input ${shape.size}x${shape.size}x${shape.channels}, ${shape.classes} classes, SGD momentum 0.9, wd 5e-4, ${lossText}${o.nodeFlags.length ? `; node ${o.nodeFlags.join(' ')}` : ''}`,
  );
  const withTorch = o.torch && torchAvailable();
  if (o.torch && !withTorch) console.log('PyTorch: not measured (Debian python3-torch is not installed: apt-get install -y python3-torch)');
  const rows: string[] = [];
  for (const batch of o.batches) {
    const torches = withTorch ? o.torchThreads.map((t) => runTorch(o, batch, t)) : [];
    const speeds = torches.flatMap((t) => ('imagesPerSecond' in t ? [t.imagesPerSecond] : []));
    const torchIps = speeds.length ? Math.max(...speeds) : null;
    for (const t of torches) rows.push(row(t, torchIps, batch, undefined, o.loss));
    for (const backend of o.backends) {
      for (const workers of o.workers) {
        if (workers > 1 && !['wasm', 'cpu'].includes(backend)) {
          rows.push(
            `| ${backend} | ${o.loss} | ${batch} | ${workers} | | n/a: worker threads are for CPU backends (a GPU backend runs the shards in sequence) | | | | | | | | |`,
          );
          continue;
        }
        const res = runChild([backend, String(batch), String(workers), ...process.argv.slice(2)], 30 * 60_000, o.nodeFlags);
        rows.push(row(res, torchIps, batch, o.unfused ? `${backend} (unfused)` : backend, o.loss));
      }
    }
  }
  console.log(
    '\n| impl | loss | batch | workers | micro-batch | params | median step s | CPU s / step | img/s | vs PyTorch | batch assembly ms | peak RSS MiB | wasm heap MiB (main / per worker) | tensors flat |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) console.log(r);
}

function row(r: Result | { error: string }, torchIps: number | null, batch: number, backend?: string, loss = ''): string {
  if ('error' in r) return `| ${backend ?? 'pytorch'} | | ${batch} | | | failed: ${r.error} | | | | | | | | |`;
  const ratio = torchIps ? `${(r.imagesPerSecond / torchIps).toFixed(3)}x` : 'n/a';
  const heap = `${r.wasmHeapMiB ?? ''}${r.workerHeapMiB ? ` / ${r.workerHeapMiB}` : ''}`;
  return `| ${r.impl} | ${loss} | ${r.batch} | ${r.workers ?? ''} | ${r.microBatchSize ?? ''} | ${r.params} | ${r.medianStepSeconds} | ${r.cpuSecondsPerStep ?? ''} | ${r.imagesPerSecond} | ${ratio} | ${r.batchAssemblyMs ?? ''} | ${r.peakRssMiB} | ${heap} | ${r.tensorsFlat ?? ''} |`;
}

async function main(): Promise<void> {
  // --backends webgpu on a machine without a GPU: the software driver of scripts/setup-webgpu-driver.sh.
  useCachedSoftwareDriver(path.resolve(__dirname, '..'));
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const [, backend, batch, workers, ...rest] = argv;
    const res = await child(backend!, Number(batch), Number(workers), parseOptions(rest));
    console.log(`RESULT ${JSON.stringify(res)}`);
    process.exit(0);
  }
  parent(parseOptions(argv));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
