// Writers of small data files in the real formats (IDX raw / gzip, CIFAR binary, PNG, JPEG),
// used by the data tests to make their fixtures in temporary folders at run time.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as jpeg from 'jpeg-js';
import { validateConfig } from '../../../src/core/config/validate';
import type { Config } from '../../../src/core/config/schema';
import { DataError } from '../../../src/data/index';

/** A full config from a partial `data` section (validated like a user's file, paths not checked). */
export function configWith(data: Record<string, unknown>): Config {
  const r = validateConfig({ data }, { checkPaths: false });
  if (!r.ok) throw new Error(`bad test config: ${JSON.stringify(r.errors)}`);
  return r.config;
}

/** Pixel j of image i: a pattern that tells images apart after any reordering. */
export function pixelOf(i: number, j: number): number {
  return (i * 7 + j * 3 + (i >> 8)) & 255;
}

// ---------------------------------------------------------------------------------------------
// IDX

export function idxBytes(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x800 + dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

export interface IdxPartSpec {
  labels: number[];
  rows?: number;
  cols?: number;
}

/** Images whose pixels follow pixelOf(i + offset, j). */
export function idxImages(count: number, rows: number, cols: number, offset = 0): Uint8Array {
  const px = rows * cols;
  const out = new Uint8Array(count * px);
  for (let i = 0; i < count; i++) for (let j = 0; j < px; j++) out[i * px + j] = pixelOf(i + offset, j);
  return out;
}

/** Writes the four IDX files; `gzip` picks compressed (.gz) or raw files. Returns the paths. */
export function writeIdxSet(
  dir: string,
  spec: { train: IdxPartSpec; test: IdxPartSpec; gzip: boolean; rows?: number; cols?: number },
): Record<string, string> {
  const rows = spec.rows ?? 4;
  const cols = spec.cols ?? 3;
  const out: Record<string, string> = {};
  for (const [part, prefix, offset] of [
    ['train', 'train', 0],
    ['test', 't10k', 100000],
  ] as const) {
    const p = spec[part];
    const r = p.rows ?? rows;
    const c = p.cols ?? cols;
    const files = {
      images: [`${prefix}-images-idx3-ubyte`, idxBytes([p.labels.length, r, c], idxImages(p.labels.length, r, c, offset))],
      labels: [`${prefix}-labels-idx1-ubyte`, idxBytes([p.labels.length], Uint8Array.from(p.labels))],
    } as const;
    for (const [what, [name, bytes]] of Object.entries(files)) {
      const file = path.join(dir, spec.gzip ? `${name}.gz` : name);
      fs.writeFileSync(file, spec.gzip ? zlib.gzipSync(bytes) : bytes);
      out[`${part}-${what}`] = file;
    }
  }
  return out;
}

/** `perClass` labels for each of `classes` classes, interleaved (0, 1, 2, ..., 0, 1, 2, ...). */
export function balancedLabels(classes: number, perClass: number): number[] {
  return Array.from({ length: classes * perClass }, (_, i) => i % classes);
}

// ---------------------------------------------------------------------------------------------
// CIFAR binary

/** Pixel of record i, channel c, pixel p (planar order in the file). */
export function cifarPixel(i: number, c: number, p: number): number {
  return (i * 13 + c * 85 + p) & 255;
}

/**
 * One CIFAR binary file: records of label byte(s) + 3072 planar pixels. With `pixels: false`
 * the pixels stay zero (fast, for the big split tests).
 */
export function cifarFile(labels: number[][], offset: number, pixels = true): Buffer {
  const labelBytes = labels[0]!.length;
  const rec = labelBytes + 3072;
  const buf = Buffer.alloc(labels.length * rec);
  labels.forEach((ls, i) => {
    const at = i * rec;
    ls.forEach((l, k) => (buf[at + k] = l));
    if (pixels)
      for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) buf[at + labelBytes + c * 1024 + p] = cifarPixel(i + offset, c, p);
  });
  return buf;
}

export function writeCifar10(
  dir: string,
  batches: number[][],
  test: number[],
  opts: { pixels?: boolean; meta?: string[] | null } = {},
): void {
  fs.mkdirSync(dir, { recursive: true });
  let offset = 0;
  batches.forEach((labels, b) => {
    fs.writeFileSync(
      path.join(dir, `data_batch_${b + 1}.bin`),
      cifarFile(
        labels.map((l) => [l]),
        offset,
        opts.pixels ?? true,
      ),
    );
    offset += labels.length;
  });
  fs.writeFileSync(
    path.join(dir, 'test_batch.bin'),
    cifarFile(
      test.map((l) => [l]),
      100000,
      opts.pixels ?? true,
    ),
  );
  if (opts.meta !== null)
    fs.writeFileSync(
      path.join(dir, 'batches.meta.txt'),
      `${(opts.meta ?? ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']).join('\n')}\n\n`,
    );
}

export function writeCifar100(dir: string, train: [number, number][], test: [number, number][], opts: { names?: boolean } = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'train.bin'), cifarFile(train, 0));
  fs.writeFileSync(path.join(dir, 'test.bin'), cifarFile(test, 100000));
  if (opts.names ?? true) {
    fs.writeFileSync(path.join(dir, 'fine_label_names.txt'), `${Array.from({ length: 100 }, (_, i) => `fine${i}`).join('\n')}\n`);
    fs.writeFileSync(path.join(dir, 'coarse_label_names.txt'), `${Array.from({ length: 20 }, (_, i) => `coarse${i}`).join('\n')}\n`);
  }
}

// ---------------------------------------------------------------------------------------------
// PNG (written by hand, so the decoder is tested against an independent encoder)

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

const COLOR_TYPE: Record<number, number> = { 1: 0, 2: 4, 3: 2, 4: 6 };

/** PNG of 8- or 16-bit samples; `data` is row-major, `channels` per pixel (16-bit: big-endian pairs). */
export function encodePng(width: number, height: number, channels: 1 | 2 | 3 | 4, data: Uint8Array, bitDepth: 8 | 16 = 8): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = COLOR_TYPE[channels]!;
  const stride = width * channels * (bitDepth / 8);
  const raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** A solid-colour RGB PNG. */
export function solidPng(width: number, height: number, rgb: [number, number, number]): Buffer {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return encodePng(width, height, 3, data);
}

const jpegCache = new Map<string, Buffer>();

/** A solid-colour JPEG (quality 95; flat colours survive JPEG almost exactly). */
export function solidJpeg(width: number, height: number, rgb: [number, number, number]): Buffer {
  // jpeg-js builds its tables on every call (tens of ms): encode each distinct image once.
  const key = `${width}x${height}:${rgb.join(',')}`;
  let bytes = jpegCache.get(key);
  if (!bytes) {
    const data = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) data.set([...rgb, 255], i * 4);
    bytes = jpeg.encode({ width, height, data }, 95).data;
    jpegCache.set(key, bytes);
  }
  return bytes;
}

/** Writes `<root>/<class>/<name>` files. */
export function writeTree(root: string, files: Record<string, Uint8Array | string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

/** The DataError a load or preflight fails with (the test fails if it succeeds or throws something else). */
export async function errorOf(p: Promise<unknown>): Promise<DataError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof DataError, `expected a DataError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the load to fail');
}
