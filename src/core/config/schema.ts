// The run configuration: one TypeBox schema gives the TypeScript type, the validator and the
// JSON Schema file the extension contributes (so the editor completes and checks configs).
import { Type, type Static, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';

const strict = { additionalProperties: false } as const;

/** A section object whose own fields all have defaults, so the section itself may be omitted. */
function section<T extends Record<string, TSchema>>(props: T, description: string) {
  return Type.Object(props, { ...strict, default: {}, description });
}

export const DATA_KINDS = ['synthetic', 'fashion-mnist', 'mnist', 'cifar10', 'cifar100', 'image-folder', 'list'] as const;
export const MODEL_ARCHS = ['convnet', 'resnet32'] as const;
export const LOSS_KINDS = ['gpaco', 'paco', 'balanced-softmax', 'ce'] as const;
export const SCHEDULES = ['cosine', 'cifar-step', 'step', 'constant'] as const;
export const BACKENDS = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
/** data.cache: where resized images live (absent = memory). */
export const DATA_CACHES = ['memory', 'disk', 'none'] as const;
export const LAUNCH_KINDS = ['local', 'slurm'] as const;

// The explicit return type keeps each literal, so `Config` fields are unions such as
// 'gpaco' | 'paco' | ... (exhaustive switches work) rather than plain `string`.
type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K]> };
const literalUnion = <T extends readonly string[]>(values: T, options: Record<string, unknown>): TUnion<Literals<T>> =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as unknown as TUnion<Literals<T>>;

/** data.imbalanceFactor when a config leaves it out (every kind but "list", which has none). */
export const DEFAULT_IMBALANCE_FACTOR = 100;

export const DataSchema = Type.Object(
  {
    kind: literalUnion(DATA_KINDS, {
      default: 'synthetic',
      description:
        'Data set: built-in synthetic long-tailed images, IDX files (MNIST / Fashion-MNIST), CIFAR binary files, a folder of class sub-folders, or split lists (`relative/path label` lines, as ImageNet-LT / iNaturalist / Places-LT ship).',
    }),
    path: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Folder holding the data files (relative paths are resolved against the config file). Fashion-MNIST defaults to /usr/share/datasets/fashion-mnist.',
      }),
    ),
    testPath: Type.Optional(
      Type.String({ minLength: 1, description: 'image-folder: a separate folder of test images (one sub-folder per class).' }),
    ),
    root: Type.Optional(Type.String({ minLength: 1, description: 'list: the image folder the list paths are relative to.' })),
    train: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'list: the training list file, one `relative/path label` line per image (the long-tailed split itself).',
      }),
    ),
    test: Type.Optional(Type.String({ minLength: 1, description: 'list: the test list file (evaluated).' })),
    val: Type.Optional(Type.String({ minLength: 1, description: 'list: an optional validation list file (checked, not trained on).' })),
    classNames: Type.Optional(
      Type.String({ minLength: 1, description: 'list: optional file of class names, one per line, line i naming label i.' }),
    ),
    holdout: Type.Number({
      minimum: 0,
      maximum: 0.9,
      default: 0.2,
      description: 'image-folder without testPath: fraction of each class held out for testing.',
    }),
    imbalanceFactor: Type.Optional(
      Type.Number({
        minimum: 1,
        description:
          'Largest class size divided by smallest (exponential profile, docs/method.md); default 100. 1 keeps the data balanced. Not for data.kind "list" (the list is the split).',
      }),
    ),
    maxPerClass: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_000_000,
        description: 'Training images kept for the largest (head) class. Defaults to the data set\u2019s own largest class.',
      }),
    ),
    splitSeed: Type.Integer({
      minimum: 0,
      maximum: 4294967295,
      default: 0,
      description: 'Seed of the per-class random subsets of the long-tailed split.',
    }),
    labels: literalUnion(['fine', 'coarse'] as const, { default: 'fine', description: 'cifar100: fine (100) or coarse (20) labels.' }),
    classes: Type.Integer({ minimum: 2, maximum: 1000, default: 10, description: 'synthetic: number of classes.' }),
    imageSize: Type.Integer({
      minimum: 8,
      maximum: 64,
      default: 28,
      description: 'synthetic and image-folder: side of the square images the model sees.',
    }),
    channels: Type.Union([Type.Literal(1), Type.Literal(3)], {
      default: 1,
      description: 'synthetic and image-folder: 1 (grey) or 3 (colour).',
    }),
    cache: Type.Optional(
      literalUnion(DATA_CACHES, {
        description:
          'image-folder and list: where the resized images live. memory (default): decoded once, kept in memory; disk: one cache file of resized images per list and size, shared by runs, read batch by batch; none: decoded again every epoch. disk and none keep memory flat whatever the data set size (docs/architecture.md, Data loading).',
      }),
    ),
    cacheDir: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'data.cache "disk": folder of the cache files (relative paths are resolved against the config file). Default: $GPACO_DATA_CACHE, else .gpaco-cache/data next to the runs folder.',
      }),
    ),
    decodeWorkers: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 32,
        description:
          'image-folder and list with data.cache "disk" or "none": worker threads that decode and resize images ahead of the step. Default: one per core less one, 1 to 4.',
      }),
    ),
    testPerClass: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      default: 100,
      description: 'synthetic: balanced test images per class (at most 100,000).',
    }),
  },
  { ...strict, default: {}, description: 'What to train on and how the long-tailed training split is made.' },
);

