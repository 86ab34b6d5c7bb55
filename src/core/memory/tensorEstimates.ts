// Sizes of one configuration's tensors, from the model, the batch and the input shape (pure
// arithmetic; the trainer's WebGPU guard and the config pipeline's memory check use it).
// Every tensor of a step is one of: an input batch, an activation (and its gradient, the same
// size) of the backbone, the contrastive block [anchors, contrast rows] of the loss, a weight,
// or the key queue. Activations scale with the images per forward pass (the batch, or the
// micro-batch), the contrastive block with the batch and the queue, weights with the model.
import type { Config } from '../config/schema';

/** Channels of ResNet-32's three stages (the trainer's model uses these). */
export const RESNET32_WIDTHS = [16, 32, 64] as const;

export const F32 = 4;

export type TensorScale = 'train batch' | 'eval batch' | 'batch and queue' | 'model' | 'queue';

export interface TensorEstimate {
  /** What it is, e.g. "convnet stage 1 activation (training)". */
  what: string;
  shape: number[];
  bytes: number;
  scale: TensorScale;
  /** Bytes per image of the forward pass (batch-scaled tensors only). */
  perImage?: number;
}

export interface EstimateInput {
  config: Config;
  /** Input images [H, W, C]. */
  inputShape: readonly [number, number, number];
  numClasses: number;
}

export const prod = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Per-image activation shapes [h, w, c] of the backbone, in forward order (largest first is typical). */
export function activationShapes(
  config: Config,
  [H, W, C]: readonly [number, number, number],
): { name: string; shape: [number, number, number] }[] {
  const arch = config.model.arch;
  const out: { name: string; shape: [number, number, number] }[] = [{ name: 'input images', shape: [H, W, C] }];
  switch (arch) {
    case 'convnet': {
      let h = H;
      let w = W;
      [1, 2, 4].forEach((m, i) => {
        const c = config.model.width * m;
        out.push({ name: `convnet stage ${i + 1} activation`, shape: [h, w, c] });
        if (h >= 2 && w >= 2) {
          h = Math.floor(h / 2);
          w = Math.floor(w / 2);
        }
      });
      return out;
    }
    case 'resnet32': {
      let h = H;
      let w = W;
      RESNET32_WIDTHS.forEach((c, s) => {
        if (s > 0) {
          // stride-2 'same' convolution
          h = Math.ceil(h / 2);
          w = Math.ceil(w / 2);
        }
        out.push({ name: `resnet32 ${s === 0 ? 'stem / stage 1' : `stage ${s + 1}`} activation`, shape: [h, w, c] });
      });
      return out;
    }
    default: {
      const never: never = arch;
      throw new Error(`unknown model.arch ${String(never)}`);
    }
  }
}

/** [in, out] channels of the widest 3x3 convolution. */
export function widestConv(config: Config, inChannels: number): [number, number] {
  if (config.model.arch === 'resnet32') return [RESNET32_WIDTHS[2], RESNET32_WIDTHS[2]];
  const w = config.model.width;
  return w * 4 * w * 2 >= inChannels * w ? [w * 2, w * 4] : [inChannels, w];
}

export function featureSize(config: Config): number {
  return config.model.arch === 'resnet32' ? RESNET32_WIDTHS[2] : config.model.width * 4;
}

/** Images per forward pass, anchors and contrast rows of one training step. */
export function stepGeometry(
  config: Config,
): { perPass: number; anchors: number; contrastRows: number } | { perPass: number; anchors: null; contrastRows: null } {
  const B = config.optim.batchSize;
  const micro = config.optim.microBatchSize;
  const perPass = micro !== undefined && micro < B ? micro : B;
  const K = config.loss.queueSize;
  const kind = config.loss.kind;
  switch (kind) {
    case 'ce':
    case 'balanced-softmax':
      return { perPass, anchors: null, contrastRows: null };
    case 'gpaco':
      return config.loss.views === 1 ? { perPass, anchors: B, contrastRows: B + K } : { perPass, anchors: 2 * B, contrastRows: 2 * B + K };
    case 'paco':
      return { perPass, anchors: B, contrastRows: 2 * B + K };
    default: {
      const never: never = kind;
      throw new Error(`unknown loss.kind ${String(never)}`);
    }
  }
}

/** The largest tensors of training and evaluation with this configuration, largest first. */
export function estimateLargestTensors({ config, inputShape, numClasses }: EstimateInput): TensorEstimate[] {
  const out: TensorEstimate[] = [];
  const geo = stepGeometry(config);
  const evalBatch = config.eval.batchSize;
  const acts = activationShapes(config, inputShape);
  const biggest = acts.reduce((a, b) => (prod(b.shape) > prod(a.shape) ? b : a));
  const perImage = prod(biggest.shape) * F32;
  out.push({
    what: `${biggest.name} (training${geo.perPass < config.optim.batchSize ? ', per micro-batch' : ''})`,
    shape: [geo.perPass, ...biggest.shape],
    bytes: geo.perPass * perImage,
    scale: 'train batch',
    perImage,
  });
  out.push({
    what: `${biggest.name} (evaluation)`,
    shape: [evalBatch, ...biggest.shape],
    bytes: evalBatch * perImage,
    scale: 'eval batch',
    perImage,
  });
  if (geo.anchors !== null) {
    out.push({
      what: `contrastive similarities (anchors x [batch views; queue])`,
      shape: [geo.anchors, geo.contrastRows],
      bytes: geo.anchors * geo.contrastRows * F32,
      scale: 'batch and queue',
    });
    out.push({
      what: 'key queue',
      shape: [config.loss.queueSize, config.model.projectionDim],
      bytes: config.loss.queueSize * config.model.projectionDim * F32,
      scale: 'queue',
    });
  }
  // Weights: the widest conv filter, the classifier, the projection head's square layer.
  const F = featureSize(config);
  const [cin, cout] = widestConv(config, inputShape[2]);
  out.push({ what: 'largest conv filter', shape: [3, 3, cin, cout], bytes: 9 * cin * cout * F32, scale: 'model' });
  out.push({ what: 'classifier weights', shape: [F, numClasses], bytes: F * numClasses * F32, scale: 'model' });
  if (geo.anchors !== null) out.push({ what: 'projection head weights', shape: [F, F], bytes: F * F * F32, scale: 'model' });
  return out.sort((a, b) => b.bytes - a.bytes);
}
