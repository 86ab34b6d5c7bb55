// SGD with momentum and weight decay against a hand computation of PyTorch's update rule:
// g = grad + wd*w; v = m*v + g; w = w - lr*v (v starts at 0). Buffers save and restore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ParameterStore } from '../../../src/trainer/nn/params';
import { SgdMomentum } from '../../../src/trainer/optim/sgd';

function close(a: ArrayLike<number>, b: number[], what: string): void {
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-6, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('two SGD steps match the hand computation', async () => {
  await tf.setBackend('cpu');
  const store = new ParameterStore();
  const w = store.addTrainable('w', tf.tensor1d([1, -2]));
  const named = store.entries();
  const opt = new SgdMomentum(named, { momentum: 0.9, weightDecay: 0.1 });
  // step 1: grad [0.5, 0.5]; g = [0.5 + 0.1, 0.5 - 0.2] = [0.6, 0.3]; v = g; w = w - 0.1 v
  opt.step(new Map([['w', tf.tensor1d([0.5, 0.5])]]), 0.1);
  close(w.dataSync(), [1 - 0.06, -2 - 0.03], 'w after 1');
  // step 2: grad [-1, 0]; w1 = [0.94, -2.03]; g = [-1 + 0.094, -0.203]; v = 0.9*[0.6,0.3] + g
  const g2 = [-1 + 0.094, -0.203];
  const v2 = [0.54 + g2[0]!, 0.27 + g2[1]!];
  opt.step(new Map([['w', tf.tensor1d([-1, 0])]]), 0.05);
  close(w.dataSync(), [0.94 - 0.05 * v2[0]!, -2.03 - 0.05 * v2[1]!], 'w after 2');
  close(opt.state().get('w')!.dataSync(), v2, 'momentum buffer');
  opt.dispose();
  store.dispose();
});

test('a parameter without a gradient is left alone; buffers restore exactly', async () => {
  await tf.setBackend('cpu');
  const store = new ParameterStore();
  const a = store.addTrainable('a', tf.tensor1d([1]));
  const b = store.addTrainable('b', tf.tensor1d([1]));
  const opt = new SgdMomentum(store.entries(), { momentum: 0.9, weightDecay: 0.5 });
  opt.step(new Map([['a', tf.tensor1d([1])]]), 1);
  close(a.dataSync(), [1 - 1.5], 'a');
  close(b.dataSync(), [1], 'b untouched (no decay without a gradient, as PyTorch)');
  const saved = new Map([...opt.state()].map(([k, v]) => [k, v.clone()]));
  const other = new SgdMomentum(store.entries(), { momentum: 0.9, weightDecay: 0.5 });
  other.restore(saved);
  close(other.state().get('a')!.dataSync(), [1.5], 'restored');
  assert.throws(() => other.restore(new Map([['a', tf.tensor1d([1])]])), /"b" missing/);
  assert.throws(
    () =>
      other.restore(
        new Map([
          ['a', tf.tensor1d([1, 2])],
          ['b', tf.tensor1d([1])],
        ]),
      ),
    /shape/,
  );
  assert.throws(() => new SgdMomentum([...store.entries(), ...store.entries()], { momentum: 0, weightDecay: 0 }), /twice/);
  opt.dispose();
  other.dispose();
  store.dispose();
});

test('SGD leaks no tensors per step', async () => {
  await tf.setBackend('cpu');
  const store = new ParameterStore();
  store.addTrainable('w', tf.ones([3, 3]));
  const opt = new SgdMomentum(store.entries(), { momentum: 0.9, weightDecay: 5e-4 });
  const g = tf.ones([3, 3]);
  opt.step(new Map([['w', g]]), 0.1);
  const n = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) opt.step(new Map([['w', g]]), 0.1);
  assert.equal(tf.memory().numTensors, n);
  opt.dispose();
  store.dispose();
});