export const ModelSchema = section(
  {
    arch: literalUnion(MODEL_ARCHS, {
      default: 'convnet',
      description: 'convnet: 3x(conv-BN-ReLU-pool) for small images; resnet32: the papers\u2019 CIFAR ResNet-32.',
    }),
    width: Type.Integer({
      minimum: 4,
      maximum: 256,
      default: 32,
      description: 'convnet: channels of the first stage (doubled per stage).',
    }),
    projectionDim: Type.Integer({ minimum: 2, maximum: 2048, default: 64, description: 'Output size d of the projection head.' }),
  },
  'Backbone and heads.',
);

export const LossSchema = section(
  {
    kind: literalUnion(LOSS_KINDS, {
      default: 'gpaco',
      description: 'gpaco (default), paco (momentum encoder + queue), balanced-softmax, or ce.',
    }),
    alpha: Type.Number({ minimum: 0, default: 0.05, description: 'Weight of sample positives (alpha in docs/method.md).' }),
    beta: Type.Number({
      exclusiveMinimum: 0,
      default: 1,
      description: 'Weight of the true-class centre (beta in docs/method.md; must be > 0).',
    }),
    gamma: Type.Number({ minimum: 0, default: 1, description: 'Weight of contrast columns in the denominator (gamma in docs/method.md).' }),
    temperature: Type.Number({ exclusiveMinimum: 0, default: 0.2, description: 'Temperature tau of the feature similarities.' }),
    baseTemperature: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, description: 'Base temperature tau_b; defaults to the temperature (scale factor 1).' }),
    ),
    supt: Type.Number({ exclusiveMinimum: 0, default: 1, description: 'T_s: divides the class logits.' }),
    labelSmoothing: Type.Number({ minimum: 0, maximum: 0.99, default: 0, description: 'Label smoothing of the centre targets.' }),
    classPrior: Type.Boolean({
      default: true,
      description: 'Add log class prior to the centre logits during training (Balanced Softmax compensation).',
    }),
    queueSize: Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      default: 1024,
      description: 'K: past keys kept in the queue (0 = batch only; at most 1,000,000).',
    }),
    momentum: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.999,
      description: 'PaCo: momentum m of the key encoder EMA.',
    }),
    views: Type.Union([Type.Literal(1), Type.Literal(2)], {
      default: 2,
      description: 'gpaco: 2 (two augmented views, the paper) or 1 (single-view GPaCo).',
    }),
  },
  'Loss and its hyper-parameters (docs/method.md).',
);

