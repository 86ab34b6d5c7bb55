// GPU failures end a run instead of turning into wrong numbers (webgpuGuard.ts). Once the guard
// has seen a failure every later read throws, so this file runs in its own process and the
// failure comes last; device loss has a file of its own (webgpuDeviceLost.test.ts).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { releaseWebgpu, webgpuGuard } from '../../../src/trainer/backends/webgpu';
import { GpuFailureError } from '../../../src/trainer/backends/webgpuGuard';
import { requireWebgpu } from './webgpuTestEnv';

after(() => releaseWebgpu());

test('a synchronous read of a GPU tensor fails with a clear message (not a browser API error)', async (t) => {
  if (!(await requireWebgpu(t))) return;
  // Large enough that tfjs computes it on the GPU (tiny CPU-resident inputs stay on the CPU).
  const x = tf.add(tf.range(0, 4096), 1);
  assert.throws(
    () => x.dataSync(),
    /synchronous read \(dataSync \/ arraySync\) of a tensor held on the GPU is not possible with WebGPU in Node/,
  );
  // Host-resident values still read synchronously, and the async read works.
  assert.deepEqual(Array.from(tf.tensor1d([1, 2]).dataSync()), [1, 2]);
  const values = await x.data();
  assert.deepEqual([values[0], values[4095], values.length], [1, 4096, 4096]);
  assert.equal(webgpuGuard()!.failed, null);
  x.dispose();
});

test('a GPU validation error (a tensor over the binding limit) fails every later read: no stale numbers', async (t) => {
  const b = await requireWebgpu(t);
  if (!b) return;
  const limit = b.gpuLimits!.maxStorageBufferBindingSize;
  const small = tf.tensor1d([1, 2, 3]);
  const doubled = tf.mul(small, 2);
  if (limit <= 256 * 2 ** 20) {
    // What tfjs does silently without the guard: bind a buffer larger than the device allows.
    const n = limit / 4 + 1024;
    const big = tf.add(tf.fill([n], 1), 1);
    await assert.rejects(tf.sum(big).data(), (e: unknown) => {
      assert.ok(e instanceof GpuFailureError, String(e));
      assert.match(e.message, /^WebGPU validation error: Binding size \(\d+\) .* is larger than the maximum storage buffer binding size/);
      assert.match(e.message, /Lower optim\.batchSize \/ eval\.batchSize .* The run was stopped so that no wrong numbers are recorded\.$/);
      return true;
    });
    big.dispose();
  } else {
    // A device with a large binding limit: an invalid call of the device itself.
    (tf.backend() as unknown as { device: { createBuffer(d: { size: number; usage: number }): unknown } }).device.createBuffer({
      size: 4,
      usage: 0,
    });
    await assert.rejects(tf.sum(doubled).data(), /^GpuFailureError|WebGPU validation error/);
  }
  // Everything computed since is untrusted: even a small, correct-looking result is refused.
  await assert.rejects(doubled.data(), GpuFailureError);
  assert.match(webgpuGuard()!.failed!, /WebGPU validation error/);
  tf.dispose([small, doubled]);
});
