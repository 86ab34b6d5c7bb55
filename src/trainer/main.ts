// The trainer process (dist/trainer.js), the only place TensorFlow.js is loaded:
//   node dist/trainer.js run <runDir> [--resume] [--backend B]
//   node dist/trainer.js eval <runDir> --checkpoint <tag> [--backend B]
//   node dist/trainer.js verify-loss <cases.json> [--backend B] [--tolerance T]
// Exit codes: 0 completed / stopped, 1 failed, 2 bad usage, config or data.
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BACKENDS, type BackendName, type Config } from '../core/config/schema';
import { formatIssue, validateConfig } from '../core/config/validate';
import { evalRecordOf } from '../core/evalMath';
import type { RunManifest } from '../core/contract';
import { MetricsWriter } from '../core/metricsLog';
import { acquireRunLock } from '../core/runLock';
import { readRunConfig, readRunManifest, runPaths, updateRunManifest, writeClassesFile, writeEvalFile } from '../core/runDirectory';
import { AUTO_ORDER, NoBackendError, describeAttempt, selectBackend, wasmHeapBytes } from './backends';
import { DeviceLimitError, checkBackendFits } from './backends/webgpuLimits';
import type { BackendId, SelectedBackend } from './backends/types';
import { findLatestCheckpoint, readCheckpoint, readCheckpointManifest } from './checkpoint';
import { DataError, DecodeWorkerFailure, type TrainingData, dataCacheDir, openTrainingData, writeSplitFile } from '../data';
import { compareSplits, readSplitFile, splitFileOf, SPLIT_FILE } from '../data/splitFile';
import type { AnySet, Dataset } from '../data/types';
import { explainError } from './errors';
import { evaluate } from './evaluate';
import { formatBytes, log } from './log';
import { type ShardedTraining, TrainingLoop } from './loop';
import { WorkerPool, WorkerFailure } from './parallel/pool';
import { InProcessShards, ShardedStepRunner } from './parallel/shardedStep';
import { planParallel, shardSize } from '../core/parallel';
import { TrainingSession, assignVariables, buildNetwork, classesFileOf, geometryOf, networkVariables } from './session';
import { stepsPerEpoch } from './batches';
import { measureStepBytes, planMicroBatch, stepEstimate } from './memoryPlan';
import { runVerifyLoss } from './verifyLoss';
import { commandTrainerOf, runCommandToEnd } from '../core/commandTrainer';

/** An error a user fixes in the config or data (exit 2). */
class UsageError extends Error {}

interface Args {
  command: string;
  runDir: string;
  resume: boolean;
  backend?: BackendName;
  checkpoint?: string;
  workers?: 'auto' | number;
}

const USAGE =
  'usage: trainer run <runDir> [--resume] [--backend B] [--workers N|auto] | trainer eval <runDir> --checkpoint <tag> [--backend B]';

function parseArgs(argv: string[]): Args {
  const [command, runDir, ...rest] = argv;
  if (!command || !runDir) throw new UsageError(USAGE);
  const args: Args = { command, runDir, resume: false };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--resume') args.resume = true;
    else if (a === '--workers') {
      const v = rest[++i];
      const n = Number(v);
      if (v === 'auto') args.workers = 'auto';
      else if (v !== undefined && Number.isInteger(n) && n >= 1 && n <= 256) args.workers = n;
      else
        throw new UsageError(`--workers: expected a whole number from 1 to 256 or "auto" (got ${v === undefined ? 'nothing' : `"${v}"`})`);
    } else if (a === '--backend' || a === '--checkpoint') {
      const v = rest[++i];
      if (!v) throw new UsageError(`${a} needs a value; ${USAGE}`);
      if (a === '--checkpoint') args.checkpoint = v;
      else if ((BACKENDS as readonly string[]).includes(v)) args.backend = v as BackendName;
      else throw new UsageError(`--backend: "${v}" is not one of ${BACKENDS.join(', ')}`);
    } else throw new UsageError(`unknown argument "${a}"; ${USAGE}`);
  }
  return args;
}

/** The run's config, validated again (config.json is user-visible and may have been edited). */
function loadRunConfig(runDir: string, backend?: BackendName): Config {
  const raw = readRunConfig(runDir);
  const result = validateConfig(raw, { file: runPaths(runDir).config, checkPaths: false });
  if (!result.ok) throw new UsageError(`invalid config:\n${result.errors.map((e) => `  ${formatIssue(e)}`).join('\n')}`);
  return backend ? { ...result.config, backend } : result.config;
}

