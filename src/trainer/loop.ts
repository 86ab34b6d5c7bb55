// The training loop: epochs of SGD steps over shuffled, augmented batches; step / epoch / eval /
// checkpoint records; a checkpoint at every epoch end (the retention policy keeps the latest,
// the `checkpoint.every` grid and the best) and on stop; exact resume from any checkpoint.
//
// Order at an epoch end, chosen so a kill at any point leaves no gap and no repeat in the epoch
// numbering: evals/<tag>.json -> checkpoint folder (its manifest carries the epoch's records)
// -> records appended to metrics.jsonl -> index.json -> run.json progress. A resume re-appends
// the records of its checkpoint that a kill lost.
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../core/config/schema';
import { type EpochRecord, type MetricRecord, epochTag } from '../core/contract';
import { evalRecordOf } from '../core/evalMath';
import { type MetricsWriter, readAllMetrics } from '../core/metricsLog';
import { Rng } from '../core/random';
import { runPaths, updateRunManifest, writeEvalFile } from '../core/runDirectory';
import { disposeBatch, epochOrder, stepsPerEpoch, uploadBatch } from './batches';
import {
  type CheckpointManifest,
  type HostTensor,
  type RetentionPolicy,
  checkpointTag,
  indexEntryOf,
  readCheckpoint,
  recordCheckpoint,
  writeCheckpoint,
} from './checkpoint';
import { evaluate } from './evaluate';
import { BatchFeed } from './feed';
import { log } from './log';
import { learningRate } from './schedule';
import type { WorkerPool } from './parallel/pool';
import type { ShardedStepRunner } from './parallel/shardedStep';
import type { TrainingSession } from './session';
import { type StepResult, StepRunner } from './step';

/** A run whose steps are split over shards (worker threads or ghost batch norm on this thread). */
export interface ShardedTraining {
  shards: number;
  runner: ShardedStepRunner;
  /** The worker threads (evaluation is split over them too); null = shards run on this thread. */
  pool: WorkerPool | null;
}

export interface LoopHooks {
  /** Polled after every step: true = finish this step, checkpoint, stop. */
  stopRequested(): boolean;
  /** Test hook: behave as if a stop was requested after this many steps in total. */
  stopAfterSteps?: number;
}

export type LoopResult = { kind: 'completed' } | { kind: 'stopped'; tag: string };

/** ~10 step records per epoch keep metrics.jsonl small. */
function stepRecordInterval(steps: number): number {
  return Math.max(1, Math.round(steps / 10));
}

