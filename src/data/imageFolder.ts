// A folder of images with one sub-folder per class (torchvision's ImageFolder layout), with a
// separate test folder or a held-out fraction of each class. Listing is cheap and done first;
// only the images a split keeps are decoded.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataConfig } from '../core/config/schema';
import { Rng } from '../core/random';
import { requireFolder } from './folders';
import { imageSignature } from './imageSignature';
import type { Gathered, Source, SourcePart, SourceWarning } from './source';
import { DataError } from './types';
import { errorReason, openRunFile, readRunFileAsync } from '../core/runFile';

const IMAGE_FILE = /\.(png|jpe?g)$/i;
/** More undecodable images than this fraction of those read refuses the load. */
export const MAX_BAD_IMAGE_FRACTION = 0.1;
/** Files read ahead while decoding (reads overlap, decoding is sequential). */
const READ_AHEAD = 16;

interface ClassFolder {
  name: string;
  /** Image paths relative to the class folder, sorted. */
  files: string[];
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Image files under `dir` (recursively; hidden entries skipped), relative to it, sorted. */
function listImages(dir: string): { images: string[]; others: string[] } {
  const images: string[] = [];
  const others: string[] = [];
  const walk = (rel: string): void => {
    const entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      const isDir = e.isDirectory() || (e.isSymbolicLink() && safeIsDir(path.join(dir, r)));
      if (isDir) walk(r);
      else if (IMAGE_FILE.test(e.name)) images.push(r);
      else others.push(r);
    }
  };
  walk('');
  return { images: images.sort(byCodePoint), others };
}

function safeIsDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function listClasses(root: string, field: 'data.path' | 'data.testPath'): ClassFolder[] {
  const expected = 'one sub-folder per class holding PNG / JPEG images';
  requireFolder(root, field, expected);
  const names = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || (e.isSymbolicLink() && safeIsDir(path.join(root, e.name)))))
    .map((e) => e.name)
    .sort(byCodePoint);
  if (names.length === 0) throw new DataError(`${field}: ${root} has no sub-folders; expected ${expected}`, field);
  return names.map((name) => {
    const dir = path.join(root, name);
    const { images, others } = listImages(dir);
    if (images.length === 0) {
      const seen = others.length > 0 ? ` (it has ${others.length} other file${others.length > 1 ? 's' : ''}, e.g. ${others[0]})` : '';
      throw new DataError(`${dir}: class folder has no images; expected PNG or JPEG files (.png, .jpg, .jpeg)${seen}`, dir);
    }
    return { name, files: images };
  });
}

/** Splits each class's files into train and test by a seeded shuffle; at least one of each. */
function holdOut(
  classes: ClassFolder[],
  fraction: number,
  seed: number,
  warnings: SourceWarning[],
  root: string,
): { train: ClassFolder[]; test: ClassFolder[] } {
  const train: ClassFolder[] = [];
  const test: ClassFolder[] = [];
  for (const c of classes) {
    const n = c.files.length;
    const nTest = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(fraction * n)));
    if (nTest === 0) {
      const where = path.join(root, c.name);
      warnings.push({
        where,
        message: `${where}: only ${n} image, so none is held out for testing (data.holdout); the class is not evaluated`,
      });
    }
    // One stream per class name: adding a class or an image elsewhere leaves this class's split alone.
    const order = Rng.derive(seed, `holdout/${c.name}`).shuffle([...c.files]);
    test.push({ name: c.name, files: order.slice(0, nTest).sort(byCodePoint) });
    train.push({ name: c.name, files: order.slice(nTest).sort(byCodePoint) });
  }
  return { train, test };
}

function folderPart(root: string, classes: ClassFolder[], order: Map<string, number>, size: number, channels: 1 | 3): SourcePart {
  const ordered = classes.filter((c) => c.files.length > 0).sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  const files: string[] = [];
  const labelList: number[] = [];
  for (const c of ordered) {
    for (const f of c.files) {
      files.push(`${c.name}/${f}`);
      labelList.push(order.get(c.name)!);
    }
  }
  return imageFilePart(root, files, Int32Array.from(labelList), size, channels);
}

/**
 * A part made of image files under `root` (image folders, split lists): `gather` reads ahead a
 * few files at a time and decodes each into size x size x channels; files that cannot be read or
 * decoded are left out and reported in `failed`.
 */
export function imageFilePart(root: string, files: string[], labels: Int32Array, size: number, channels: 1 | 3): SourcePart {
  const bytes = size * size * channels;
  return {
    count: files.length,
    labels,
    files,
    root,
    async gather(positions: Int32Array, onProgress?: (done: number, total: number) => void): Promise<Gathered> {
      // Loaded on first use: the CLI and the extension import this module for preflight checks only.
      const { decodeToModelInput } = await import('./imageDecode');
      const out = new Uint8Array(positions.length * bytes);
      const kept: number[] = [];
      const failed: { position: number; reason: string }[] = [];
      for (let b = 0; b < positions.length; b += READ_AHEAD) {
        const batch = Array.from(positions.subarray(b, b + READ_AHEAD));
        const contents = await Promise.all(
          batch.map((p) =>
            readRunFileAsync('data', path.join(root, files[p]!)).then(
              (buf) => ({ buf }),
              (err: Error) => ({ err }),
            ),
          ),
        );
        batch.forEach((p, k) => {
          const r = contents[k]!;
          if ('err' in r) {
            failed.push({ position: p, reason: `cannot read (${errorReason(r.err)})` });
            return;
          }
          try {
            decodeToModelInput(r.buf, size, channels, out, kept.length * bytes);
            kept.push(p);
          } catch (err) {
            failed.push({ position: p, reason: `cannot decode (${(err as Error).message})` });
          }
        });
        onProgress?.(Math.min(b + READ_AHEAD, positions.length), positions.length);
      }
      return { images: failed.length ? out.slice(0, kept.length * bytes) : out, kept: Int32Array.from(kept), failed };
    },
  };
}

