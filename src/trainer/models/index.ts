// Builds the network named by `model.arch`. New architectures add a case here.
import type { MODEL_ARCHS, ModelConfig } from '../../core/config/schema';
import type { Rng } from '../../core/random';
import { ConvNet } from './convnet';
import type { Network, NetworkSpec } from './types';

export function createNetwork(model: ModelConfig, spec: NetworkSpec, rng: Rng): Network {
  // The schema's literal union is typed as string by TypeBox; validation guarantees the values.
  const arch = model.arch as (typeof MODEL_ARCHS)[number];
  switch (arch) {
    case 'convnet':
      return new ConvNet({ ...spec, width: model.width }, rng);
    case 'resnet32':
      // Added with the GPaCo issue (src/trainer/models/resnet32.ts).
      throw new Error('model.arch "resnet32" is not available in this build yet; use "convnet"');
    default: {
      const never: never = arch;
      throw new Error(`unknown model.arch ${String(never)}`);
    }
  }
}

export type { Network, NetworkSpec, ForwardOutput } from './types';
