// Builds the network named by `model.arch`. New architectures add a case here.
import type { ModelConfig } from '../../core/config/schema';
import type { Rng } from '../../core/random';
import { ConvNet } from './convnet';
import { ResNet32 } from './resnet32';
import type { Network, NetworkSpec } from './types';

export function createNetwork(model: ModelConfig, spec: NetworkSpec, rng: Rng): Network {
  // The schema's literal union is typed as string by TypeBox; validation guarantees the values.
  const arch = model.arch;
  switch (arch) {
    case 'convnet':
      return new ConvNet({ ...spec, width: model.width }, rng);
    case 'resnet32':
      return new ResNet32(spec, rng);
    default: {
      const never: never = arch;
      throw new Error(`unknown model.arch ${String(never)}`);
    }
  }
}

export type { Network, NetworkSpec, ForwardOutput } from './types';