export const OptimSchema = section(
  {
    batchSize: Type.Integer({ minimum: 1, maximum: 4096, default: 64, description: 'Images per step.' }),
    epochs: Type.Integer({ minimum: 1, maximum: 10000, default: 30, description: 'Training epochs.' }),
    lr: Type.Number({ exclusiveMinimum: 0, default: 0.05, description: 'Base learning rate.' }),
    momentum: Type.Number({ minimum: 0, maximum: 0.999, default: 0.9, description: 'SGD momentum.' }),
    weightDecay: Type.Number({ minimum: 0, default: 5e-4, description: 'L2 weight decay on every parameter.' }),
    schedule: literalUnion(SCHEDULES, {
      default: 'cosine',
      description:
        'cosine: linear warm-up then cosine; cifar-step: the CIFAR scripts\u2019 schedule; step: x gamma at stepEpochs; constant.',
    }),
    warmupEpochs: Type.Integer({ minimum: 0, maximum: 10000, default: 5, description: 'Linear warm-up epochs.' }),
    stepEpochs: Type.Array(Type.Integer({ minimum: 1, maximum: 10000 }), {
      maxItems: 100,
      default: [],
      description: 'step: epochs after which the LR is multiplied by stepGamma.',
    }),
    stepGamma: Type.Number({ exclusiveMinimum: 0, default: 0.1, description: 'step: LR factor at each step epoch.' }),
    microBatchSize: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 4096,
        description: 'Split each step into micro-batches of this size to bound memory (same loss, same update).',
      }),
    ),
    workers: Type.Union([Type.Literal('auto'), Type.Integer({ minimum: 1, maximum: 256 })], {
      default: 'auto',
      description:
        'Worker threads that share each step (data parallelism on CPU backends): auto = min(CPUs available to the process (SLURM_CPUS_PER_TASK under Slurm), batch / 16), at least 1.',
    }),
    shards: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 256,
        description:
          'Contiguous shards each batch is split into, each normalised with its own batch-norm statistics (default: the number of workers). Fixing it makes results independent of the core count: fewer workers then run several shards each.',
      }),
    ),
  },
  'SGD with momentum and weight decay, and the learning-rate schedule.',
);

export const AugmentSchema = section(
  {
    padding: Type.Integer({ minimum: 0, maximum: 16, default: 4, description: 'Random crop padding in pixels.' }),
    flip: Type.Boolean({ default: true, description: 'Random horizontal flip.' }),
    strongSecondView: Type.Boolean({
      default: true,
      description: 'Second view uses the stronger SimCLR-style recipe (resized crop, colour jitter, grayscale).',
    }),
  },
  'Training augmentation (evaluation is never augmented).',
);

export const EvalSchema = section(
  {
    every: Type.Integer({
      minimum: 1,
      maximum: 10000,
      default: 1,
      description: 'Evaluate on the test set every N epochs (and after the last).',
    }),
    groups: literalUnion(['shots', 'terciles'] as const, {
      default: 'shots',
      description: 'Shot-group rule: shots (many > manyThreshold, few < fewThreshold; the papers\u2019 rule) or terciles of class counts.',
    }),
    manyThreshold: Type.Integer({
      minimum: 1,
      maximum: 1e9,
      default: 100,
      description: 'shots: classes with more training images are many-shot.',
    }),
    fewThreshold: Type.Integer({
      minimum: 1,
      maximum: 1e9,
      default: 20,
      description: 'shots: classes with fewer training images are few-shot.',
    }),
    batchSize: Type.Integer({ minimum: 1, maximum: 8192, default: 256, description: 'Evaluation batch size.' }),
  },
  'Evaluation and the many / medium / few rule.',
);

export const CheckpointSchema = section(
  {
    every: Type.Integer({
      minimum: 1,
      maximum: 10000,
      default: 1,
      description: 'Write a checkpoint every N epochs (and at the end or on stop).',
    }),
    keepLast: Type.Integer({ minimum: 1, maximum: 10000, default: 3, description: 'Keep the last K checkpoints.' }),
    keepBest: Type.Boolean({ default: true, description: 'Also keep the checkpoint with the best top-1.' }),
  },
  'Checkpoints.',
);

