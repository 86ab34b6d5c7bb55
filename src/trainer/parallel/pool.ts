// The main thread's side of the worker threads: starts them (each loads its backend and builds a
// replica), hands each its contiguous group of shards per step, relays output gradients through
// shared memory, splits evaluation batches, and publishes new weights. A worker that dies or
// fails fails the step with a WorkerFailure naming it; dispose() ends every thread it started.
import { Worker } from 'node:worker_threads';
import { assignShards } from '../../core/parallel';
import { workerScript } from '../../core/workerScript';
import type { Config } from '../../core/config/schema';
import type { BackendId } from '../backends/types';
import type { NamedVariable } from '../nn/params';
import { CONTROL_GRADIENTS, type FromWorker, GRADIENTS_ABORT, GRADIENTS_READY, type ToWorker, type WorkerInit } from './protocol';
import type { ShardExecutor } from './shardedStep';
import { FlatVariables, type ShardData, type ShardForward, type ShardGradients } from './shardWork';

/** A worker thread died or reported an error: the step (or evaluation) cannot complete. */
export class WorkerFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerFailure';
  }
}

export interface PoolOptions {
  workers: number;
  shards: number;
  config: Config;
  inputShape: [number, number, number];
  numClasses: number;
  trainCounts: number[];
  backend: BackendId;
  /** Every variable of the main thread's network and method (trainable and state). */
  variables: readonly NamedVariable[];
  /** Widths of the method's shard outputs and which are differentiable (ShardedLoss). */
  widths: readonly number[];
  differentiable: readonly boolean[];
  maxShardSize: number;
  /** Test hook (GPACO_TEST_WORKER_EXIT = "worker:step"): that worker exits at that step. */
  exitAt?: { worker: number; step: number };
}

type Waiter = { kind: FromWorker['kind']; resolve: (m: FromWorker) => void; reject: (e: Error) => void };

interface Slot {
  worker: Worker;
  control: Int32Array;
  exchange: Float32Array;
  shards: number[];
  inbox: FromWorker[];
  waiters: Waiter[];
  exited: boolean;
}

export class WorkerPool implements ShardExecutor {
  private readonly slots: Slot[] = [];
  private readonly all: FlatVariables;
  private readonly weights: Float32Array;
  private version = 0;
  private seq = 0;
  private failure: WorkerFailure | null = null;
  private disposed = false;
  private readonly diffWidths: number[];
  /** Step counter for messages (1-based, the steps this pool ran). */
  private stepCount = 0;
  readonly details: string[] = [];
  /** Each worker's wasm heap after the latest step (null: not wasm, or no step yet). */
  heaps: (number | null)[] = [];

  private constructor(private readonly o: PoolOptions) {
    const ordered = [...o.variables.filter((v) => v.trainable), ...o.variables.filter((v) => !v.trainable)];
    this.all = new FlatVariables(ordered);
    this.weights = new Float32Array(new SharedArrayBuffer(this.all.total * 4));
    this.all.read(this.weights);
    this.diffWidths = o.widths.filter((_, i) => o.differentiable[i]);
  }

  /** Starts the workers and waits until every one has its backend and replica. */
  static async start(o: PoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(o);
    try {
      await pool.spawn();
    } catch (e) {
      await pool.dispose();
      throw e;
    }
    return pool;
  }

  get workers(): number {
    return this.slots.length;
  }

  private async spawn(): Promise<void> {
    const o = this.o;
    const script = workerScript(__dirname, 'trainer-worker.js', 'workerEntry.ts');
    const groups = assignShards(o.shards, o.workers);
    const names = this.all.vars.map((v) => v.name);
    const perImage = this.diffWidths.reduce((a, b) => a + b, 0);
    groups.forEach((shards, index) => {
      const control = new SharedArrayBuffer(4 * 4);
      const exchange = new SharedArrayBuffer(Math.max(4, shards.length * o.maxShardSize * perImage * 4));
      const init: WorkerInit = {
        index,
        config: o.config,
        inputShape: o.inputShape,
        numClasses: o.numClasses,
        trainCounts: o.trainCounts,
        backend: o.backend,
        weights: this.weights.buffer as SharedArrayBuffer,
        names,
        control,
        exchange,
        ...(o.exitAt && o.exitAt.worker === index ? { exitAtStep: o.exitAt.step } : {}),
      };
      // The workers keep the process's stdout; they log nothing themselves.
      const worker = new Worker(script.file, { eval: script.eval, workerData: init, stdout: false, stderr: false });
      const slot: Slot = {
        worker,
        control: new Int32Array(control),
        exchange: new Float32Array(exchange),
        shards,
        inbox: [],
        waiters: [],
        exited: false,
      };
      worker.on('message', (m: FromWorker) => this.receive(slot, index, m));
      worker.on('error', (e) => this.fail(`worker thread ${index + 1} of ${groups.length} crashed${this.during()}: ${e.message}`));
      worker.on('exit', (code) => {
        slot.exited = true;
        if (!this.disposed) this.fail(`worker thread ${index + 1} of ${groups.length} died${this.during()} (exit code ${code})`);
      });
      this.slots.push(slot);
    });
    const ready = await Promise.all(this.slots.map((s) => this.next(s, 'ready')));
    for (const m of ready) if (m.kind === 'ready') this.details.push(m.detail);
  }

