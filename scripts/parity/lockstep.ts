// One parity run: GPaCo Lab's trainer and its PyTorch twin (scripts/parity_torch.py) trained in
// lockstep on the same recipe. Everything random comes from our side and is handed over: the
// initial weights (the session's variables), each epoch's data order and each step's augmented
// views (the loop's own Rng streams and makeHostBatch, so the twin sees the very pixels our step
// sees), the labels, the learning rate of each epoch, the loss hyper-parameters and the log prior.
// The twin owns its BN statistics, momentum buffers and key queue, so those are compared, not copied.
import type { Config } from '../../src/core/config/schema';
import type { EvalFile } from '../../src/core/contract';
import { EvalAccumulator } from '../../src/core/evalMath';
import { Rng } from '../../src/core/random';
import type { Dataset } from '../../src/data/types';
import { epochOrder, evalValuesOf, imageBytes, makeHostBatch, stepsPerEpoch, uploadBatch, disposeBatch } from '../../src/trainer/batches';
import { evaluate } from '../../src/trainer/evaluate';
import { EPS_PRIOR } from '../../src/trainer/losses/hyper';
import { lossHyper, softmaxHyper } from '../../src/trainer/losses/parametricContrastive';
import { learningRate } from '../../src/trainer/schedule';
import { TrainingSession } from '../../src/trainer/session';
import { StepRunner } from '../../src/trainer/step';
import { TWIN_PYTHON, TwinProcess } from './twinProcess';

export type ParityMethod = 'ce' | 'balanced-softmax' | 'gpaco';
export const PARITY_METHODS: readonly ParityMethod[] = ['ce', 'balanced-softmax', 'gpaco'];

export interface GroupScores {
  top1: number;
  many: number;
  medium: number;
  few: number;
}

export interface ParityEpoch {
  epoch: number;
  lr: number;
  ours: number;
  torch: number;
}

export interface ParityResult {
  method: ParityMethod;
  /** Per step: both sides' loss (the first `keepSteps` steps). */
  steps: { ours: number; torch: number }[];
  epochs: ParityEpoch[];
  /** Final evaluation (null when the run stopped after `maxSteps`). */
  final: { ours: GroupScores; torch: GroupScores } | null;
  torchVersion: string;
}

export interface ParityOptions {
  /** Stop after this many steps in total (the short check); default: all epochs. */
  maxSteps?: number;
  /** How many leading steps to keep both losses of (default 50). */
  keepSteps?: number;
  /** The Python with torch (default: GPACO_PYTHON, else Debian's /usr/bin/python3). */
  python?: string;
  /** PyTorch intra-op threads (default 1: the machine is shared). */
  threads?: number;
  onEpoch?: (e: ParityEpoch) => void;
}

function scoresOf(ev: EvalFile): GroupScores {
  return { top1: ev.top1, many: ev.groupAccuracy.many, medium: ev.groupAccuracy.medium, few: ev.groupAccuracy.few };
}

/** The twin's view of the recipe: what our session was built with. */
function initMessage(config: Config, session: TrainingSession, threads: number): Record<string, unknown> {
  const kind = config.loss.kind;
  if (kind !== 'ce' && kind !== 'balanced-softmax' && kind !== 'gpaco')
    throw new Error(`parity: loss.kind "${kind}" has no PyTorch twin (ce, balanced-softmax, gpaco)`);
  if (config.model.arch !== 'convnet') throw new Error(`parity: model.arch "${config.model.arch}" has no PyTorch twin (convnet)`);
  // Our side steps on this thread with the whole batch, so BN normalises the whole batch, as
  // PyTorch's does; shards (ghost BN, docs/architecture.md) have no twin.
  const shards = config.optim.shards;
  if (shards !== undefined && shards > 1)
    throw new Error(`parity: optim.shards ${shards}: the PyTorch twin normalises the whole batch; set optim.shards=1`);
  const hp = kind === 'gpaco' ? lossHyper(config.loss) : softmaxHyper(config.loss, kind === 'balanced-softmax');
  const counts = session.classes.trainCounts;
  const total = counts.reduce((s, n) => s + n, 0);
  return {
    op: 'init',
    arch: 'convnet',
    width: config.model.width,
    inputShape: [session.geo.height, session.geo.width, session.geo.channels],
    classes: session.network.numClasses,
    method: kind,
    hp,
    logPrior: counts.map((n) => Math.log(n / total + EPS_PRIOR)),
    queueSize: config.loss.queueSize,
    projectionDim: config.model.projectionDim,
    views: session.method.views,
    momentum: config.optim.momentum,
    weightDecay: config.optim.weightDecay,
    threads,
  };
}

