// The one accuracy model behind every fixture run generator: a class's test accuracy rises with
// the log of its training count and with the epochs trained, as a long-tailed model's does, so
// many > medium > few in every fixture and the gap narrows with training.

/** Accuracy on a class with `n` training images (`maxN`: the largest class) after `epoch` epochs. */
export function classAccuracy(n: number, maxN: number, epoch: number): number {
  const size = maxN > 1 ? Math.log(Math.max(1, n)) / Math.log(maxN) : 1;
  return Math.min(0.97, 0.15 + 0.55 * size + 0.05 * epoch);
}
