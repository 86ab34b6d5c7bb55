// Weight initialisers drawn on the host from the project's seedable Rng, so a seed gives the
// same initial weights on every backend (backend-agreement tests depend on it) and in every run.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/random';

/** Normal(0, std) values of the given shape. */
export function normalTensor(shape: number[], std: number, rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.normal() * std;
  return tf.tensor(values, shape, 'float32');
}

/** Kaiming/He normal, fan-in mode, ReLU gain (PyTorch `kaiming_normal_` defaults): std = sqrt(2 / fanIn). */
export function heNormal(shape: number[], fanIn: number, rng: Rng): tf.Tensor {
  return normalTensor(shape, Math.sqrt(2 / fanIn), rng);
}
