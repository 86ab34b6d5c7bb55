// CIFAR-10 and CIFAR-100, binary versions (https://www.cs.toronto.edu/~kriz/cifar.html).
// CIFAR-10: data_batch_1..5.bin + test_batch.bin, records <label><3072 pixels>.
// CIFAR-100: train.bin + test.bin, records <coarse><fine><3072 pixels>.
// Pixels are stored channel-planar (1024 R, 1024 G, 1024 B); we keep HWC like every reader.
import * as path from 'node:path';
import { CIFAR100_COARSE_CLASSES, CIFAR100_FINE_CLASSES, CIFAR10_CLASSES } from './classNames';
import { contentSize, readContent, recordReader, streamContent } from './content';
import { isFile, isFolder, requireFolder } from './folders';
import { slotMap, type Gathered, type Source, type SourcePart, type SourceWarning } from './source';
import { DataError } from './types';

export type CifarKind = 'cifar10' | 'cifar100';

const SIDE = 32;
const PIXELS = SIDE * SIDE * 3;

interface Layout {
  /** Folder name inside the upstream archive (accepted as a sub-folder of data.path). */
  folder: string;
  archive: string;
  train: string[];
  test: string[];
  /** Bytes before the pixels; the label byte(s) come first. */
  labelBytes: number;
  recordBytes: number;
}

