// Built-in presets (the papers' recipes; docs/method.md). Each is a partial
// config; `resolvePreset` fills the schema defaults so users always see a full config.
import type { ConfigResult } from './validate';
import { validateConfig } from './validate';

export interface Preset {
  name: string;
  description: string;
  config: Record<string, unknown>;
}

// Every preset trains GPaCo by default and takes loss.kind = gpaco | paco | balanced-softmax | ce
// unchanged (CE / Balanced Softmax ignore the contrastive fields).
//
// alpha is scaled to the data (docs/method.md, "Why the presets scale alpha"): an anchor of the largest class has
// |P| ~ 1 + (2B - 2 + K) * pi_max same-class entries in [q; k; queue], and alpha * |P| should stay
// near the published range (~0.5 PaCo CIFAR-100-LT ... ~5 GPaCo ImageNet-LT), else the head
// centres are ignored and the head class collapses:
//   CIFAR-100-LT IF 100 (pi_max = 500/10847,  B 128, K 1024): |P| ~ 60  -> alpha 0.01  -> 0.6
//   CIFAR-10-LT  IF 100 (pi_max = 5000/12406, B 128, K 1024): |P| ~ 516 -> alpha 0.002 -> 1.0
//   (Fashion-)MNIST-LT  (pi_max = 500/1236,   B 64,  K 1024): |P| ~ 466 -> alpha 0.001 -> 0.47
// CIFAR: the papers' ResNet-32 recipe (docs/method.md: batch 128, lr 0.05, the CIFAR step
// schedule with 10 warm-up epochs, wd 5e-4, 400 epochs, d = 32, K = 1024; GPaCo's tau 0.07 - PaCo's
// scripts use 0.05 - and a SimCLR-style second view).
const cifarRecipe = (alpha: number) => ({
  model: { arch: 'resnet32', projectionDim: 32 },
  loss: { kind: 'gpaco', alpha, temperature: 0.07, queueSize: 1024, classPrior: true },
  optim: { batchSize: 128, epochs: 400, lr: 0.05, momentum: 0.9, weightDecay: 5e-4, schedule: 'cifar-step', warmupEpochs: 10 },
  augment: { padding: 4, flip: true, strongSecondView: true },
  eval: { every: 10, groups: 'shots' },
  checkpoint: { every: 10, keepLast: 3, keepBest: true },
});

