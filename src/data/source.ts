// A data set as it lies on disk, before any subset is taken: labels are read first (cheap), and
// pixels only for the items a split keeps, so a long-tailed run never holds the whole set.

export interface Gathered {
  /** HWC uint8 images of the positions actually read, one after another. */
  images: Uint8Array;
  /** The positions read, in the order asked; image folders leave out undecodable files. */
  kept: Int32Array;
  /** Positions asked for but not read, with the reason (image folders only). */
  failed: { position: number; reason: string }[];
}

export interface SourcePart {
  count: number;
  /** Class index per item in file / listing order; classes are head first. */
  labels: Int32Array;
  /** Reads the images at `positions` (any order) into one uint8 array in that order. */
  gather(positions: Int32Array, onProgress?: (done: number, total: number) => void): Promise<Gathered>;
  /** image-folder: path of each item relative to the part's folder. */
  files?: string[];
  /** Folder or file set this part was read from. */
  root: string;
}

export interface SourceWarning {
  where: string;
  /** Starts with `where`. */
  message: string;
}

export interface Source {
  description: string;
  /** Head first: for the standard sets their label order, for image folders by size. */
  classNames: string[];
  height: number;
  width: number;
  channels: 1 | 3;
  train: SourcePart;
  test: SourcePart;
  /** cifar100 only. */
  labels?: 'fine' | 'coarse';
  /** image-folder without testPath: fraction of each class held out. */
  holdout?: number;
  /** Problems found while opening that do not stop a run; `where` is the file or folder named. */
  warnings: SourceWarning[];
}

/** A gather for items that all have the same size and are copied from a record stream. */
export function slotMap(count: number, positions: Int32Array, what: string): Int32Array {
  const slot = new Int32Array(count).fill(-1);
  positions.forEach((p, k) => {
    if (p < 0 || p >= count) throw new RangeError(`${what}: position ${p} outside 0..${count - 1}`);
    slot[p] = k;
  });
  return slot;
}