/**
 * Lists an image-folder data set. Classes are ordered by their number of training images, most
 * first (ties by name), so class 0 is the head whatever the folder names are.
 */
export function openImageFolder(data: DataConfig): Source {
  if (!data.path) throw new DataError('data.path: required for data.kind "image-folder"', 'data.path');
  const warnings: SourceWarning[] = [];
  const all = listClasses(data.path, 'data.path');
  let trainClasses: ClassFolder[];
  let testClasses: ClassFolder[];
  let testRoot: string;
  if (data.testPath) {
    trainClasses = all;
    testRoot = data.testPath;
    testClasses = listClasses(data.testPath, 'data.testPath');
    const known = new Set(all.map((c) => c.name));
    for (const c of testClasses) {
      if (!known.has(c.name)) {
        throw new DataError(
          `${path.join(data.testPath, c.name)}: test class "${c.name}" has no training folder in ${data.path}; expected the same class folder names (training classes: ${[...known].join(', ')})`,
          path.join(data.testPath, c.name),
        );
      }
    }
    const tested = new Set(testClasses.map((c) => c.name));
    for (const c of all) {
      if (tested.has(c.name)) continue;
      const where = path.join(data.testPath, c.name);
      warnings.push({ where, message: `${where}: no test folder for class "${c.name}"; the class is not evaluated` });
    }
  } else {
    if (!(data.holdout > 0)) {
      throw new DataError(
        'data.holdout: is 0 and data.testPath is not set, so there would be no test images; set data.holdout above 0 (e.g. 0.2) or data.testPath to a folder of test images',
        'data.holdout',
      );
    }
    testRoot = data.path;
    ({ train: trainClasses, test: testClasses } = holdOut(all, data.holdout, data.splitSeed, warnings, data.path));
  }
  if (trainClasses.length < 2) {
    throw new DataError(
      `data.path: ${data.path} has one class folder (${trainClasses[0]?.name}); expected at least two classes`,
      'data.path',
    );
  }
  const ranked = [...trainClasses].sort((a, b) => b.files.length - a.files.length || byCodePoint(a.name, b.name));
  const order = new Map(ranked.map((c, i) => [c.name, i]));
  const size = data.imageSize;
  return {
    description: `image-folder (${data.path}${data.testPath ? `, test ${data.testPath}` : `, ${Math.round(data.holdout * 100)}% held out`}) at ${size}x${size}x${data.channels}`,
    classNames: ranked.map((c) => c.name),
    height: size,
    width: size,
    channels: data.channels,
    train: folderPart(data.path, trainClasses, order, size, data.channels),
    test: folderPart(testRoot, testClasses, order, size, data.channels),
    ...(data.testPath ? {} : { holdout: data.holdout }),
    warnings,
  };
}

/**
 * Cheap check for preflight: the first bytes of every listed file must be a PNG or JPEG
 * signature (decoding everything would cost as much as the load itself).
 */
export function scanSignatures(
  part: SourcePart,
  positions: ArrayLike<number> = Int32Array.from(part.files ?? [], (_, i) => i),
): { position: number; file: string; reason: string }[] {
  const bad: { position: number; file: string; reason: string }[] = [];
  const head = Buffer.alloc(8);
  const files = part.files ?? [];
  for (let i = 0; i < positions.length; i++) {
    const position = positions[i]!;
    const file = path.join(part.root, files[position]!);
    let got: number;
    try {
      const fd = openRunFile('data', file).fd;
      try {
        got = fs.readSync(fd, head, 0, 8, 0);
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      bad.push({ position, file, reason: `cannot read (${errorReason(err)})` });
      continue;
    }
    const bytes = head.subarray(0, got);
    if (!imageSignature(bytes)) {
      const shown = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
      bad.push({ position, file, reason: got === 0 ? 'empty file' : `not a PNG or JPEG file (starts with ${shown})` });
    }
  }
  return bad;
}

/** Refuses a load where too many of the images read could not be decoded. */
export function checkBadImages(failures: { file: string; reason: string }[], attempted: number): void {
  if (failures.length === 0 || failures.length <= MAX_BAD_IMAGE_FRACTION * attempted) return;
  const pct = ((100 * failures.length) / attempted).toFixed(1);
  const shown = failures
    .slice(0, 5)
    .map((f) => `${f.file}: ${f.reason}`)
    .join('; ');
  throw new DataError(
    `data.path: ${failures.length} of ${attempted} images (${pct}%) could not be read, more than ${MAX_BAD_IMAGE_FRACTION * 100}% allowed: ${shown}${failures.length > 5 ? '; ...' : ''}`,
    'data.path',
  );
}
