// Whether tensors can be read back synchronously (dataSync / arraySync). They cannot on
// WebGPU in Node: tfjs-backend-webgpu's synchronous read needs a browser OffscreenCanvas, and
// WebGPU itself only maps buffers asynchronously. Code that reads device results in the middle
// of training (the key queue) takes its asynchronous path there.
import * as tf from '@tensorflow/tfjs';

export function syncReadsAvailable(): boolean {
  return tf.getBackend() !== 'webgpu';
}
