// What every data reader produces. Images stay uint8 (HWC, row-major, one image after another)
// until a batch is made, so 70,000 Fashion-MNIST images take 55 MB, not 220 MB of float32.
// This folder never imports TensorFlow.js: the CLI uses it for preflight checks.

export interface ImageSet {
  /** count * height * width * channels bytes, HWC per image. */
  images: Uint8Array;
  /** Class index per image, 0..classes-1. */
  labels: Int32Array;
  count: number;
}

/**
 * A set whose images are read when a batch needs them (data.cache "disk" or "none"), so memory
 * stays flat whatever its size. Indices are into the set (0..count-1), as for an ImageSet.
 */
export interface StreamedImageSet {
  labels: Int32Array;
  count: number;
  /**
   * HWC uint8 images of `indices`, one after another. `failed` lists the places (k in
   * `indices`) whose file did not decode this time (cache "none" only); those are left zero.
   */
  read(indices: ArrayLike<number>): Promise<{ images: Uint8Array; failed: number[] }>;
}

export type AnySet = ImageSet | StreamedImageSet;

export function isStreamed(set: AnySet): set is StreamedImageSet {
  return 'read' in set;
}

export interface Dataset<S extends AnySet = ImageSet> {
  /** Short description for logs, e.g. "fashion-mnist (/usr/share/datasets/fashion-mnist)". */
  description: string;
  classNames: string[];
  height: number;
  width: number;
  channels: 1 | 3;
  /** The (long-tailed) training split actually used. */
  train: S;
  /** The untouched, balanced test set. */
  test: S;
  /**
   * For readers of a fixed data set: the indices into the full training set that the long-tailed
   * split kept, in class order (saved in the run directory so the split can be rebuilt and checked).
   */
  trainIndices?: Int32Array;
  /** Non-fatal problems (e.g. an image that could not be decoded and was skipped). */
  warnings: string[];
  /** How the long-tailed training split was made (absent for synthetic data); saved as split.json. */
  split?: SplitRecord;
}

/** Everything needed to rebuild and check a long-tailed split (docs/run-folder.md, split.json). */
export interface SplitRecord {
  /** `data.kind` of the source. */
  kind: string;
  /** Folder the training data was read from (and the test folder, if separate). */
  source: string;
  testSource?: string;
  /** cifar100 only: which labels were used. */
  labels?: 'fine' | 'coarse';
  splitSeed: number;
  imbalanceFactor: number;
  /** The head class size actually used (the config's, or the default the data allowed). */
  maxPerClass: number;
  /** Training images each class had before the split (head-first class order). */
  availableCounts: number[];
  /** Training images kept per class (the profile, less any undecodable image that was skipped). */
  counts: number[];
  /** image-folder: training images kept, as paths relative to `source`, same order as trainIndices. */
  files?: string[];
  /** image-folder: images the split chose that could not be decoded (relative paths). */
  skipped?: string[];
  /** Test images that could not be decoded and are not in the test set (relative paths). */
  testSkipped?: string[];
  /** image-folder with data.holdout: the held-out test images (relative paths). */
  testFiles?: string[];
  /** image-folder: fraction held out for testing (0 when data.testPath was used). */
  holdout?: number;
}

/** A problem found before a run starts; `message` names the file or config field itself. */
export interface DataIssue {
  /** `info`: a fact to show before the run starts (e.g. a split list's counts per shot group). */
  level: 'error' | 'warning' | 'info';
  /** The file or config field path (or `file:line`), e.g. `data.maxPerClass`. */
  where: string;
  message: string;
}

export interface LoadOptions {
  /** Called for each non-fatal problem as it is found (they are also in `Dataset.warnings`). */
  onWarning?: (message: string) => void;
  /** Called while images are read or decoded: items done of total for the current part. */
  onProgress?: (done: number, total: number, part: 'train' | 'test') => void;
  /** Called with facts worth a log line (e.g. a disk cache reused or built). */
  onInfo?: (message: string) => void;
}

/** A data problem a user can fix: names the file or config field and what was expected. */
export class DataError extends Error {
  constructor(
    message: string,
    /** The file or config field path the message is about. */
    readonly where?: string,
  ) {
    super(message);
    this.name = 'DataError';
  }
}
