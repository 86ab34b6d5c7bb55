import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { selectBackend } from '../src/trainer/backends';
async function main() {
  await selectBackend('wasm');
  console.log(tf.getBackend());
  for (const shape of [[64, 32, 32, 16], [64, 16, 16, 32], [64, 8, 8, 64]] as [number, number, number, number][]) {
    const x = tf.randomNormal(shape);
    const n = shape[0] * shape[1] * shape[2];
    const c = shape[3];
    const ones = tf.ones([1, n]);
    const time = (f: () => tf.Tensor) => {
      for (let i = 0; i < 3; i++) tf.tidy(() => f().dataSync());
      const t0 = performance.now();
      for (let i = 0; i < 20; i++) tf.tidy(() => f().dataSync());
      return (performance.now() - t0) / 20;
    };
    const a = time(() => tf.sum(x, [0, 1, 2]));
    const b = time(() => tf.matMul(ones, tf.reshape(x, [n, c])));
    const m1 = time(() => tf.moments(x, [0, 1, 2]).variance);
    const m2 = time(() => { const mean = tf.div(tf.matMul(ones, tf.reshape(x, [n, c])), n); const d = tf.sub(tf.reshape(x, [n, c]), mean); return tf.div(tf.matMul(ones, tf.square(d)), n); });
    const m3 = time(() => { const x2 = tf.reshape(x, [n, c]); const mean = tf.div(tf.matMul(ones, x2), n); return tf.sub(tf.div(tf.matMul(ones, tf.square(x2)), n), tf.square(mean)); });
    const sq = time(() => tf.square(x));
    const sub = time(() => tf.sub(tf.reshape(x, [n, c]), tf.ones([1, c])));
    const sub4 = time(() => tf.sub(x, tf.ones([c])));
    console.log(`  E[x2]-m2 ${m3.toFixed(2)} ms (${(m1 / m3).toFixed(1)}x); square ${sq.toFixed(2)}; broadcast sub 2d ${sub.toFixed(2)}; 4d ${sub4.toFixed(2)}`);
    const diff = tf.max(tf.abs(tf.sub(tf.sum(x, [0, 1, 2]), tf.reshape(tf.matMul(ones, tf.reshape(x, [n, c])), [c])))).dataSync()[0];
    console.log(shape.join('x'), `sum ${a.toFixed(2)} ms, matMul ${b.toFixed(2)} ms (${(a / b).toFixed(1)}x); moments ${m1.toFixed(2)} ms, via matMul ${m2.toFixed(2)} ms (${(m1 / m2).toFixed(1)}x); max diff ${diff}`);
  }
}
void main();