const LAYOUT: Record<CifarKind, Layout> = {
  cifar10: {
    folder: 'cifar-10-batches-bin',
    archive: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
    train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`),
    test: ['test_batch.bin'],
    labelBytes: 1,
    recordBytes: 1 + PIXELS,
  },
  cifar100: {
    folder: 'cifar-100-binary',
    archive: 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz',
    train: ['train.bin'],
    test: ['test.bin'],
    labelBytes: 2,
    recordBytes: 2 + PIXELS,
  },
};

function downloadHint(kind: CifarKind): string {
  const l = LAYOUT[kind];
  return `download the binary version (${l.archive}), extract it, and set data.path to its ${l.folder} folder`;
}

/** data.path may name the extracted folder or the folder that holds it. */
function resolveFolder(kind: CifarKind, dir: string): string {
  const l = LAYOUT[kind];
  const has = (d: string) => isFile(path.join(d, l.test[0]!)) || isFile(path.join(d, `${l.test[0]}.gz`));
  if (!has(dir) && isFolder(path.join(dir, l.folder)) && has(path.join(dir, l.folder))) return path.join(dir, l.folder);
  return dir;
}

function locate(dir: string, name: string): string | undefined {
  return [name, `${name}.gz`].map((n) => path.join(dir, n)).find(isFile);
}

interface FilePart {
  file: string;
  count: number;
  /** Position of this file's first record in the part. */
  base: number;
}

function recordCount(kind: CifarKind, file: string): number {
  const { recordBytes } = LAYOUT[kind];
  const size = contentSize(file);
  if (size === 0 || size % recordBytes !== 0) {
    const what = kind === 'cifar10' ? '1 label byte' : '2 label bytes (coarse, fine)';
    throw new DataError(
      `${file}: ${size} bytes is not a whole number of ${recordBytes}-byte records (${what} + 32x32x3 pixels): the file is truncated or is not the ${kind === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} binary version`,
      file,
    );
  }
  return size / recordBytes;
}

function readNames(
  file: string | undefined,
  fallback: readonly string[],
  dir: string,
  expectedName: string,
  warnings: SourceWarning[],
): string[] {
  if (!file) {
    const where = path.join(dir, expectedName);
    warnings.push({ where, message: `${where} not found: using the standard class names` });
    return [...fallback];
  }
  const names = readContent(file)
    .toString('utf8')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length !== fallback.length) {
    throw new DataError(`${file}: has ${names.length} class names; expected ${fallback.length}, one per line`, file);
  }
  return names;
}

async function openPart(kind: CifarKind, dir: string, names: string[], labelIndex: number, classes: number): Promise<SourcePart> {
  const { recordBytes, labelBytes } = LAYOUT[kind];
  const files: FilePart[] = [];
  let count = 0;
  for (const name of names) {
    const file = locate(dir, name)!;
    const n = recordCount(kind, file);
    files.push({ file, count: n, base: count });
    count += n;
  }
  const labels = new Int32Array(count);
  // One pass over the records for the labels (the pixels are read later, only those kept).
  for (const f of files) {
    await streamContent(
      f.file,
      recordReader(0, recordBytes, (i, rec) => {
        if (kind === 'cifar100' && (rec[0]! >= CIFAR100_COARSE_CLASSES.length || rec[1]! >= CIFAR100_FINE_CLASSES.length)) {
          throw new DataError(
            `${f.file}: record ${i} has labels coarse ${rec[0]}, fine ${rec[1]}; expected 0..19 and 0..99 (is this the CIFAR-100 binary version?)`,
            f.file,
          );
        }
        const v = rec[labelIndex]!;
        if (v >= classes)
          throw new DataError(
            `${f.file}: record ${i} has label ${v}; expected 0..${classes - 1} (is this the CIFAR-10 binary version?)`,
            f.file,
          );
        labels[f.base + i] = v;
      }),
    );
  }
  return {
    count,
    labels,
    root: files.length === 1 ? files[0]!.file : dir,
    async gather(positions: Int32Array, onProgress?: (done: number, total: number) => void): Promise<Gathered> {
      const slot = slotMap(count, positions, dir);
      const images = new Uint8Array(positions.length * PIXELS);
      let done = 0;
      for (const f of files) {
        const total = await streamContent(
          f.file,
          recordReader(
            0,
            recordBytes,
            (i, rec) => {
              planarToInterleaved(rec, labelBytes, images, slot[f.base + i]! * PIXELS);
              if (++done % 4096 === 0) onProgress?.(done, positions.length);
            },
            (i) => i < f.count && slot[f.base + i]! >= 0,
          ),
        );
        if (total !== f.count * recordBytes)
          throw new DataError(`${f.file}: changed while reading (${total} bytes, expected ${f.count * recordBytes})`, f.file);
      }
      onProgress?.(positions.length, positions.length);
      return { images, kept: positions, failed: [] };
    },
  };
}

/** CHW planes -> HWC pixels. */
function planarToInterleaved(rec: Uint8Array, offset: number, out: Uint8Array, at: number): void {
  const plane = SIDE * SIDE;
  for (let p = 0; p < plane; p++) {
    const o = at + p * 3;
    out[o] = rec[offset + p]!;
    out[o + 1] = rec[offset + plane + p]!;
    out[o + 2] = rec[offset + 2 * plane + p]!;
  }
}

/** Opens a CIFAR binary file set: sizes checked and labels read, pixels not yet read. */
export async function openCifar(kind: CifarKind, dataPath: string, labelsOf: 'fine' | 'coarse' = 'fine'): Promise<Source> {
  requireFolder(
    dataPath,
    'data.path',
    `the extracted ${kind === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} binary files; ${downloadHint(kind)}`,
  );
  const dir = resolveFolder(kind, dataPath);
  const l = LAYOUT[kind];
  const missing = [...l.train, ...l.test].filter((n) => !locate(dir, n));
  if (missing.length > 0) {
    const pythonVersion = isFile(path.join(dir, kind === 'cifar10' ? 'data_batch_1' : 'train'));
    throw new DataError(
      `data.path: ${dir} lacks ${missing.join(', ')}${pythonVersion ? ' (these look like the Python pickle files, which are not read)' : ''}; ${downloadHint(kind)}`,
      'data.path',
    );
  }
  const warnings: SourceWarning[] = [];
  let classNames: string[];
  let labelIndex = 0;
  if (kind === 'cifar10') {
    classNames = readNames(locate(dir, 'batches.meta.txt'), CIFAR10_CLASSES, dir, 'batches.meta.txt', warnings);
  } else {
    const fine = labelsOf === 'fine';
    const nameFile = fine ? 'fine_label_names.txt' : 'coarse_label_names.txt';
    classNames = readNames(locate(dir, nameFile), fine ? CIFAR100_FINE_CLASSES : CIFAR100_COARSE_CLASSES, dir, nameFile, warnings);
    labelIndex = fine ? 1 : 0;
  }
  const train = await openPart(kind, dir, l.train, labelIndex, classNames.length);
  const test = await openPart(kind, dir, l.test, labelIndex, classNames.length);
  return {
    description: `${kind}${kind === 'cifar100' ? ` ${labelsOf} labels` : ''} (${dir})`,
    classNames,
    height: SIDE,
    width: SIDE,
    channels: 3,
    train,
    test,
    ...(kind === 'cifar100' ? { labels: labelsOf } : {}),
    warnings,
  };
}

// Exported for tests and the benchmark, which write CIFAR-format files.
export const CIFAR_LAYOUT = LAYOUT;