function explain(e: unknown, config: Config | null): string {
  return explainError(e, config?.optim.batchSize);
}

async function chooseBackend(config: Config): Promise<SelectedBackend> {
  const selected = await selectBackend(config.backend);
  const order = config.backend === 'auto' ? AUTO_ORDER : [config.backend];
  // The launchers pass TRAINER_NODE_FLAGS (src/core/trainerFlags.ts); a hand-started trainer may not.
  log(`node ${process.version}, flags: ${process.execArgv.join(' ') || 'none'}`);
  log(`backend order (${config.backend}): ${order.join(' -> ')}; using ${selected.id}`);
  for (const a of selected.attempts) if (!a.ok) log(`  ${describeAttempt(a)}`);
  log(`backend: ${selected.detail}`);
  if (selected.adapter) {
    const a = selected.adapter;
    const l = selected.gpuLimits;
    log(
      `  adapter: vendor "${a.vendor ?? ''}", architecture "${a.architecture ?? ''}", description "${a.description ?? ''}"${l ? `, max buffer binding ${formatBytes(l.maxStorageBufferBindingSize)}` : ''}`,
    );
    if (a.emulated) log('  WARNING: this adapter is SOFTWARE EMULATION on the CPU, not a GPU (backend "webgpu" was named, so it is used)');
  }
  return selected;
}

/** A resumed run must train on the split it started with: refuse when the data changed under it. */
function checkSameSplit(runDir: string, dataset: Dataset<AnySet>): void {
  const now = splitFileOf(dataset);
  if (!now || !fs.existsSync(path.join(runDir, SPLIT_FILE))) return;
  const problems = compareSplits(readSplitFile(runDir), now);
  if (problems.length > 0) {
    throw new DataError(
      `the training data changed since this run started (${problems.slice(0, 3).join('; ')}); resuming would train on another split`,
      path.join(runDir, SPLIT_FILE),
    );
  }
}

/** The run's data (the caller disposes it: decode threads, cache files). */
async function loadData(config: Config, runDir: string): Promise<TrainingData> {
  const t0 = performance.now();
  // Test hook: GPACO_TEST_DECODE_WORKER_EXIT = "worker:job" (1-based) makes that decode thread exit.
  const exit = /^(\d+):(\d+)$/.exec(process.env.GPACO_TEST_DECODE_WORKER_EXIT ?? '');
  const dataset = await openTrainingData(config, {
    onWarning: (m) => log(`data warning: ${m}`),
    onInfo: (m) => log(`data: ${m}`),
    cacheDir: dataCacheDir(config.data, runDir),
    ...(exit ? { decodeExitAt: { worker: Number(exit[1]), job: Number(exit[2]) } } : {}),
  });
  const cache = dataset.cache === 'memory' ? '' : `; images streamed, data.cache "${dataset.cache}"`;
  log(`data: ${dataset.description} (${((performance.now() - t0) / 1000).toFixed(1)} s${cache})`);
  return dataset;
}

