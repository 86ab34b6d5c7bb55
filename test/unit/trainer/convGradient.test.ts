// The Conv2D gradient override (dW and dx as forward convolutions) against tfjs's stock
// gradient on the cpu backend, over strides 1-3, kernels 1-5 and same / valid / numeric /
// explicit padding; then the registered override on wasm (which has no stock dW at all)
// against the stock cpu gradient.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { Rng } from '../../../src/core/random';
import {
  filterGradViaConv,
  inputGradViaConv,
  installConvGradient,
  restoreStockConvGradient,
} from '../../../src/trainer/backends/convGradient';
import { wasmDir } from '../../../src/trainer/backends/wasm';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as path from 'node:path';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  x: [number, number, number, number];
  k: number;
  cout: number;
  stride: number;
  pad: Pad;
}

const CASES: Case[] = [
  { x: [2, 8, 8, 3], k: 3, cout: 4, stride: 1, pad: 'same' },
  { x: [2, 8, 8, 3], k: 3, cout: 4, stride: 2, pad: 'same' },
  { x: [2, 9, 7, 2], k: 3, cout: 5, stride: 2, pad: 'same' },
  { x: [1, 9, 9, 2], k: 3, cout: 3, stride: 3, pad: 'valid' },
  { x: [2, 7, 7, 4], k: 1, cout: 6, stride: 2, pad: 'valid' },
  { x: [2, 8, 8, 2], k: 4, cout: 3, stride: 2, pad: 'same' },
  { x: [1, 10, 10, 2], k: 5, cout: 2, stride: 1, pad: 2 },
  { x: [2, 6, 6, 3], k: 3, cout: 2, stride: 1, pad: 'valid' },
  {
    x: [1, 8, 8, 2],
    k: 3,
    cout: 2,
    stride: 2,
    pad: [
      [0, 0],
      [1, 0],
      [0, 1],
      [0, 0],
    ],
  },
];

function randomTensor(shape: number[], rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.normal()),
    shape,
  );
}

function maxRelError(a: tf.Tensor, b: tf.Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  const av = a.dataSync();
  const bv = b.dataSync();
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < av.length; i++) {
    scale = Math.max(scale, Math.abs(bv[i]!));
    diff = Math.max(diff, Math.abs(av[i]! - bv[i]!));
  }
  return diff / Math.max(scale, 1e-6);
}

function stockGrads(c: Case, x: tf.Tensor4D, w: tf.Tensor4D, dy: tf.Tensor4D): { dx: tf.Tensor; dw: tf.Tensor } {
  const f = (xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, c.stride, c.pad), dy));
  const [dx, dw] = tf.grads(f)([x, w]);
  return { dx: dx!, dw: dw! };
}

test('dW and dx as forward convolutions match the stock cpu gradient', async () => {
  await tf.setBackend('cpu');
  restoreStockConvGradient();
  const rng = new Rng(7);
  for (const c of CASES) {
    const x = randomTensor(c.x, rng) as tf.Tensor4D;
    const w = randomTensor([c.k, c.k, c.x[3], c.cout], rng) as tf.Tensor4D;
    const y = tf.conv2d(x, w, c.stride, c.pad);
    const dy = randomTensor(y.shape, rng) as tf.Tensor4D;
    const stock = stockGrads(c, x, w, dy);
    const dw = filterGradViaConv(x, dy, w.shape, c.stride, c.pad);
    const dx = inputGradViaConv(dy, w, x.shape, c.stride, c.pad);
    const label = JSON.stringify(c);
    assert.ok(maxRelError(dw, stock.dw) < 1e-5, `dW ${label}: ${maxRelError(dw, stock.dw)}`);
    assert.ok(maxRelError(dx, stock.dx) < 1e-5, `dx ${label}: ${maxRelError(dx, stock.dx)}`);
    tf.dispose([x, w, y, dy, stock.dx, stock.dw, dw, dx]);
  }
});

test('the registered override makes wasm train convolutions like the stock cpu gradient', async () => {
  const rng = new Rng(11);
  const inputs = CASES.map((c) => {
    const xs = c.x.reduce((a, b) => a * b, 1);
    const x = Float32Array.from({ length: xs }, () => rng.normal());
    const w = Float32Array.from({ length: c.k * c.k * c.x[3] * c.cout }, () => rng.normal());
    return { c, x, w };
  });
  // Stock gradient on cpu.
  await tf.setBackend('cpu');
  restoreStockConvGradient();
  const expected = inputs.map(({ c, x, w }) => {
    const xt = tf.tensor4d(x, c.x);
    const wt = tf.tensor4d(w, [c.k, c.k, c.x[3], c.cout]);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad))),
    )([xt, wt]);
    const out = { dx: dx!.dataSync().slice(), dw: dw!.dataSync().slice() };
    tf.dispose([xt, wt, dx!, dw!]);
    return out;
  });
  setWasmPaths(wasmDir(path.resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist')) + path.sep);
  assert.equal(await tf.setBackend('wasm'), true);
  // Without the override wasm cannot train a conv at all (no Conv2DBackpropFilter kernel).
  assert.throws(
    () =>
      tf.grads((b: tf.Tensor) => tf.sum(tf.conv2d(tf.ones<tf.Rank.R4>([1, 4, 4, 1]), b as tf.Tensor4D, 1, 'same')))([
        tf.ones([3, 3, 1, 1]),
      ]),
    /Conv2DBackpropFilter/,
  );
  installConvGradient('conv');
  inputs.forEach(({ c, x, w }, i) => {
    const xt = tf.tensor4d(x, c.x);
    const wt = tf.tensor4d(w, [c.k, c.k, c.x[3], c.cout]);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad))),
    )([xt, wt]);
    assert.ok(maxRelError(dx!, tf.tensor(expected[i]!.dx, c.x)) < 1e-5, `wasm dx ${JSON.stringify(c)}`);
    assert.ok(maxRelError(dw!, tf.tensor(expected[i]!.dw, dw!.shape)) < 1e-5, `wasm dW ${JSON.stringify(c)}`);
  });
  restoreStockConvGradient();
});
