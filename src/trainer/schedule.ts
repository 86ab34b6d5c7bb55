// Learning-rate schedules, per epoch (the released scripts update the LR once per epoch).
// Epoch indices here are 0-based, as in the papers' released scripts (docs/method.md, Pitfalls);
// the loop's records number epochs from 1 (record epoch = e + 1).
import type { OptimConfig } from '../core/config/schema';

/**
 * Warm-up + cosine (the papers' other scripts):
 * lr = base*(e+1)/w for e < w, then base * 0.5 * (1 + cos(pi*(e-w+1)/(E-w+1))).
 */
export function lrWarmupCosine(e: number, base: number, epochs: number, warmup: number): number {
  if (e < warmup) return (base * (e + 1)) / warmup;
  return base * 0.5 * (1 + Math.cos((Math.PI * (e - warmup + 1)) / (epochs - warmup + 1)));
}

/**
 * The CIFAR scripts' schedule (docs/method.md, Pitfalls): lr = base*(e+1)/w while e <= w (so
 * epoch w runs at (w+1)/w * base), base until e = 320, 0.1*base for 321..360, 0.01*base after.
 * The step epochs 320/360 are those of the 400-epoch recipe; for another length E they are
 * scaled to 0.8E and 0.9E (identical for E = 400) so a shorter run still decays.
 */
export function lrCifarStep(e: number, base: number, warmup: number, epochs = 400): number {
  if (warmup > 0 && e <= warmup) return (base / warmup) * (e + 1);
  const first = epochs === 400 ? 320 : Math.round(0.8 * epochs);
  const second = epochs === 400 ? 360 : Math.round(0.9 * epochs);
  if (e > second) return base * 0.01;
  if (e > first) return base * 0.1;
  return base;
}

/**
 * Generic step decay with optional linear warm-up: base * gamma^(number of step epochs s with
 * e >= s). stepEpochs count completed epochs (1-based), so [30] means "from the 31st epoch on".
 */
export function lrStep(e: number, base: number, stepEpochs: readonly number[], gamma: number, warmup: number): number {
  if (e < warmup) return (base * (e + 1)) / warmup;
  const k = stepEpochs.filter((s) => e >= s).length;
  return base * Math.pow(gamma, k);
}

/** The LR of 0-based epoch e for an optim config. */
export function learningRate(o: OptimConfig, e: number): number {
  const schedule = o.schedule;
  switch (schedule) {
    case 'cosine':
      return lrWarmupCosine(e, o.lr, o.epochs, o.warmupEpochs);
    case 'cifar-step':
      return lrCifarStep(e, o.lr, o.warmupEpochs, o.epochs);
    case 'step':
      return lrStep(e, o.lr, o.stepEpochs, o.stepGamma, o.warmupEpochs);
    case 'constant':
      return o.lr;
    default: {
      const never: never = schedule;
      throw new Error(`unknown optim.schedule ${String(never)}`);
    }
  }
}
