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

export interface Dataset {
  /** Short description for logs, e.g. "fashion-mnist (/usr/share/datasets/fashion-mnist)". */
  description: string;
  classNames: string[];
  height: number;
  width: number;
  channels: 1 | 3;
  /** The (long-tailed) training split actually used. */
  train: ImageSet;
  /** The untouched, balanced test set. */
  test: ImageSet;
  /**
   * For readers of a fixed data set: the indices into the full training set that the long-tailed
   * split kept, in class order (saved in the run directory so the split can be rebuilt and checked).
   */
  trainIndices?: Int32Array;
  /** Non-fatal problems (e.g. an image that could not be decoded and was skipped). */
  warnings: string[];
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
