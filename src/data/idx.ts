// MNIST and Fashion-MNIST in IDX format (raw or gzip-compressed): a big-endian header (magic
// 0x00000803 for images, 0x00000801 for labels, then one uint32 per dimension) and raw bytes.
import * as path from 'node:path';
import { FASHION_MNIST_CLASSES, MNIST_CLASSES } from './classNames';
import { contentSize, isGzip, readContent, readContentHead, recordReader, streamContent } from './content';
import { isFile, requireFolder } from './folders';
import { slotMap, type Gathered, type Source, type SourcePart } from './source';
import { DataError } from './types';

export type IdxKind = 'mnist' | 'fashion-mnist';

const PREFIX = { train: 'train', test: 't10k' } as const;
type Part = keyof typeof PREFIX;

const UPSTREAM_FILES = [
  'train-images-idx3-ubyte.gz',
  'train-labels-idx1-ubyte.gz',
  't10k-images-idx3-ubyte.gz',
  't10k-labels-idx1-ubyte.gz',
];

/** Where to get the files, for messages about a missing folder or file. */
export function idxDownloadHint(kind: IdxKind): string {
  return kind === 'fashion-mnist'
    ? `install Debian's package (apt-get install dataset-fashion-mnist; it puts the files in /usr/share/datasets/fashion-mnist), or download ${UPSTREAM_FILES.join(', ')} from https://github.com/zalandoresearch/fashion-mnist (folder data/fashion) into one folder and set data.path to it`
    : `download ${UPSTREAM_FILES.join(', ')} (the MNIST database, http://yann.lecun.com/exdb/mnist/, or a mirror with the same names) into one folder and set data.path to it`;
}

/** Standard names, plus the `train-images.idx3-ubyte` spelling of some mirrors; raw or .gz. */
function candidates(part: Part, what: 'images' | 'labels'): string[] {
  const d = what === 'images' ? 3 : 1;
  const bases = [`${PREFIX[part]}-${what}-idx${d}-ubyte`, `${PREFIX[part]}-${what}.idx${d}-ubyte`];
  return bases.flatMap((b) => [b, `${b}.gz`]);
}

interface IdxHeader {
  dims: number[];
  offset: number;
}

function parseHeader(head: Uint8Array, file: string, what: 'images' | 'labels'): IdxHeader {
  const d = what === 'images' ? 3 : 1;
  const expected = `0x0000080${d} (IDX ${what}: unsigned bytes, ${d} dimension${d > 1 ? 's' : ''})`;
  if (head.length < 4)
    throw new DataError(`${file}: file of ${head.length} bytes is too short for an IDX header; expected magic number ${expected}`, file);
  const magic = Buffer.from(head.buffer, head.byteOffset, 4).readUInt32BE(0);
  if (magic !== 0x800 + d) {
    const looksLike = magic === 0x801 ? ' (this is an IDX labels file)' : magic === 0x803 ? ' (this is an IDX images file)' : '';
    throw new DataError(`${file}: wrong magic number 0x${magic.toString(16).padStart(8, '0')}${looksLike}; expected ${expected}`, file);
  }
  if (head.length < 4 + 4 * d) throw new DataError(`${file}: IDX header is truncated (${head.length} bytes, expected ${4 + 4 * d})`, file);
  const view = Buffer.from(head.buffer, head.byteOffset, 4 + 4 * d);
  const dims = Array.from({ length: d }, (_, i) => view.readUInt32BE(4 + 4 * i));
  return { dims, offset: 4 + 4 * d };
}

function expectSize(file: string, header: IdxHeader, actual: number, gzip = false): void {
  const expected = header.offset + header.dims.reduce((a, b) => a * b, 1);
  if (actual === expected) return;
  const shape = header.dims.join(' x ');
  if (gzip) {
    // The trailer of a cut gzip file is whatever bytes happen to end it.
    throw new DataError(
      `${file}: truncated or corrupt: its gzip trailer gives ${actual} bytes of content, but its header (${shape}) needs ${expected}`,
      file,
    );
  }
  throw new DataError(
    actual < expected
      ? `${file}: truncated: holds ${actual} bytes, but its header (${shape}) needs ${expected}`
      : `${file}: holds ${actual} bytes, but its header (${shape}) needs ${expected}: wrong header or extra data`,
    file,
  );
}

