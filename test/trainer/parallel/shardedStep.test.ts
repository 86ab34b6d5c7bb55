// Data-parallel steps on wasm: N worker threads give the same parameters as one thread running
// the same N shards in sequence (ghost batch norm), for CE, GPaCo and PaCo; a worker running
// several shards gives the same numbers as one worker per shard; a worker that dies fails the
// step with a message naming it; and no thread is left behind once the pool is stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { Config, LossKind } from '../../../src/core/config/schema';
import { Rng } from '../../../src/core/random';
import { selectBackend } from '../../../src/trainer/backends';
import type { HostBatch } from '../../../src/trainer/batches';
import type { NamedVariable } from '../../../src/trainer/nn/params';
import { SgdMomentum } from '../../../src/trainer/optim/sgd';
import { WorkerFailure, WorkerPool } from '../../../src/trainer/parallel/pool';
import { InProcessShards, ShardedStepRunner, type ShardExecutor } from '../../../src/trainer/parallel/shardedStep';
import { buildModel, modelVariables } from '../../../src/trainer/session';
import { pollUntil } from '../../../test/shared/poll';
import { tinyConfig } from '../harness';

const SHAPE: [number, number, number] = [12, 12, 1];
const CLASSES = 4;
const BATCH = 16;
const TRAIN_COUNTS = [40, 20, 10, 5];

function configFor(kind: LossKind): Config {
  return tinyConfig({
    loss: { kind, queueSize: 32, alpha: 0.05, momentum: 0.9 },
    model: { projectionDim: 8 },
    optim: { batchSize: BATCH },
  });
}

function hostBatch(views: number, seed: number): HostBatch {
  const rng = Rng.derive(seed, 'test/batch');
  const per = SHAPE[0] * SHAPE[1] * SHAPE[2];
  return {
    views: Array.from({ length: views }, () => Float32Array.from({ length: BATCH * per }, () => rng.next())),
    labels: Int32Array.from({ length: BATCH }, (_, i) => i % CLASSES),
    size: BATCH,
  };
}

interface Trained {
  values: Map<string, Float32Array>;
  losses: number[];
}

/** Two steps with `shards` shards on the executor `make` builds; every variable afterwards. */
async function train(
  kind: LossKind,
  shards: number,
  make: (vars: NamedVariable[], config: Config) => Promise<ShardExecutor & { dispose?: () => Promise<void> }>,
): Promise<Trained> {
  const config = configFor(kind);
  const { network, method } = buildModel(config, { inputShape: SHAPE, numClasses: CLASSES }, TRAIN_COUNTS);
  const vars = modelVariables(network, method);
  const trainables = vars.filter((v) => v.trainable);
  const state = vars.filter((v) => !v.trainable);
  const optimizer = new SgdMomentum(trainables, { momentum: 0.9, weightDecay: 5e-4 });
  const executor = await make(vars, config);
  try {
    const runner = new ShardedStepRunner(method, trainables, state, optimizer, shards, SHAPE, CLASSES, executor);
    const losses: number[] = [];
    for (let s = 0; s < 2; s++) {
      const out = await runner.run(hostBatch(method.views, s), 0.05);
      losses.push((await out.loss.data())[0]!);
      tf.dispose([out.loss, out.correct]);
    }
    return { values: new Map(vars.map((v) => [v.name, Float32Array.from(v.variable.dataSync() as Float32Array)])), losses };
  } finally {
    await executor.dispose?.();
    optimizer.dispose();
    method.dispose();
    network.dispose();
  }
}

function pool(workers: number, shards: number, exitAt?: { worker: number; step: number }) {
  return async (vars: NamedVariable[], config: Config) => {
    const { network, method } = buildModel(config, { inputShape: SHAPE, numClasses: CLASSES }, TRAIN_COUNTS);
    const { widths, differentiable } = method.sharded;
    method.dispose();
    network.dispose();
    return WorkerPool.start({
      workers,
      shards,
      config,
      inputShape: SHAPE,
      numClasses: CLASSES,
      trainCounts: TRAIN_COUNTS,
      backend: 'wasm',
      variables: vars,
      widths,
      differentiable,
      maxShardSize: Math.ceil(BATCH / shards),
      ...(exitAt ? { exitAt } : {}),
    });
  };
}

/** Largest |a - b| / max|a| over every variable (relative to the tensor's scale). */
function largestRelativeDifference(a: Trained, b: Trained): { worst: number; name: string } {
  let worst = 0;
  let name = '';
  for (const [k, va] of a.values) {
    const vb = b.values.get(k);
    assert.ok(vb, `missing ${k}`);
    let scale = 1e-12;
    let diff = 0;
    for (let i = 0; i < va.length; i++) {
      scale = Math.max(scale, Math.abs(va[i]!));
      diff = Math.max(diff, Math.abs(va[i]! - vb[i]!));
    }
    if (diff / scale > worst) {
      worst = diff / scale;
      name = k;
    }
  }
  return { worst, name };
}