// Small grey images (docs/method.md): 3 x (conv3x3-BN-ReLU-pool) with F = 128, batch 64, 30
// epochs, crop (pad 2) + flip for both views.
const smallImageRecipe = {
  model: { arch: 'convnet', width: 32, projectionDim: 64 },
  loss: { kind: 'gpaco', alpha: 0.001, temperature: 0.1, queueSize: 1024, classPrior: true },
  optim: { batchSize: 64, epochs: 30, lr: 0.05, momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine', warmupEpochs: 5 },
  augment: { padding: 2, flip: true, strongSecondView: false },
  eval: { every: 5, groups: 'shots' },
  checkpoint: { every: 5, keepLast: 3, keepBest: true },
};

// The papers' large long-tailed sets, read from their split lists (data.kind "list"; set
// data.root to the image folder and the list paths to the released .txt files). The optimiser,
// loss and schedule follow GPaCo's recipes (batch 128, cosine with warm-up, K 8192, tau 0.2, the
// papers' alpha and weight decay). The papers' backbones (ResNet-50 / ResNeXt / an ImageNet-
// pretrained ResNet-152) are out of reach for TensorFlow.js on a CPU: these presets use the
// trainer's deepest network, ResNet-32, on 64x64 RGB images (the largest size the schema
// allows), so a run is a faithful recipe at a smaller scale, not a reproduction of the tables.
const listRecipe = (o: { alpha: number; lr: number; epochs: number; warmupEpochs: number; weightDecay: number; evalEvery: number }) => ({
  model: { arch: 'resnet32', projectionDim: 128 },
  loss: { kind: 'gpaco', alpha: o.alpha, temperature: 0.2, queueSize: 8192, classPrior: true },
  optim: {
    batchSize: 128,
    epochs: o.epochs,
    lr: o.lr,
    momentum: 0.9,
    weightDecay: o.weightDecay,
    schedule: 'cosine',
    warmupEpochs: o.warmupEpochs,
  },
  augment: { padding: 4, flip: true, strongSecondView: true },
  eval: { every: o.evalEvery, groups: 'shots', manyThreshold: 100, fewThreshold: 20 },
  checkpoint: { every: o.evalEvery, keepLast: 3, keepBest: true },
});
const listData = (base: string, files: { train: string; test: string; val?: string }) => ({
  kind: 'list',
  root: `data/${base}`,
  train: `data/${base}/${files.train}`,
  test: `data/${base}/${files.test}`,
  ...(files.val ? { val: `data/${base}/${files.val}` } : {}),
  imageSize: 64,
  channels: 3,
});

export const PRESETS: readonly Preset[] = [
  {
    name: 'synthetic-lt',
    description: 'Built-in synthetic long-tailed images (no download); a small conv net, done in a few minutes on a laptop CPU.',
    config: {
      name: 'synthetic-lt',
      data: { kind: 'synthetic', classes: 10, imageSize: 16, channels: 1, maxPerClass: 300, imbalanceFactor: 50, testPerClass: 100 },
      model: { arch: 'convnet', width: 16, projectionDim: 32 },
      loss: { kind: 'balanced-softmax', alpha: 0.01, temperature: 0.1, queueSize: 256 },
      optim: { batchSize: 64, epochs: 12, lr: 0.05, momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine', warmupEpochs: 1 },
      augment: { padding: 2, flip: false, strongSecondView: false },
      eval: { every: 2, groups: 'shots', manyThreshold: 100, fewThreshold: 20 },
      checkpoint: { every: 2, keepLast: 2, keepBest: true },
    },
  },
  {
    name: 'fashion-mnist-lt',
    description:
      'Fashion-MNIST-LT (largest class 500, imbalance 100; docs/method.md) with GPaCo; reads Debian\u2019s dataset-fashion-mnist.',
    config: { name: 'fashion-mnist-lt', data: { kind: 'fashion-mnist', maxPerClass: 500, imbalanceFactor: 100 }, ...smallImageRecipe },
  },
  {
    name: 'mnist-lt',
    description: 'MNIST-LT (largest class 500, imbalance 100) with GPaCo; set data.path to the folder of the IDX files.',
    config: { name: 'mnist-lt', data: { kind: 'mnist', path: 'data/mnist', maxPerClass: 500, imbalanceFactor: 100 }, ...smallImageRecipe },
  },
  {
    name: 'cifar10-lt',
    description:
      'CIFAR-10-LT (imbalance 100) with the paper\u2019s ResNet-32 GPaCo recipe (alpha scaled to 0.002 for 10 classes); set data.path to cifar-10-batches-bin.',
    config: {
      name: 'cifar10-lt',
      data: { kind: 'cifar10', path: 'data/cifar-10-batches-bin', maxPerClass: 5000, imbalanceFactor: 100 },
      ...cifarRecipe(0.002),
    },
  },
  {
    name: 'cifar100-lt',
    description: 'CIFAR-100-LT (imbalance 100) with the paper\u2019s ResNet-32 GPaCo recipe; set data.path to cifar-100-binary.',
    config: {
      name: 'cifar100-lt',
      data: { kind: 'cifar100', path: 'data/cifar-100-binary', maxPerClass: 500, imbalanceFactor: 100 },
      ...cifarRecipe(0.01),
    },
  },
  {
    name: 'imagenet-lt',
    description:
      'ImageNet-LT (1,000 classes, the released ImageNet_LT_train / _test lists) with GPaCo\u2019s ImageNet-LT recipe (400 epochs, lr 0.04, wd 5e-4, alpha 0.045) on ResNet-32 at 64x64 (ResNet-50 is out of reach on a CPU); set data.root.',
    config: {
      name: 'imagenet-lt',
      data: listData('ImageNet_LT', { train: 'ImageNet_LT_train.txt', test: 'ImageNet_LT_test.txt', val: 'ImageNet_LT_val.txt' }),
      ...listRecipe({ alpha: 0.045, lr: 0.04, epochs: 400, warmupEpochs: 10, weightDecay: 5e-4, evalEvery: 10 }),
    },
  },
  {
    name: 'inaturalist18',
    description:
      'iNaturalist 2018 (8,142 classes, iNaturalist18_train / _val lists) with GPaCo\u2019s recipe (400 epochs, lr 0.04, wd 1e-4, alpha 0.05) on ResNet-32 at 64x64 (ResNet-50 / 152 are out of reach on a CPU); set data.root.',
    config: {
      name: 'inaturalist18',
      data: listData('iNaturalist18', { train: 'iNaturalist18_train.txt', test: 'iNaturalist18_val.txt' }),
      ...listRecipe({ alpha: 0.05, lr: 0.04, epochs: 400, warmupEpochs: 10, weightDecay: 1e-4, evalEvery: 10 }),
    },
  },
  {
    name: 'places-lt',
    description:
      'Places-LT (365 classes, Places_LT_train / _test lists) with GPaCo\u2019s recipe (30 epochs, lr 0.02, cosine with 5 warm-up epochs, alpha 0.02) on ResNet-32 at 64x64 trained from scratch (the papers fine-tune an ImageNet-pretrained ResNet-152, out of reach on a CPU); set data.root.',
    config: {
      name: 'places-lt',
      data: listData('Places_LT', { train: 'Places_LT_train.txt', test: 'Places_LT_test.txt', val: 'Places_LT_val.txt' }),
      ...listRecipe({ alpha: 0.02, lr: 0.02, epochs: 30, warmupEpochs: 5, weightDecay: 5e-4, evalEvery: 2 }),
    },
  },
];

export const DEFAULT_PRESET = 'synthetic-lt';

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}

/** The preset as a full, validated config. Data paths are not checked (the user may edit them). */
export function resolvePreset(name: string, baseDir = process.cwd()): ConfigResult {
  const preset = findPreset(name);
  if (!preset) {
    return {
      ok: false,
      errors: [{ path: '', message: `unknown preset "${name}"; presets: ${PRESETS.map((p) => p.name).join(', ')}` }],
    };
  }
  return validateConfig(preset.config, { baseDir, checkPaths: false });
}
