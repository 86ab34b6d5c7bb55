// Builds the TrainingMethod named by `loss.kind`. New methods add a case here.
import type { LossKind } from '../../core/config/schema';
import { SoftmaxMethod } from './softmax';
import type { MethodContext, TrainingMethod } from './types';

export function createMethod(ctx: MethodContext): TrainingMethod {
  // The schema's literal union is typed as string by TypeBox; validation guarantees the values.
  const kind = ctx.config.loss.kind as LossKind;
  switch (kind) {
    case 'ce':
    case 'balanced-softmax':
      return new SoftmaxMethod(kind, ctx);
    case 'gpaco':
    case 'paco':
      // Added with the GPaCo issue (src/trainer/methods/{gpaco,paco}.ts).
      throw new Error(`loss.kind "${kind}" is not available in this build yet; use "ce" or "balanced-softmax"`);
    default: {
      const never: never = kind;
      throw new Error(`unknown loss.kind ${String(never)}`);
    }
  }
}

export type { TrainingMethod, TrainBatch, StepOutput, MethodContext, MethodState, JsonValue } from './types';