function threadCount(): number {
  const m = /^Threads:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return Number(m![1]);
}

/** The in-process executor over the runner's own model (ghost batch norm). */
async function trainGhost(kind: LossKind, shards: number): Promise<Trained> {
  const config = configFor(kind);
  const { network, method } = buildModel(config, { inputShape: SHAPE, numClasses: CLASSES }, TRAIN_COUNTS);
  const vars = modelVariables(network, method);
  const trainables = vars.filter((v) => v.trainable);
  const state = vars.filter((v) => !v.trainable);
  const optimizer = new SgdMomentum(trainables, { momentum: 0.9, weightDecay: 5e-4 });
  try {
    const runner = new ShardedStepRunner(
      method,
      trainables,
      state,
      optimizer,
      shards,
      SHAPE,
      CLASSES,
      new InProcessShards(method, trainables, state, SHAPE),
    );
    const losses: number[] = [];
    for (let s = 0; s < 2; s++) {
      const out = await runner.run(hostBatch(method.views, s), 0.05);
      losses.push((await out.loss.data())[0]!);
      tf.dispose([out.loss, out.correct]);
    }
    return { values: new Map(vars.map((v) => [v.name, Float32Array.from(v.variable.dataSync() as Float32Array)])), losses };
  } finally {
    optimizer.dispose();
    method.dispose();
    network.dispose();
  }
}

test('setup: wasm backend', async () => {
  const b = await selectBackend('wasm');
  assert.equal(b.id, 'wasm');
});

for (const kind of ['gpaco', 'paco', 'ce'] as const) {
  test(`${kind}: two steps on 2 worker threads equal 2 ghost-BN shards on one thread (parameters within 1e-5 relative)`, async (t) => {
    const single = await trainGhost(kind, 2);
    const threaded = await train(kind, 2, pool(2, 2));
    const { worst, name } = largestRelativeDifference(single, threaded);
    t.diagnostic(
      `${kind}: largest relative parameter difference ${worst.toExponential(2)} (${name}); losses ${single.losses.map((l) => l.toFixed(6)).join(',')} vs ${threaded.losses.map((l) => l.toFixed(6)).join(',')}`,
    );
    assert.ok(worst <= 1e-5, `${name} differs by ${worst} relative`);
    single.losses.forEach((l, i) => assert.ok(Math.abs(l - threaded.losses[i]!) <= 1e-5 * Math.abs(l), `loss of step ${i + 1}`));
    // The shards matter: one shard (BN over the whole batch) trains differently.
    const whole = await trainGhost(kind, 1);
    assert.ok(largestRelativeDifference(single, whole).worst > 1e-4, 'per-shard batch norm must change the result');
  });
}

test('gpaco: one worker running both shards gives the numbers of two workers (same shard layout)', async (t) => {
  const two = await train('gpaco', 2, pool(2, 2));
  const one = await train('gpaco', 2, pool(1, 2));
  const { worst, name } = largestRelativeDifference(two, one);
  t.diagnostic(`largest relative difference ${worst.toExponential(2)} (${name})`);
  assert.equal(worst, 0, `${name} differs`);
});

test('a worker that dies fails the step with a message naming it, and stopping the pool leaves no thread behind', async () => {
  const before = threadCount();
  const config = configFor('gpaco');
  const { network, method } = buildModel(config, { inputShape: SHAPE, numClasses: CLASSES }, TRAIN_COUNTS);
  const vars = modelVariables(network, method);
  const trainables = vars.filter((v) => v.trainable);
  const optimizer = new SgdMomentum(trainables, { momentum: 0.9, weightDecay: 5e-4 });
  const p = await pool(2, 2, { worker: 1, step: 2 })(vars, config);
  try {
    assert.equal(threadCount(), before + 2, 'one thread per worker while the pool runs');
    const runner = new ShardedStepRunner(
      method,
      trainables,
      vars.filter((v) => !v.trainable),
      optimizer,
      2,
      SHAPE,
      CLASSES,
      p,
    );
    const ok = await runner.run(hostBatch(2, 0), 0.05);
    tf.dispose([ok.loss, ok.correct]);
    await assert.rejects(
      runner.run(hostBatch(2, 1), 0.05),
      (e: unknown) => e instanceof WorkerFailure && /worker thread 2 of 2 died during step 2 .*exit code 70/.test(e.message),
    );
  } finally {
    await p.dispose();
    optimizer.dispose();
    method.dispose();
    network.dispose();
  }
  await pollUntil(`the thread count to return to ${before}`, () => threadCount() === before || undefined, 5000, 50);
});
