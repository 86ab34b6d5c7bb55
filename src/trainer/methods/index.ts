// Builds the TrainingMethod named by `loss.kind`. New methods add a case here.
import { GpacoMethod } from './gpaco';
import { PacoMethod } from './paco';
import { SoftmaxMethod } from './softmax';
import type { MethodContext, TrainingMethod } from './types';

export function createMethod(ctx: MethodContext): TrainingMethod {
  // The schema's literal union is typed as string by TypeBox; validation guarantees the values.
  const kind = ctx.config.loss.kind;
  switch (kind) {
    case 'ce':
    case 'balanced-softmax':
      return new SoftmaxMethod(kind, ctx);
    case 'gpaco':
      return new GpacoMethod(ctx);
    case 'paco':
      return new PacoMethod(ctx);
    default: {
      const never: never = kind;
      throw new Error(`unknown loss.kind ${String(never)}`);
    }
  }
}

export type { TrainingMethod, TrainBatch, StepOutput, MethodContext, MethodState, JsonValue } from './types';