  private during(): string {
    return this.stepCount > 0 ? ` during step ${this.stepCount} of this process` : ' while starting';
  }

  private receive(slot: Slot, index: number, m: FromWorker): void {
    if (m.kind === 'failed') {
      this.fail(`worker thread ${index + 1} of ${this.slots.length} failed${this.during()}: ${m.message}`);
      return;
    }
    const w = slot.waiters[0];
    if (w && w.kind === m.kind) {
      slot.waiters.shift();
      w.resolve(m);
    } else slot.inbox.push(m);
  }

  private next(slot: Slot, kind: FromWorker['kind']): Promise<FromWorker> {
    if (this.failure) return Promise.reject(this.failure);
    const i = slot.inbox.findIndex((m) => m.kind === kind);
    if (i >= 0) return Promise.resolve(slot.inbox.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => slot.waiters.push({ kind, resolve, reject }));
  }

  /** Fails everything in flight and releases workers blocked on shared memory. */
  private fail(message: string): void {
    if (this.failure || this.disposed) return;
    this.failure = new WorkerFailure(message);
    for (const s of this.slots) {
      Atomics.store(s.control, CONTROL_GRADIENTS, GRADIENTS_ABORT);
      Atomics.notify(s.control, CONTROL_GRADIENTS);
      for (const w of s.waiters.splice(0)) w.reject(this.failure);
    }
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.disposed) throw new WorkerFailure('the worker threads were already stopped');
  }

  private send(slot: Slot, m: ToWorker, transfer: ArrayBuffer[] = []): void {
    slot.worker.postMessage(m, transfer);
  }

  async forward(shards: ShardData[]): Promise<ShardForward[]> {
    this.check();
    // The main thread's variables may have been set since the pool started (a resume).
    if (this.stepCount === 0) this.publish();
    this.stepCount++;
    const seq = ++this.seq;
    for (const s of this.slots) {
      // Copies: a view into the batch cannot be transferred without detaching the whole batch.
      const mine = s.shards.map((i) => ({ views: shards[i]!.views.map((v) => v.slice()), size: shards[i]!.size }));
      this.send(
        s,
        { kind: 'step', seq, version: this.version, shards: mine },
        mine.flatMap((x) => x.views.map((v) => v.buffer)),
      );
    }
    const replies = await Promise.all(this.slots.map((s) => this.next(s, 'forward')));
    return replies.flatMap((m) => (m.kind === 'forward' ? m.forwards : []));
  }

  async backward(dOuts: Float32Array[][]): Promise<ShardGradients[]> {
    this.check();
    for (const s of this.slots) {
      let off = 0;
      for (const i of s.shards) {
        for (const d of dOuts[i]!) {
          s.exchange.set(d, off);
          off += d.length;
        }
      }
      Atomics.store(s.control, CONTROL_GRADIENTS, GRADIENTS_READY);
      Atomics.notify(s.control, CONTROL_GRADIENTS);
    }
    const replies = await Promise.all(this.slots.map((s) => this.next(s, 'gradients')));
    this.heaps = replies.map((m) => (m.kind === 'gradients' ? m.heapBytes : null));
    return replies.flatMap((m) => (m.kind === 'gradients' ? m.grads : []));
  }

  publish(): void {
    this.all.read(this.weights);
    this.version++;
  }

  /**
   * Logits of evaluation batches (uint8 images, n each), split into contiguous groups, one per
   * worker; returned in the batches' order. Each batch is computed as one forward pass, as on one thread.
   */
  async evaluate(batches: { images: Uint8Array; n: number }[]): Promise<Float32Array[]> {
    this.check();
    this.publish();
    const seq = ++this.seq;
    const count = Math.min(this.slots.length, batches.length);
    const groups = assignShards(batches.length, count);
    const used = this.slots.slice(0, count);
    used.forEach((s, w) => {
      const mine = groups[w]!.map((i) => ({ images: batches[i]!.images.slice(), n: batches[i]!.n }));
      this.send(
        s,
        { kind: 'eval', seq, version: this.version, batches: mine },
        mine.map((b) => b.images.buffer),
      );
    });
    const replies = await Promise.all(used.map((s) => this.next(s, 'logits')));
    return replies.flatMap((m) => (m.kind === 'logits' ? m.logits : []));
  }

  /** Ends every worker thread and waits until each has exited. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.slots) {
      Atomics.store(s.control, CONTROL_GRADIENTS, GRADIENTS_ABORT);
      Atomics.notify(s.control, CONTROL_GRADIENTS);
      for (const w of s.waiters.splice(0)) w.reject(new WorkerFailure('the worker threads were stopped'));
    }
    await Promise.all(this.slots.map((s) => (s.exited ? Promise.resolve() : s.worker.terminate().then(() => undefined))));
  }
}