async function runCommand(args: Args): Promise<number> {
  const { runDir } = args;
  let prior: ReturnType<typeof readRunManifest>;
  try {
    prior = readRunManifest(runDir);
  } catch (e) {
    // Not a run directory (or an unreadable run.json): nothing to mark, a usage error.
    log(`error: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  // One trainer per run folder: the lock comes before any write (a second trainer would race
  // this one's checkpoints and run.json).
  const locked = acquireRunLock(runDir);
  if (!locked.ok) {
    log(`error: ${locked.message}`);
    return 2;
  }
  if (locked.tookOver) log(`run lock: ${locked.tookOver}`);
  try {
    return await trainLocked(args, prior);
  } finally {
    locked.lock.release();
  }
}

async function trainLocked(args: Args, prior: RunManifest): Promise<number> {
  const { runDir } = args;
  const paths = runPaths(runDir);
  let stop = false;
  const onSignal = (sig: string) => {
    if (stop) return log(`${sig} again: already stopping after the current step`);
    stop = true;
    log(`${sig}: finishing the current step, then checkpointing and stopping`);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  updateRunManifest(runDir, {
    status: 'running',
    pid: process.pid,
    host: os.hostname(),
    startedAt: prior.startedAt ?? new Date().toISOString(),
    endedAt: null,
    exitCode: null,
    error: null,
  });
  const metrics = new MetricsWriter(paths.metrics);
  const event = (level: 'info' | 'warn' | 'error', message: string) =>
    metrics.append({ kind: 'event', level, message, time: new Date().toISOString() });
  let config: Config | null = null;
  let session: TrainingSession | null = null;
  let sharded: ShardedTraining | null = null;
  let data: TrainingData | null = null;
  const finish = (status: 'completed' | 'stopped' | 'failed', exitCode: number, message?: string) => {
    updateRunManifest(runDir, { status, exitCode, endedAt: new Date().toISOString(), error: message ? { message } : null });
    return exitCode;
  };
  try {
    config = loadRunConfig(runDir, args.backend);
    const latest = findLatestCheckpoint(runDir, (tag, why) => log(`ignoring checkpoint folder ${tag}: ${why}`));
    if (latest && !args.resume) throw new UsageError(`${runDir} already has checkpoints (latest ${latest.tag}); resume it with --resume`);
    const backend = await chooseBackend(config);
    updateRunManifest(runDir, {
      backend: backend.id,
      backendInfo: { name: backend.id, detail: backend.detail, ...(backend.adapter ? { adapter: backend.adapter } : {}) },
    });
    const skipped = backend.attempts.filter((a) => !a.ok);
    event(
      'info',
      `backend ${backend.detail}${skipped.length ? `; skipped ${skipped.map((a) => `${a.id} (${a.reason})`).join(', ')}` : ''}`,
    );

    const dataset = await loadData(config, runDir);
    data = dataset;
    for (const w of dataset.warnings) event('warn', w);
    const classes = classesFileOf(config, dataset);
    writeClassesFile(runDir, classes);
    if (args.resume) checkSameSplit(runDir, dataset);
    writeSplitFile(runDir, dataset);

    // WebGPU: refuse sizes over the device's buffer limits (they would give wrong numbers).
    checkBackendFits(backend, {
      config,
      inputShape: [dataset.height, dataset.width, dataset.channels],
      numClasses: dataset.classNames.length,
    });
    session = new TrainingSession(config, dataset);
    const parallel = planParallel({
      workers: args.workers ?? config.optim.workers,
      shards: config.optim.shards,
      batchSize: config.optim.batchSize,
      threads: THREADED_BACKENDS.has(backend.id),
      ...(args.resume && latest ? { resumedShards: latest.trainer.shards ?? 1 } : {}),
    });
    if (!parallel.ok)
      throw new UsageError(`cannot ${args.resume ? 'resume' : 'start'} with this worker / shard layout: ${parallel.reason}`);
    const { workers, shards } = parallel.plan;
    const layout = { shards, batchSize: config.optim.batchSize };
    if (parallel.plan.note) log(parallel.plan.note);
    if (backend.id === 'wasm') {
      // The wasm heap is capped at 4 GiB: pick micro-batches before the step could overflow it.
      const heapLimit = Number(process.env.GPACO_WASM_HEAP_LIMIT) || undefined; // bytes; tests shrink it
      const planInput = {
        batchSize: shards > 1 ? shardSize(layout) : config.optim.batchSize,
        configured: shards > 1 ? undefined : config.optim.microBatchSize,
        method: session.method,
        bytes: await measureStepBytes(session.network),
        ...(heapLimit ? { heapLimit } : {}),
      };
      const plan = planMicroBatch(planInput);
      if (plan.change && shards > 1) {
        throw new UsageError(
          `a shard of ${shardSize(layout)} images does not fit the wasm heap of one thread (~${formatBytes(stepEstimate(planInput, undefined))}, budget ${formatBytes(plan.budget)}): raise optim.shards`,
        );
      }
      if (plan.change) {
        config.optim.microBatchSize = plan.microBatchSize;
        log(plan.change);
        event('warn', plan.change);
      }
    }
    if (shards > 1) sharded = await startSharded(session, backend.id, workers, shards, dataset);
    const parallelText =
      shards === 1
        ? 'one thread, batch-norm statistics over the whole batch'
        : `${workers} worker thread${workers === 1 ? ' (this one)' : 's'}, ${shards} shards of ${shardSize(layout)} images (batch-norm statistics per shard)`;
    log(`parallel: ${parallelText}`);
    updateRunManifest(runDir, { parallel: { workers, shards, shardSize: shardSize(layout) } });
    const loop = new TrainingLoop(session, runDir, metrics, sharded);
    const o = config.optim;
    const groups = classes.groups.assignment;
    const count = (g: string) => groups.filter((x) => x === g).length;
    log(
      `model: ${session.network.arch} (${session.networkParameterCount().toLocaleString('en-US')} parameters, feature size ${session.network.featureSize}), ${session.method.describe()}`,
    );
    log(
      `training: ${o.epochs} epochs x ${loop.stepsPerEpoch} steps of ${o.batchSize}${o.microBatchSize ? ` (micro-batches of ${o.microBatchSize})` : ''}, ` +
        `lr ${o.lr} (${o.schedule}), shot groups many/medium/few ${count('many')}/${count('medium')}/${count('few')} classes`,
    );
    if (args.resume) {
      if (latest) {
        const m = loop.restore(latest.tag);
        log(`resumed from checkpoint ${m.tag} (epoch ${m.epoch}, step ${m.step})`);
        event('info', `resumed from checkpoint ${m.tag} (epoch ${m.epoch}, step ${m.step})`);
      } else {
        log('no complete checkpoint: starting from the beginning');
        event('info', 'resume found no complete checkpoint: starting from the beginning');
      }
    } else {
      event('info', `started: ${dataset.description}; ${session.network.arch}; ${session.method.describe()}`);
    }
    updateRunManifest(runDir, {
      progress: { epoch: loop.completedEpochs, epochs: o.epochs, step: 0, stepsPerEpoch: stepsPerEpoch(dataset.train.count, o.batchSize) },
    });
    if (stop) {
      log('stopped before training started');
      return finish('stopped', 0);
    }
    const stopAfter = Number(process.env.GPACO_STOP_AFTER_STEPS);
    const result = await loop.run({
      stopRequested: () => stop,
      ...(Number.isInteger(stopAfter) && stopAfter > 0 ? { stopAfterSteps: stopAfter } : {}),
    });
    const heap = wasmHeapBytes();
    log(`peak RSS ${formatBytes(process.resourceUsage().maxRSS * 1024)}${heap !== null ? `, wasm heap ${formatBytes(heap)}` : ''}`);
    if (result.kind === 'stopped') {
      event('info', `stopped; checkpoint ${result.tag}`);
      return finish('stopped', 0);
    }
    event('info', 'completed');
    log('completed');
    return finish('completed', 0);
  } catch (e) {
    const usage = e instanceof UsageError || e instanceof DataError || e instanceof DeviceLimitError;
    let message = explain(e, config);
    if (e instanceof WorkerFailure || e instanceof DecodeWorkerFailure) {
      const kept = findLatestCheckpoint(runDir);
      message += kept
        ? `; the run keeps its last checkpoint ${kept.tag} (gpaco resume continues from it)`
        : '; no checkpoint was written yet';
    }
    log(`${usage ? 'error' : 'failed'}: ${message}`);
    if (
      !usage &&
      !(e instanceof NoBackendError) &&
      !(e instanceof WorkerFailure) &&
      !(e instanceof DecodeWorkerFailure) &&
      e instanceof Error &&
      e.stack
    )
      process.stderr.write(`${e.stack}\n`);
    try {
      event('error', message);
    } catch {
      // the metrics file itself may be the problem; run.json still gets the message
    }
    return finish('failed', usage ? 2 : 1, message);
  } finally {
    await sharded?.pool?.dispose();
    await data?.dispose();
    session?.dispose();
    metrics.close();
  }
}

/** Backends whose steps can be split over worker threads (each thread loads its own); GPU backends run the shards in sequence. */
const THREADED_BACKENDS: ReadonlySet<string> = new Set(['wasm', 'cpu']);

/** The sharded step: worker threads when there are several, else the shards in sequence here (ghost batch norm). */
async function startSharded(
  session: TrainingSession,
  backend: BackendId,
  workers: number,
  shards: number,
  dataset: Dataset<AnySet>,
): Promise<ShardedTraining> {
  const imageShape: [number, number, number] = [dataset.height, dataset.width, dataset.channels];
  const variables = session.namedVariables();
  const state = variables.filter((v) => !v.trainable);
  const numClasses = session.network.numClasses;
  let pool: WorkerPool | null = null;
  if (workers > 1) {
    const t0 = performance.now();
    const exit = /^(\d+):(\d+)$/.exec(process.env.GPACO_TEST_WORKER_EXIT ?? '');
    pool = await WorkerPool.start({
      workers,
      shards,
      config: session.config,
      inputShape: imageShape,
      numClasses,
      trainCounts: session.classes.trainCounts,
      backend,
      variables,
      widths: session.method.sharded.widths,
      differentiable: session.method.sharded.differentiable,
      maxShardSize: shardSize({ shards, batchSize: session.config.optim.batchSize }),
      ...(exit ? { exitAt: { worker: Number(exit[1]), step: Number(exit[2]) } } : {}),
    });
    log(`worker threads: ${pool.workers} started in ${((performance.now() - t0) / 1000).toFixed(1)} s (${pool.details[0] ?? ''} each)`);
  }
  const executor = pool ?? new InProcessShards(session.method, session.trainables, state, imageShape);
  const runner = new ShardedStepRunner(
    session.method,
    session.trainables,
    state,
    session.optimizer,
    shards,
    imageShape,
    numClasses,
    executor,
  );
  return { shards, runner, pool };
}

async function evalCommand(args: Args): Promise<number> {
  const { runDir } = args;
  const tag = args.checkpoint;
  if (!tag) throw new UsageError(`eval needs --checkpoint <tag>; ${USAGE}`);
  const config = loadRunConfig(runDir, args.backend);
  try {
    readCheckpointManifest(runDir, tag); // a clear error before the slow parts
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const backend = await chooseBackend(config);
  const dataset = await loadData(config, runDir);
  try {
    return await evalWith(config, backend, dataset, runDir, tag);
  } finally {
    await dataset.dispose();
  }
}

async function evalWith(config: Config, backend: SelectedBackend, dataset: TrainingData, runDir: string, tag: string): Promise<number> {
  try {
    checkBackendFits(backend, {
      config,
      inputShape: [dataset.height, dataset.width, dataset.channels],
      numClasses: dataset.classNames.length,
    });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const classes = classesFileOf(config, dataset);
  const network = buildNetwork(config, dataset);
  try {
    const { manifest, tensors } = readCheckpoint(runDir, tag);
    assignVariables(networkVariables(network), tensors);
    const ev = await evaluate(network, dataset.test, geometryOf(dataset), {
      tag,
      epoch: manifest.epoch,
      assignment: classes.groups.assignment,
      batchSize: config.eval.batchSize,
      checkpoint: tag,
    });
    writeEvalFile(runDir, ev);
    const metrics = new MetricsWriter(runPaths(runDir).metrics);
    try {
      metrics.append(evalRecordOf(ev));
    } finally {
      metrics.close();
    }
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    log(
      `eval ${tag} (epoch ${manifest.epoch}): top-1 ${pct(ev.top1)}, top-5 ${pct(ev.top5)}, many ${pct(ev.groupAccuracy.many)}, medium ${pct(ev.groupAccuracy.medium)}, few ${pct(ev.groupAccuracy.few)} -> evals/${tag}.json`,
    );
    return 0;
  } finally {
    network.dispose();
  }
}

async function runCommandRun(runDir: string | undefined): Promise<number> {
  if (!runDir) {
    log('usage: trainer command <runDir>');
    return 2;
  }
  const dir = path.resolve(runDir);
  let manifest;
  try {
    manifest = readRunManifest(dir);
  } catch (err) {
    log(`error: ${(err as Error).message}`);
    return 2;
  }
  const command = commandTrainerOf(manifest);
  if (!command) {
    log(`error: ${dir}: its config has no trainer.kind "command"`);
    return 2;
  }
  return runCommandToEnd({ dir, id: manifest.id }, command, (line) => log(line));
}

async function main(argv: string[]): Promise<number> {
  // verify-loss has its own arguments (src/trainer/verifyLoss.ts, the GPaCo issue).
  if (argv[0] === 'verify-loss') return runVerifyLoss(argv.slice(1));
  // A command run inside a Slurm job (core/slurm/batchScript): the command, not the trainer.
  if (argv[0] === 'command') return runCommandRun(argv[1]);
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    log(e instanceof Error ? e.message : String(e));
    return 2;
  }
  switch (args.command) {
    case 'run':
      return runCommand(args);
    case 'eval':
      try {
        return await evalCommand(args);
      } catch (e) {
        log(`error: ${explain(e, null)}`);
        return e instanceof UsageError || e instanceof DataError ? 2 : 1;
      }
    default:
      log(`unknown command "${args.command}"; ${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
