// The WebGPU size guard. A tensor larger than the device's maxStorageBufferBindingSize (128 MiB
// on lavapipe and many integrated GPUs) or maxBufferSize does not raise an error in
// tfjs-backend-webgpu: Dawn rejects the bind group, tfjs carries on and returns stale buffer
// contents, i.e. silently wrong numbers (docs/architecture.md, Backends). So the trainer
// estimates the largest tensors of a configuration from the model, the batch and the input
// shape and refuses to start when one does not fit, naming the numbers and what to change.
//
// Every tensor of a step is one of: an input batch, an activation (and its gradient, the same
// size) of the backbone, the contrastive block [anchors, contrast rows] of the loss, a weight,
// or the key queue. Activations scale with the images per forward pass (the batch, or the
// micro-batch), the contrastive block with the batch and the queue, weights with the model.
import type { Config } from '../../core/config/schema';
import { estimateLargestTensors, type EstimateInput, type TensorEstimate } from '../../core/memory/tensorEstimates';

export { estimateLargestTensors, type EstimateInput, type TensorEstimate } from '../../core/memory/tensorEstimates';

export interface DeviceLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/** Thrown before training when a tensor of the configuration does not fit the device. */
export class DeviceLimitError extends Error {
  constructor(
    message: string,
    readonly tooLarge: TensorEstimate[],
  ) {
    super(message);
    this.name = 'DeviceLimitError';
  }
}

export const formatMiB = (n: number) => `${(n / 2 ** 20).toFixed(n < 2 ** 20 ? 3 : 1)} MiB`;

function advice(t: TensorEstimate, limit: number, config: Config): string {
  const per = t.perImage ?? 0;
  const fit = per > 0 ? Math.max(0, Math.floor(limit / per)) : 0;
  switch (t.scale) {
    case 'train batch':
      return fit >= 1
        ? `lower optim.batchSize to ${fit} or less, or keep it and set optim.microBatchSize to ${fit} or less (same update, smaller forward passes)`
        : `even one image needs ${formatMiB(per)}: lower data.imageSize${config.model.arch === 'convnet' ? ' or model.width' : ''}`;
    case 'eval batch':
      return fit >= 1
        ? `lower eval.batchSize to ${fit} or less`
        : `even one image needs ${formatMiB(per)}: lower data.imageSize${config.model.arch === 'convnet' ? ' or model.width' : ''}`;
    case 'batch and queue':
      return 'lower loss.queueSize or optim.batchSize';
    case 'queue':
      return 'lower loss.queueSize or model.projectionDim';
    case 'model':
      return config.model.arch === 'convnet' ? 'lower model.width' : 'use fewer classes or a smaller model';
    default: {
      const never: never = t.scale;
      throw new Error(`unknown scale ${String(never)}`);
    }
  }
}

/** Throws DeviceLimitError naming every estimated tensor over the device's limits. */
export function checkDeviceLimits(input: EstimateInput, limits: DeviceLimits, deviceName: string): TensorEstimate[] {
  const estimates = estimateLargestTensors(input);
  const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const tooLarge = estimates.filter((t) => t.bytes > limit);
  if (tooLarge.length) {
    const lines = tooLarge.map(
      (t) => `${t.what} [${t.shape.join(', ')}] float32 = ${formatMiB(t.bytes)}: ${advice(t, limit, input.config)}`,
    );
    throw new DeviceLimitError(
      `this configuration does not fit the WebGPU device ${deviceName}: its largest buffer binding is ${formatMiB(limits.maxStorageBufferBindingSize)} ` +
        `(maxStorageBufferBindingSize ${limits.maxStorageBufferBindingSize} bytes; maxBufferSize ${limits.maxBufferSize}), and larger tensors would give ` +
        `wrong numbers, not an error. Too large: ${lines.join('; ')}. (Or train on another backend: wasm, tensorflow-gpu.)`,
      tooLarge,
    );
  }
  return estimates;
}

/**
 * The trainer's check before training (and before an evaluation): a no-op for backends without
 * per-buffer limits; throws DeviceLimitError (a configuration error) when something does not fit.
 */
export function checkBackendFits(backend: { gpuLimits?: DeviceLimits; adapter?: { description?: string } }, input: EstimateInput): void {
  if (!backend.gpuLimits) return;
  checkDeviceLimits(input, backend.gpuLimits, `"${backend.adapter?.description ?? 'unnamed adapter'}"`);
}
