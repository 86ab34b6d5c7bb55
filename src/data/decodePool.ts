// A pool of worker threads that read, decode and resize image files (docs/architecture.md, Data
// loading). A batch's files are cut into small jobs that the workers take in order, each writing
// straight into the batch's shared buffer, so batches asked for ahead of time (the prefetch
// queue) are decoded in parallel and in order. A worker that dies or crashes fails every batch in
// flight with a DecodeWorkerFailure naming it; dispose() ends every thread it started.
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerScript } from '../core/workerScript';
import type { DecodeDone, DecodeJob, DecodeWorkerInit } from './decodeProtocol';

/** A decode worker thread died or crashed: the images it was decoding are lost. */
export class DecodeWorkerFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeWorkerFailure';
  }
}

export interface DecodedImages {
  /** size x size x channels uint8 per image, in the order asked; failed images are left zero. */
  images: Uint8Array;
  failed: { k: number; reason: string }[];
}

export interface DecodePoolOptions {
  workers: number;
  /** Test hook (GPACO_TEST_DECODE_WORKER_EXIT = "worker:job", 1-based): that worker exits at that job. */
  exitAt?: { worker: number; job: number };
}

/** Images per job, at least: small enough to spread a batch over the workers, big enough to keep messages rare. */
const JOB_IMAGES = 4;
/** Jobs per worker a batch is cut into, at most (larger batches get larger jobs: fewer messages for small images). */
const JOBS_PER_WORKER = 4;
/**
 * Jobs each worker holds at once: enough for the whole prefetch queue (a few batches of
 * JOBS_PER_WORKER jobs), because the trainer's thread, busy with a step, hands out no job until
 * the step ends; least-loaded assignment still balances threads of different speeds.
 */
const IN_FLIGHT = 16;

/** data.decodeWorkers when a config leaves it out: one per core less one (the step's), 1 to 4. */
export function defaultDecodeWorkers(cores = os.availableParallelism?.() ?? os.cpus().length): number {
  return Math.max(1, Math.min(4, cores - 1));
}

interface Batch {
  images: Uint8Array;
  failed: { k: number; reason: string }[];
  pending: number;
  resolve: (d: DecodedImages) => void;
  reject: (e: Error) => void;
}

interface Job {
  batch: Batch;
  first: number;
  message: DecodeJob;
}

interface Slot {
  worker: Worker;
  busy: Map<number, Job>;
  exited: boolean;
}

export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private failure: DecodeWorkerFailure | null = null;
  private disposed = false;

  constructor(o: DecodePoolOptions) {
    if (!(Number.isInteger(o.workers) && o.workers >= 1)) throw new RangeError(`decode workers: ${o.workers} is not a positive integer`);
    const script = workerScript(__dirname, 'decode-worker.js', 'decodeWorkerEntry.ts');
    for (let index = 0; index < o.workers; index++) {
      const init: DecodeWorkerInit = { index, ...(o.exitAt?.worker === index + 1 ? { exitAtJob: o.exitAt.job } : {}) };
      const worker = new Worker(script.file, { eval: script.eval, workerData: init, stdout: false, stderr: false });
      const slot: Slot = { worker, busy: new Map(), exited: false };
      const name = `decode worker thread ${index + 1} of ${o.workers}`;
      worker.on('message', (m: DecodeDone) => this.done(slot, m));
      worker.on('error', (e) => this.fail(`${name} crashed: ${e.message}`));
      worker.on('exit', (code) => {
        slot.exited = true;
        if (!this.disposed) this.fail(`${name} died while decoding images (exit code ${code})`);
      });
      this.slots.push(slot);
    }
  }

  get workers(): number {
    return this.slots.length;
  }

  /** Threads started and not yet exited (0 once dispose() has resolved). */
  get live(): number {
    return this.slots.filter((s) => !s.exited).length;
  }

  /**
   * Decodes `files` (absolute paths) to size x size x channels each, in the order given, into
   * `into` when given (a buffer the caller reuses, so a long build allocates nothing per batch).
   */
  decode(files: readonly string[], size: number, channels: 1 | 3, into?: SharedArrayBuffer): Promise<DecodedImages> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.disposed) return Promise.reject(new DecodeWorkerFailure('the decode worker threads were already stopped'));
    const bytes = size * size * channels;
    if (into && into.byteLength < files.length * bytes)
      throw new RangeError(`decode: the buffer holds ${into.byteLength} bytes, need ${files.length * bytes}`);
    const out = into ?? new SharedArrayBuffer(Math.max(1, files.length * bytes));
    const per = Math.max(JOB_IMAGES, Math.ceil(files.length / (this.slots.length * JOBS_PER_WORKER)));
    return new Promise((resolve, reject) => {
      const batch: Batch = { images: new Uint8Array(out, 0, files.length * bytes), failed: [], pending: 0, resolve, reject };
      for (let first = 0; first < files.length; first += per) {
        const part = files.slice(first, first + per);
        batch.pending++;
        this.queue.push({
          batch,
          first,
          message: { kind: 'decode', id: ++this.nextId, files: part, size, channels, out, offset: first * bytes },
        });
      }
      if (batch.pending === 0) resolve({ images: batch.images, failed: [] });
      this.pump();
    });
  }

  /** Hands queued jobs to workers with room, least loaded first. */
  private pump(): void {
    while (this.queue.length > 0 && !this.failure) {
      const slot = this.slots.filter((s) => !s.exited && s.busy.size < IN_FLIGHT).sort((a, b) => a.busy.size - b.busy.size)[0];
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.busy.set(job.message.id, job);
      slot.worker.postMessage(job.message);
    }
  }

  private done(slot: Slot, m: DecodeDone): void {
    const job = slot.busy.get(m.id);
    if (!job) return;
    slot.busy.delete(m.id);
    const b = job.batch;
    for (const f of m.failed) b.failed.push({ k: job.first + f.k, reason: f.reason });
    if (--b.pending === 0) {
      b.failed.sort((x, y) => x.k - y.k);
      b.resolve({ images: b.images, failed: b.failed });
    }
    this.pump();
  }

  private fail(message: string): void {
    if (this.failure || this.disposed) return;
    this.failure = new DecodeWorkerFailure(message);
    const batches = new Set<Batch>();
    for (const s of this.slots) for (const j of s.busy.values()) batches.add(j.batch);
    for (const j of this.queue.splice(0)) batches.add(j.batch);
    for (const b of batches) b.reject(this.failure);
  }

  /** Ends every worker thread and waits until each has exited; batches in flight are rejected. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const stopped = new DecodeWorkerFailure('the decode worker threads were stopped');
    const batches = new Set<Batch>();
    for (const s of this.slots) for (const j of s.busy.values()) batches.add(j.batch);
    for (const j of this.queue.splice(0)) batches.add(j.batch);
    for (const b of batches) b.reject(stopped);
    await Promise.all(
      this.slots.map(async (s) => {
        if (!s.exited) await s.worker.terminate();
        s.exited = true;
      }),
    );
  }
}