const PROGRESS_INTERVAL_MS = 3000;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class TrainingLoop {
  private readonly config: Config;
  private shuffleRng: Rng;
  private augmentRng: Rng;
  /** Completed epochs. */
  private epoch = 0;
  /** Optimizer steps done. */
  private step = 0;
  private resumeFrom: {
    stepInEpoch: number;
    order: Int32Array;
    partial: NonNullable<CheckpointManifest['trainer']['partialEpoch']>;
  } | null = null;
  private readonly steps: number;
  private readonly policy: RetentionPolicy;
  private readonly runner: StepRunner;

  constructor(
    private readonly session: TrainingSession,
    private readonly runDir: string,
    private readonly metrics: MetricsWriter,
    private readonly sharded: ShardedTraining | null = null,
  ) {
    this.config = session.config;
    this.shuffleRng = Rng.derive(this.config.seed, 'shuffle');
    this.augmentRng = Rng.derive(this.config.seed, 'augment');
    const o = this.config.optim;
    this.steps = stepsPerEpoch(session.dataset.train.count, o.batchSize);
    if (this.steps === 0) {
      throw new Error(
        `optim.batchSize ${o.batchSize} is larger than the training set (${session.dataset.train.count} images): no full batch to train on`,
      );
    }
    this.runner = new StepRunner(session.method, session.trainables, session.optimizer, o.microBatchSize);
    const c = this.config.checkpoint;
    this.policy = { every: c.every, keepLast: c.keepLast, keepBest: c.keepBest, epochs: o.epochs };
  }

  get stepsPerEpoch(): number {
    return this.steps;
  }

  get completedEpochs(): number {
    return this.epoch;
  }

  /** Loads a checkpoint into the session and positions the loop after it. */
  restore(tag: string): CheckpointManifest {
    const { manifest, tensors } = readCheckpoint(this.runDir, tag);
    this.session.applyTensors(tensors, manifest.method);
    this.epoch = manifest.epoch;
    this.step = manifest.step;
    this.shuffleRng = new Rng(manifest.trainer.rng.shuffle);
    this.augmentRng = new Rng(manifest.trainer.rng.augment);
    if (manifest.stepInEpoch > 0) {
      const order = tensors.get('trainer/order');
      if (!order || !manifest.trainer.partialEpoch) throw new Error(`checkpoint ${tag}: a mid-epoch checkpoint without its epoch order`);
      this.resumeFrom = { stepInEpoch: manifest.stepInEpoch, order: order.values as Int32Array, partial: manifest.trainer.partialEpoch };
    }
    this.replayLostRecords(manifest);
    return manifest;
  }

  /** Records of the checkpoint that a kill between the manifest and metrics.jsonl lost. */
  private replayLostRecords(m: CheckpointManifest): void {
    const existing = readAllMetrics(runPaths(this.runDir).metrics);
    const key = (r: MetricRecord) => `${r.kind}/${'epoch' in r ? r.epoch : ''}/${'tag' in r ? r.tag : ''}`;
    const have = new Set(existing.map(key));
    for (const r of m.records) if (!have.has(key(r))) this.metrics.append(r);
    recordCheckpoint(this.runDir, indexEntryOf(m, m.bytes), this.policy);
  }

  async run(hooks: LoopHooks): Promise<LoopResult> {
    const { config, session } = this;
    const o = config.optim;
    const train = session.dataset.train;
    const every = stepRecordInterval(this.steps);
    const viewOpts = { padding: config.augment.padding, flip: config.augment.flip, strongSecondView: config.augment.strongSecondView };
    const feed = new BatchFeed(train, session.geo, o.batchSize, session.method.views, viewOpts);
    let lastProgress = performance.now();
    const shouldStop = () => hooks.stopRequested() || (hooks.stopAfterSteps !== undefined && this.step >= hooks.stopAfterSteps);

    while (this.epoch < o.epochs) {
      const e = this.epoch; // 0-based index of the epoch being trained; records say e + 1
      const lr = learningRate(o, e);
      const resume = this.resumeFrom;
      this.resumeFrom = null;
      const order = resume?.order ?? epochOrder(train.count, this.shuffleRng);
      const sums = resume ? { ...resume.partial } : { lossSum: 0, lossCount: 0, correct: 0, seen: 0, seconds: 0 };
      let window: { loss: tf.Scalar; correct: tf.Scalar; n: number } | null = null;
      const t0 = performance.now();

      const flushWindow = async () => {
        if (!window) return 0;
        const [loss, correct] = await Promise.all([window.loss.data(), window.correct.data()]);
        const meanLoss = loss[0]! / window.n;
        sums.lossSum += loss[0]!;
        sums.lossCount += window.n;
        sums.correct += correct[0]!;
        window.loss.dispose();
        window.correct.dispose();
        window = null;
        return meanLoss;
      };

      for (let s = resume?.stepInEpoch ?? 0; s < this.steps; s++) {
        const host = await feed.next(order, s, this.augmentRng);
        let out: StepResult;
        if (this.sharded) {
          out = await this.sharded.runner.run(host, lr);
        } else {
          const batch = uploadBatch(host, session.geo, session.network.numClasses);
          try {
            out = await this.runner.run(batch, lr);
          } finally {
            disposeBatch(batch);
          }
        }
        this.step++;
        sums.seen += o.batchSize;
        if (window) {
          const w: { loss: tf.Scalar; correct: tf.Scalar; n: number } = window;
          window = { loss: tf.add(w.loss, out.loss), correct: tf.add(w.correct, out.correct), n: w.n + 1 };
          w.loss.dispose();
          w.correct.dispose();
          out.loss.dispose();
          out.correct.dispose();
        } else {
          window = { loss: out.loss, correct: out.correct, n: 1 };
        }
        const last = s === this.steps - 1;
        if ((s + 1) % every === 0 && !last) {
          const meanLoss = await flushWindow();
          if (!Number.isFinite(meanLoss))
            throw new Error(`the loss became ${meanLoss} at epoch ${e + 1}, step ${this.step}: lower optim.lr`);
          this.metrics.append({ kind: 'step', epoch: e + 1, step: this.step, loss: meanLoss, lr, time: new Date().toISOString() });
          // run.json is rewritten (with fsync) at most every few seconds: viewers poll it cheaply.
          if (performance.now() - lastProgress > PROGRESS_INTERVAL_MS) {
            lastProgress = performance.now();
            updateRunManifest(this.runDir, { progress: { epoch: this.epoch, epochs: o.epochs, step: s + 1, stepsPerEpoch: this.steps } });
          }
        }
        await yieldToEventLoop();
        if (shouldStop() && !last) {
          feed.clear();
          await flushWindow();
          sums.seconds += (performance.now() - t0) / 1000;
          const tag = await this.saveCheckpoint(s + 1, order, sums, [], null);
          log(`stopped at epoch ${e + 1}, step ${s + 1}/${this.steps}; checkpoint ${tag}`);
          return { kind: 'stopped', tag };
        }
      }
      await flushWindow();
      sums.seconds += (performance.now() - t0) / 1000;
      this.epoch++;
      const accuracy = sums.seen ? sums.correct / sums.seen : 0;
      const imagesPerSecond = sums.seconds > 0 ? sums.seen / sums.seconds : 0;
      const epochRecord: EpochRecord = {
        kind: 'epoch',
        epoch: this.epoch,
        loss: sums.lossCount ? sums.lossSum / sums.lossCount : 0,
        accuracy,
        lr,
        seconds: sums.seconds,
        imagesPerSecond,
        time: new Date().toISOString(),
      };
      if (!Number.isFinite(epochRecord.loss)) throw new Error(`the loss became ${epochRecord.loss} in epoch ${this.epoch}: lower optim.lr`);
      log(
        `epoch ${this.epoch}/${o.epochs}  loss ${epochRecord.loss.toFixed(4)}  train acc ${(accuracy * 100).toFixed(1)}%  lr ${lr.toPrecision(3)}  ` +
          `${sums.seconds.toFixed(1)} s  ${imagesPerSecond.toFixed(0)} img/s`,
      );
      const records: MetricRecord[] = [epochRecord];
      let evalSummary: CheckpointManifest['eval'] = null;
      if (this.epoch % config.eval.every === 0 || this.epoch === o.epochs) {
        const tag = epochTag(this.epoch);
        const ev = await evaluate(
          session.network,
          session.dataset.test,
          session.geo,
          {
            tag,
            epoch: this.epoch,
            assignment: session.classes.groups.assignment,
            batchSize: config.eval.batchSize,
            checkpoint: tag,
          },
          this.sharded?.pool,
        );
        writeEvalFile(this.runDir, ev);
        records.push(evalRecordOf(ev));
        evalSummary = { top1: ev.top1, many: ev.groupAccuracy.many, medium: ev.groupAccuracy.medium, few: ev.groupAccuracy.few };
        const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
        log(
          `eval ${tag}  top-1 ${pct(ev.top1)}  top-5 ${pct(ev.top5)}  many ${pct(ev.groupAccuracy.many)}  medium ${pct(ev.groupAccuracy.medium)}  few ${pct(ev.groupAccuracy.few)}`,
        );
      }
      await this.saveCheckpoint(0, null, null, records, evalSummary);
      updateRunManifest(this.runDir, { progress: { epoch: this.epoch, epochs: o.epochs, step: 0, stepsPerEpoch: this.steps } });
      if (shouldStop() && this.epoch < o.epochs) {
        const tag = epochTag(this.epoch);
        log(`stopped after epoch ${this.epoch}; checkpoint ${tag}`);
        return { kind: 'stopped', tag };
      }
    }
    return { kind: 'completed' };
  }

  /** Writes a checkpoint (stepInEpoch 0 = at an epoch end) and updates the index; returns its tag. */
  private async saveCheckpoint(
    stepInEpoch: number,
    order: Int32Array | null,
    partial: NonNullable<CheckpointManifest['trainer']['partialEpoch']> | null,
    epochRecords: MetricRecord[],
    evalSummary: CheckpointManifest['eval'],
  ): Promise<string> {
    const tag = checkpointTag(this.epoch, this.step, stepInEpoch);
    const time = new Date().toISOString();
    const records: MetricRecord[] = [...epochRecords, { kind: 'checkpoint', epoch: this.epoch, tag, time }];
    const tensors: Map<string, HostTensor> = await this.session.collectTensors();
    if (order) tensors.set('trainer/order', { dtype: 'int32', shape: [order.length], values: order });
    const methodState = this.session.method.saveState();
    const manifest = {
      tag,
      epoch: this.epoch,
      step: this.step,
      stepInEpoch,
      time,
      arch: this.session.network.arch,
      backend: tf.getBackend(),
      trainer: {
        rng: { shuffle: this.shuffleRng.state(), augment: this.augmentRng.state() },
        partialEpoch: partial,
        shards: this.sharded?.shards ?? 1,
      },
      method: methodState.json,
      records,
      eval: evalSummary,
    };
    const bytes = writeCheckpoint(this.runDir, manifest, tensors);
    for (const r of records) this.metrics.append(r);
    recordCheckpoint(
      this.runDir,
      indexEntryOf({ ...manifest, schema: 'gpaco-checkpoint/1', weightsFile: '', bytes, tensors: [] }, bytes),
      this.policy,
    );
    return tag;
  }
}
