// The loss's hyper-parameters and fixed epsilons, shared by the float32 TF.js loss
// (parametricContrastive.ts) and its float64 test oracle (reference64.ts): the production loss
// depends on this file, never on the oracle. docs/method.md explains each symbol.

export interface LossHyper {
  alpha: number;
  beta: number;
  gamma: number;
  temperature: number;
  /** tau_b; the loss is scaled by temperature / baseTemperature. */
  baseTemperature: number;
  /** T_s: divides the (prior-adjusted) class logits. */
  supt: number;
  labelSmoothing: number;
  /** Add log(n_c / sum n + epsPrior) to the class logits. */
  usePrior: boolean;
  epsPrior: number;
  epsDen: number;
}

export const EPS_PRIOR = 1e-9;
export const EPS_DEN = 1e-12;
