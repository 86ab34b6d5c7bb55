// The smallest recipe that still trains, evaluates and checkpoints every epoch, as `--set`
// overrides: the Slurm tests (the slurm layer and the extension host's Slurm suite) add their own
// epochs and launch settings to it, so a few-second job stands for a real one.
export const TINY_SLURM_SETS: readonly string[] = [
  'data.classes=4',
  'data.imageSize=12',
  'data.maxPerClass=48',
  'data.imbalanceFactor=12',
  'data.testPerClass=8',
  'model.width=4',
  'optim.batchSize=16',
  'eval.every=1',
  'eval.manyThreshold=30',
  'eval.fewThreshold=8',
  'checkpoint.every=1',
  'launch.slurm.cpus=1',
];