/** Our side's initial variables (network and method: weights and BN statistics), float32. */
async function initialTensors(session: TrainingSession): Promise<{ specs: { name: string; shape: number[] }[]; values: Float32Array[] }> {
  const vars = session.namedVariables();
  const values = await Promise.all(vars.map((v) => v.variable.data()));
  return {
    specs: vars.map((v) => ({ name: v.name, shape: [...v.variable.shape] })),
    values: values.map((v, i) => {
      if (!(v instanceof Float32Array)) throw new Error(`parity: ${vars[i]!.name} is not float32`);
      return v;
    }),
  };
}

async function twinEvaluate(
  twin: TwinProcess,
  dataset: Dataset,
  session: TrainingSession,
  batch: number,
  epoch: number,
): Promise<EvalFile> {
  const set = dataset.test;
  const C = session.network.numClasses;
  const acc = new EvalAccumulator(C);
  for (let start = 0; start < set.count; start += batch) {
    const n = Math.min(batch, set.count - start);
    twin.send({ op: 'eval', n }, [evalValuesOf(imageBytes(set, session.geo, start, n))]);
    await twin.reply();
    acc.add(set.labels.subarray(start, start + n), await twin.floats(n * C));
  }
  return acc.toEvalFile({ tag: 'torch', epoch, assignment: session.classes.groups.assignment });
}

/**
 * Trains `config` (loss ce / balanced-softmax / gpaco, model convnet) on `dataset` here and in the
 * twin, step by step; the tfjs backend must be selected already.
 */
export async function runParity(config: Config, dataset: Dataset, opts: ParityOptions = {}): Promise<ParityResult> {
  const threads = opts.threads ?? 1;
  const keep = opts.keepSteps ?? 50;
  const session = new TrainingSession(config, dataset);
  const twin = new TwinProcess(opts.python ?? TWIN_PYTHON, threads);
  try {
    const init = await initialTensors(session);
    twin.send({ ...initMessage(config, session, threads), tensors: init.specs }, init.values);
    const hello = await twin.reply();
    const o = config.optim;
    const runner = new StepRunner(session.method, session.trainables, session.optimizer, o.microBatchSize);
    // The loop's streams (loop.ts): the same seeds give the same order and views as a real run.
    const shuffleRng = Rng.derive(config.seed, 'shuffle');
    const augmentRng = Rng.derive(config.seed, 'augment');
    const viewOpts = { padding: config.augment.padding, flip: config.augment.flip, strongSecondView: config.augment.strongSecondView };
    const steps = stepsPerEpoch(dataset.train.count, o.batchSize);
    if (steps === 0) throw new Error(`parity: optim.batchSize ${o.batchSize} exceeds the ${dataset.train.count} training images`);
    const result: ParityResult = {
      method: config.loss.kind as ParityMethod,
      steps: [],
      epochs: [],
      final: null,
      torchVersion: String(hello.torch),
    };
    let done = 0;
    for (let e = 0; e < o.epochs; e++) {
      const lr = learningRate(o, e);
      const order = epochOrder(dataset.train.count, shuffleRng);
      let sumOurs = 0;
      let sumTorch = 0;
      let n = 0;
      for (let s = 0; s < steps && (opts.maxSteps === undefined || done < opts.maxSteps); s++) {
        const host = makeHostBatch(dataset.train, session.geo, order, s, o.batchSize, session.method.views, viewOpts, augmentRng);
        // The twin computes its step while ours runs.
        twin.send({ op: 'step', n: host.size, views: host.views.length, lr }, [...host.views, host.labels]);
        const batch = uploadBatch(host, session.geo, session.network.numClasses);
        let ours: number;
        try {
          const out = await runner.run(batch, lr);
          ours = (await out.loss.data())[0]!;
          out.loss.dispose();
          out.correct.dispose();
        } finally {
          disposeBatch(batch);
        }
        const theirs = Number((await twin.reply()).loss);
        if (result.steps.length < keep) result.steps.push({ ours, torch: theirs });
        sumOurs += ours;
        sumTorch += theirs;
        n++;
        done++;
      }
      if (n === 0) break;
      const rec = { epoch: e + 1, lr, ours: sumOurs / n, torch: sumTorch / n };
      result.epochs.push(rec);
      opts.onEpoch?.(rec);
    }
    if (opts.maxSteps === undefined) {
      const ours = await evaluate(session.network, dataset.test, session.geo, {
        tag: 'ours',
        epoch: o.epochs,
        assignment: session.classes.groups.assignment,
        batchSize: config.eval.batchSize,
      });
      const torch = await twinEvaluate(twin, dataset, session, config.eval.batchSize, o.epochs);
      result.final = { ours: scoresOf(ours), torch: scoresOf(torch) };
    }
    return result;
  } finally {
    await twin.close();
    session.dispose();
  }
}