export const SlurmSchema = section(
  {
    partition: Type.Optional(Type.String({ minLength: 1 })),
    time: Type.Optional(Type.String({ minLength: 1, description: 'Time limit, e.g. 02:00:00.' })),
    cpus: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    mem: Type.Optional(Type.String({ minLength: 1, description: 'Memory, e.g. 8G.' })),
    gpus: Type.Optional(Type.Integer({ minimum: 0, maximum: 1024 })),
    account: Type.Optional(Type.String({ minLength: 1 })),
    qos: Type.Optional(Type.String({ minLength: 1 })),
    extra: Type.Array(Type.String(), { default: [], description: 'Extra #SBATCH lines (without the #SBATCH prefix).' }),
    signalSeconds: Type.Optional(
      Type.Integer({
        minimum: 10,
        maximum: 65535,
        description:
          'Seconds before the time limit at which the batch script asks the trainer to checkpoint and stop (SIGUSR1 to the batch shell). Default 300, at most half the time limit.',
      }),
    ),
    setup: Type.Optional(
      Type.Array(Type.String(), {
        description: 'Shell lines the batch script runs before the trainer on the compute node, e.g. "module load nodejs/20".',
      }),
    ),
  },
  'Slurm options (launch.kind = slurm).',
);

export const LaunchSchema = section(
  {
    kind: literalUnion(LAUNCH_KINDS, { default: 'local', description: 'local: a child process; slurm: a batch job.' }),
    slurm: SlurmSchema,
  },
  'Where the run executes.',
);

export const TRAINER_KINDS = ['gpaco', 'command'] as const;

/**
 * Who trains the run: GPaCo Lab's own trainer, or any command (a PyTorch script, say) that
 * writes the run folder itself, e.g. through the Python writer (docs/architecture.md).
 */
export const TrainerSchema = Type.Union(
  [
    Type.Object({ kind: Type.Literal('gpaco', { description: 'GPaCo Lab\u2019s TensorFlow.js trainer (dist/trainer.js).' }) }, strict),
    Type.Object(
      {
        kind: Type.Literal('command', { description: 'Any program, started with GPACO_RUN_DIR and GPACO_RUN_ID set.' }),
        argv: Type.Array(Type.String({ minLength: 1 }), {
          minItems: 1,
          description: 'The program and its arguments, e.g. ["python3", "train.py", "--epochs", "2"]. Never run through a shell.',
        }),
        cwd: Type.Optional(
          Type.String({
            minLength: 1,
            description: 'Working folder of the command (relative paths: against the config file). Default: the config file\u2019s folder.',
          }),
        ),
        env: Type.Optional(
          Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String(), {
            description: 'Extra environment variables of the command.',
          }),
        ),
      },
      strict,
    ),
  ],
  { default: { kind: 'gpaco' }, description: 'Who trains the run: gpaco (default) or a command that writes the run folder itself.' },
);

export const ConfigSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 80, description: 'Display name of runs made from this config.' })),
    seed: Type.Integer({ minimum: 0, maximum: 4294967295, default: 0, description: 'Seed of initialisation, shuffling and augmentation.' }),
    backend: literalUnion(BACKENDS, {
      default: 'auto',
      description: 'TensorFlow.js backend; auto tries tensorflow-gpu, webgpu (hardware adapter), tensorflow, wasm, cpu.',
    }),
    data: DataSchema,
    model: ModelSchema,
    loss: LossSchema,
    optim: OptimSchema,
    augment: AugmentSchema,
    eval: EvalSchema,
    checkpoint: CheckpointSchema,
    launch: LaunchSchema,
    // Optional in the type: configs of runs made before this section existed lack it.
    trainer: Type.Optional(TrainerSchema),
  },
  {
    ...strict,
    $id: 'https://gpaco-lab.invalid/schemas/run-config.json',
    title: 'GPaCo Lab run configuration',
    description: 'One training run of GPaCo Lab.',
  },
);

export type Config = Static<typeof ConfigSchema>;
export type DataConfig = Config['data'];
export type ModelConfig = Config['model'];
export type LossConfig = Config['loss'];
export type OptimConfig = Config['optim'];
export type TrainerConfig = NonNullable<Config['trainer']>;
export type CommandTrainerConfig = Extract<TrainerConfig, { kind: 'command' }>;
export type DataKind = (typeof DATA_KINDS)[number];
export type LossKind = (typeof LOSS_KINDS)[number];
export type BackendName = (typeof BACKENDS)[number];
