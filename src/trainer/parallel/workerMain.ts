// A trainer worker thread: its own TensorFlow.js backend and a replica of the network and the
// method, whose weights it reloads from shared memory when the main thread has published new
// ones. It runs the forward and backward passes of its shards and the forward passes of its
// evaluation batches; the main thread owns everything else (docs/architecture.md).
import * as tf from '@tensorflow/tfjs';
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { selectBackend, wasmHeapBytes } from '../backends';
import { evalValuesOf } from '../batches';
import { buildModel, modelVariables } from '../session';
import { CONTROL_GRADIENTS, type FromWorker, GRADIENTS_ABORT, GRADIENTS_WAITING, type ToWorker, type WorkerInit } from './protocol';
import { FlatVariables, type ShardData, type ShardForward, type ShardGradients, ShardWork } from './shardWork';

function transferList(values: readonly (Float32Array | Uint8Array)[]): ArrayBuffer[] {
  return values.map((v) => v.buffer as ArrayBuffer);
}

async function start(port: MessagePort, init: WorkerInit): Promise<void> {
  const selected = await selectBackend(init.backend);
  const { network, method } = buildModel(init.config, { inputShape: init.inputShape, numClasses: init.numClasses }, init.trainCounts);
  const named = modelVariables(network, method);
  const ordered = [...named.filter((v) => v.trainable), ...named.filter((v) => !v.trainable)];
  const names = ordered.map((v) => v.name);
  if (names.join('\n') !== init.names.join('\n'))
    throw new Error('the worker replica has other variables than the main thread (a build mismatch)');
  const all = new FlatVariables(ordered);
  const shared = new Float32Array(init.weights);
  const state = ordered.filter((v) => !v.trainable);
  const stateOffset = all.offsets[ordered.length - state.length] ?? all.total;
  const stateStart = () => shared.subarray(stateOffset, all.total);
  const work = new ShardWork(
    method.sharded,
    ordered.filter((v) => v.trainable),
    state,
    init.inputShape,
    () => work.state.write(stateStart().slice()),
  );
  const control = new Int32Array(init.control);
  const exchange = new Float32Array(init.exchange);
  const widths = method.sharded.widths;
  const diff = method.sharded.differentiable.flatMap((d, i) => (d ? [i] : []));
  let loaded = -1;
  let steps = 0;

  const load = (version: number) => {
    if (version === loaded) return;
    all.write(shared);
    loaded = version;
  };
  const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

  /** Blocks until the main thread has written this worker's output gradients; copies them out. */
  const waitGradients = (shards: readonly ShardData[]): Float32Array[][] => {
    for (;;) {
      Atomics.wait(control, CONTROL_GRADIENTS, GRADIENTS_WAITING);
      const flag = Atomics.load(control, CONTROL_GRADIENTS);
      if (flag === GRADIENTS_ABORT) throw new Error('step aborted by the main thread');
      if (flag !== GRADIENTS_WAITING) break;
    }
    Atomics.store(control, CONTROL_GRADIENTS, GRADIENTS_WAITING);
    let off = 0;
    return shards.map((s) =>
      diff.map((j) => {
        const n = s.size * widths[j]!;
        const d = exchange.slice(off, off + n);
        off += n;
        return d;
      }),
    );
  };

  const step = (m: Extract<ToWorker, { kind: 'step' }>) => {
    steps++;
    if (init.exitAtStep !== undefined && steps === init.exitAtStep) process.exit(70);
    load(m.version);
    let grads: ShardGradients[];
    const sendForward = (forwards: ShardForward[]) =>
      post({ kind: 'forward', seq: m.seq, forwards }, transferList(forwards.flatMap((f) => [...f.outputs, f.state])));
    if (m.shards.length === 1) {
      // One taped pass: the tape stays alive while the main thread computes the loss.
      grads = [
        work.forwardBackward(m.shards[0]!, (f) => {
          sendForward([f]);
          return waitGradients(m.shards)[0]!;
        }),
      ];
    } else {
      sendForward(m.shards.map((s) => work.forward(s)));
      const d = waitGradients(m.shards);
      grads = m.shards.map((s, i) => work.backward(s, d[i]!));
    }
    post({ kind: 'gradients', seq: m.seq, grads, heapBytes: wasmHeapBytes() }, transferList(grads.flatMap((g) => [g.values, g.present])));
  };

  const evaluate = (m: Extract<ToWorker, { kind: 'eval' }>) => {
    load(m.version);
    const [h, w, c] = init.inputShape;
    const logits = m.batches.map((b) => {
      const out = tf.tidy(() => network.forward(tf.tensor4d(evalValuesOf(b.images), [b.n, h, w, c]), false).logits);
      try {
        return Float32Array.from(out.dataSync() as Float32Array);
      } finally {
        out.dispose();
      }
    });
    post({ kind: 'logits', seq: m.seq, logits }, transferList(logits));
  };

  port.on('message', (m: ToWorker) => {
    try {
      switch (m.kind) {
        case 'step':
          return step(m);
        case 'eval':
          return evaluate(m);
        default: {
          const never: never = m;
          throw new Error(`unknown message ${String((never as { kind?: unknown }).kind)}`);
        }
      }
    } catch (e) {
      post({ kind: 'failed', message: e instanceof Error ? e.message : String(e) });
    }
  });
  post({ kind: 'ready', detail: selected.detail });
}

export function runWorker(): void {
  const port = parentPort;
  if (!port) throw new Error('runWorker: not in a worker thread');
  start(port, workerData as WorkerInit).catch((e: unknown) => {
    port.postMessage({
      kind: 'failed',
      message: `worker ${(workerData as WorkerInit).index} could not start: ${e instanceof Error ? e.message : String(e)}`,
    } satisfies FromWorker);
  });
}
