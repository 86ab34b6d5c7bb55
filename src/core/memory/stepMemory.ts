// One training step's memory, estimated from the config alone (before any data is read or any
// run folder exists), and compared with what the chosen backend can hold. The estimate counts
// what a step keeps alive at its peak: both views' input batch, every backbone activation and
// its gradient for the images of one forward pass, the contrastive block and its gradient, the
// key queue and the weights. It is a floor (tfjs keeps more intermediates than the stage
// outputs), so a config it refuses cannot run; the trainer's own checks (the wasm micro-batch
// plan, the WebGPU tensor guard) still apply to what passes.
import * as os from 'node:os';
import type { BackendName, Config } from '../config/schema';
import { activationShapes, F32, featureSize, prod, stepGeometry } from './tensorEstimates';

/** The wasm32 heap (tfjs-backend-wasm grows its memory up to 4 GiB). */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;

export interface StepMemory {
  bytes: number;
  /** The fields the estimate grows with, for the message. */
  fields: string[];
}

export interface MemoryLimit {
  bytes: number;
  /** What the limit is, e.g. "the wasm heap (4 GiB)". */
  what: string;
}

const gib = (n: number) => (n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`);

/** Views whose activations stay on the tape (PaCo's key view is computed without gradients). */
function tapedViews(config: Config): number {
  switch (config.loss.kind) {
    case 'paco':
    case 'ce':
    case 'balanced-softmax':
      return 1;
    case 'gpaco':
      return config.loss.views;
    default: {
      const never: never = config.loss.kind;
      throw new Error(`unknown loss.kind ${String(never)}`);
    }
  }
}

/**
 * Peak bytes of one step. `imagesPerPass` overrides the images of one forward pass (the wasm
 * backend splits a step into micro-batches itself, down to one image).
 */
export function estimateStepMemory(config: Config, imagesPerPass?: number): StepMemory {
  const side = config.data.imageSize ?? 32;
  const channels = config.data.channels ?? 3;
  const geo = stepGeometry(config);
  const perPass = imagesPerPass ?? geo.perPass;
  const views = tapedViews(config);
  const input = config.optim.batchSize * Math.max(views, config.loss.kind === 'paco' ? 2 : 1) * side * side * channels * F32;
  const perImage = activationShapes(config, [side, side, channels]).reduce((s, a) => s + prod(a.shape), 0) * F32;
  const activations = perPass * views * perImage * 2;
  const fields = ['optim.batchSize', 'data.imageSize'];
  if (config.model.arch === 'convnet') fields.push('model.width');
  let contrast = 0;
  if (geo.anchors !== null) {
    contrast = geo.anchors * geo.contrastRows * F32 * 2 + config.loss.queueSize * config.model.projectionDim * F32;
    if (config.loss.queueSize > 0) fields.push('loss.queueSize');
  }
  const F = featureSize(config);
  const weights = (F * (config.data.classes ?? 0) + F * F) * F32 * 4; // weights, gradients, two optimizer slots
  return { bytes: input + activations + contrast + weights, fields };
}

/** What `backend` can hold for one step: the wasm heap, else the machine's memory. */
export function backendMemoryLimit(backend: BackendName, totalMemory: number = os.totalmem()): MemoryLimit {
  switch (backend) {
    case 'wasm':
      return { bytes: WASM_HEAP_BYTES, what: `the wasm heap (${gib(WASM_HEAP_BYTES)})` };
    case 'auto':
    case 'cpu':
    case 'tensorflow':
    case 'tensorflow-gpu':
    case 'webgpu':
      return { bytes: totalMemory, what: `this machine's memory (${gib(totalMemory)})` };
    default: {
      const never: never = backend;
      throw new Error(`unknown backend ${String(never)}`);
    }
  }
}

/**
 * One line when a step of `config` cannot fit `limit`, else null. On wasm the trainer splits a
 * step down to one image per pass, so only what stays (input, contrastive block, queue, weights)
 * and one image's activations must fit.
 */
export function stepMemoryProblem(
  config: Config,
  limit: MemoryLimit = backendMemoryLimit(config.backend),
): { path: string; message: string } | null {
  const est = estimateStepMemory(config, config.backend === 'wasm' ? 1 : undefined);
  if (est.bytes <= limit.bytes) return null;
  return {
    path: est.fields[0]!,
    message: `one training step needs at least ~${gib(est.bytes)}, more than ${limit.what}; lower ${est.fields.join(' / ')}`,
  };
}