interface IdxPart {
  imagesFile: string;
  labelsFile: string;
  count: number;
  rows: number;
  cols: number;
  labels: Int32Array;
}

function openPart(dir: string, part: Part, classes: number): IdxPart {
  const find = (what: 'images' | 'labels'): string => {
    const names = candidates(part, what);
    const found = names.map((n) => path.join(dir, n)).find((f) => isFile(f));
    if (!found) throw new MissingFile(names[0]!);
    return found;
  };
  const imagesFile = find('images');
  const labelsFile = find('labels');
  const imgHeader = parseHeader(readContentHead(imagesFile, 16), imagesFile, 'images');
  expectSize(imagesFile, imgHeader, contentSize(imagesFile), isGzip(imagesFile));
  const lblBytes = readContent(labelsFile);
  const lblHeader = parseHeader(lblBytes.subarray(0, 8), labelsFile, 'labels');
  expectSize(labelsFile, lblHeader, lblBytes.length);
  const [count, rows, cols] = imgHeader.dims as [number, number, number];
  if (lblHeader.dims[0] !== count) {
    throw new DataError(
      `${labelsFile}: has ${lblHeader.dims[0]} labels but ${path.basename(imagesFile)} has ${count} images; the counts must agree`,
      labelsFile,
    );
  }
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = lblBytes[lblHeader.offset + i]!;
    if (v >= classes) throw new DataError(`${labelsFile}: label ${v} at item ${i} is out of range; expected 0..${classes - 1}`, labelsFile);
    labels[i] = v;
  }
  return { imagesFile, labelsFile, count, rows, cols, labels };
}

class MissingFile extends Error {
  constructor(readonly fileName: string) {
    super(fileName);
  }
}

function sourcePart(p: IdxPart): SourcePart {
  const bytes = p.rows * p.cols;
  return {
    count: p.count,
    labels: p.labels,
    root: p.imagesFile,
    async gather(positions: Int32Array, onProgress?: (done: number, total: number) => void): Promise<Gathered> {
      const slot = slotMap(p.count, positions, p.imagesFile);
      const images = new Uint8Array(positions.length * bytes);
      let done = 0;
      const total = await streamContent(
        p.imagesFile,
        recordReader(
          16,
          bytes,
          (i, record) => {
            images.set(record, slot[i]! * bytes);
            if (++done % 4096 === 0) onProgress?.(done, positions.length);
          },
          (i) => i < p.count && slot[i]! >= 0,
        ),
      );
      expectSize(p.imagesFile, { dims: [p.count, p.rows, p.cols], offset: 16 }, total);
      onProgress?.(positions.length, positions.length);
      return { images, kept: positions, failed: [] };
    },
  };
}

/** Opens the four IDX files in `dir`: headers, sizes and labels are checked, pixels not yet read. */
export function openIdx(kind: IdxKind, dir: string): Source {
  requireFolder(dir, 'data.path', `the folder of the ${kind} IDX files; ${idxDownloadHint(kind)}`);
  const classNames = kind === 'fashion-mnist' ? FASHION_MNIST_CLASSES : MNIST_CLASSES;
  const missing: string[] = [];
  const parts: Partial<Record<Part, IdxPart>> = {};
  for (const part of ['train', 'test'] as const) {
    try {
      parts[part] = openPart(dir, part, classNames.length);
    } catch (err) {
      if (!(err instanceof MissingFile)) throw err;
      missing.push(err.fileName);
      // Report every missing file at once: find the other one of this part too.
      for (const what of ['images', 'labels'] as const) {
        const names = candidates(part, what);
        if (names[0] !== err.fileName && !names.some((n) => isFile(path.join(dir, n)))) missing.push(names[0]!);
      }
    }
  }
  if (missing.length > 0 || !parts.train || !parts.test) {
    throw new DataError(`data.path: ${dir} lacks ${missing.map((m) => `${m}[.gz]`).join(', ')}; ${idxDownloadHint(kind)}`, 'data.path');
  }
  const { train, test } = parts;
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new DataError(
      `${test.imagesFile}: images are ${test.rows}x${test.cols} but the training images are ${train.rows}x${train.cols}; both must have the same size`,
      test.imagesFile,
    );
  }
  return {
    description: `${kind} (${dir})`,
    classNames: [...classNames],
    height: train.rows,
    width: train.cols,
    channels: 1,
    train: sourcePart(train),
    test: sourcePart(test),
    warnings: [],
  };
}
