// A lost GPU device (driver reset, GPU removed) ends the run with that message: reads fail
// instead of returning what the buffers happened to hold. Own process: the device is destroyed.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { releaseWebgpu } from '../../../src/trainer/backends/webgpu';
import { GpuFailureError } from '../../../src/trainer/backends/webgpuGuard';
import { requireWebgpu } from './webgpuTestEnv';

after(() => releaseWebgpu());

test('device loss fails every later read with the reason', async (t) => {
  if (!(await requireWebgpu(t))) return;
  const x = tf.add(tf.range(0, 16), 1);
  assert.equal((await tf.sum(x).data())[0], 136);
  (tf.backend() as unknown as { device: { destroy(): void } }).device.destroy();
  const y = tf.mul(x, 2);
  await assert.rejects(y.data(), (e: unknown) => {
    assert.ok(e instanceof GpuFailureError, String(e));
    assert.match(e.message, /^the GPU device was lost \(destroyed\)/);
    assert.match(e.message, /resume the run from its last checkpoint/);
    return true;
  });
});
