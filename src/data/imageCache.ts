// The disk cache of resized images (data.cache "disk"; docs/architecture.md, Data loading): one
// file per (image list, image size), shared by every run that reads the same files at the same
// size. Layout, little-endian:
//
//   0    8  magic "GPACOIMC"
//   8    4  format version (1)
//   12   4  image side (pixels)         16  4  channels (1 or 3)
//   20   4  image count                 24 32  identity: sha256 of the root, size, channels and
//                                               each file's relative path, byte size and mtime
//   56   4  failure table length (bytes)
//   60  32  sha256 of bytes 0..59 (a damaged header is caught)
//   128     count images, size*size*channels bytes each (zero where an image did not decode)
//   then    the failure table: JSON [{ "slot": k, "reason": "..." }]
//
// A file whose header, identity or length does not check out is rebuilt; a file is written to a
// temp name and renamed, so a killed build never leaves a half file under the real name.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicWith } from '../core/atomicWrite';
import type { DecodePool } from './decodePool';
import { DataError } from './types';

const MAGIC = Buffer.from('GPACOIMC', 'latin1');
export const IMAGE_CACHE_VERSION = 1;
export const IMAGE_CACHE_HEADER = 128;
/** Images decoded per chunk while building (two chunks in flight keep every worker busy). */
const BUILD_CHUNK = 256;

export interface CacheRequest {
  /** Folder the files are relative to. */
  root: string;
  /** The files to cache, relative to root, in slot order. */
  files: readonly string[];
  size: number;
  channels: 1 | 3;
}

export interface OpenedCache {
  file: string;
  /** Slots whose image could not be read or decoded (left zero in the file). */
  failed: { slot: number; reason: string }[];
  /** How the file was found: reused, built (none was there) or rebuilt (with the reason). */
  how: { kind: 'reused' } | { kind: 'built' } | { kind: 'rebuilt'; reason: string };
}

/** The identity of a request: changes when a file is added, removed, renamed, resized or touched. */
export function cacheIdentity(r: CacheRequest): Buffer {
  const h = createHash('sha256');
  h.update(`gpaco-image-cache/${IMAGE_CACHE_VERSION}\0${path.resolve(r.root)}\0${r.size}\0${r.channels}\0${r.files.length}\n`);
  for (const rel of r.files) {
    let id: string;
    try {
      const st = fs.statSync(path.join(r.root, rel));
      id = `${st.size}\0${st.mtimeMs}`;
    } catch (err) {
      id = `missing ${(err as NodeJS.ErrnoException).code ?? ''}`;
    }
    h.update(`${rel}\0${id}\n`);
  }
  return h.digest();
}

function header(r: CacheRequest, identity: Buffer, tableBytes: number): Buffer {
  const b = Buffer.alloc(IMAGE_CACHE_HEADER);
  MAGIC.copy(b, 0);
  b.writeUInt32LE(IMAGE_CACHE_VERSION, 8);
  b.writeUInt32LE(r.size, 12);
  b.writeUInt32LE(r.channels, 16);
  b.writeUInt32LE(r.files.length, 20);
  identity.copy(b, 24);
  b.writeUInt32LE(tableBytes, 56);
  createHash('sha256').update(b.subarray(0, 60)).digest().copy(b, 60);
  return b;
}

/** Why an existing cache file cannot be used for `r`, or its failure table when it can. */
export function checkCacheFile(
  file: string,
  r: CacheRequest,
  identity: Buffer,
): { ok: true; failed: OpenedCache['failed'] } | { ok: false; reason: string } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    return { ok: false, reason: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (err as Error).message };
  }
  try {
    const st = fs.fstatSync(fd);
    const h = Buffer.alloc(IMAGE_CACHE_HEADER);
    if (fs.readSync(fd, h, 0, IMAGE_CACHE_HEADER, 0) < IMAGE_CACHE_HEADER)
      return { ok: false, reason: 'the file is shorter than its header' };
    if (!h.subarray(0, 8).equals(MAGIC)) return { ok: false, reason: 'not an image cache file (bad magic)' };
    if (!createHash('sha256').update(h.subarray(0, 60)).digest().equals(h.subarray(60, 92)))
      return { ok: false, reason: 'the header is damaged (checksum)' };
    const version = h.readUInt32LE(8);
    if (version !== IMAGE_CACHE_VERSION) return { ok: false, reason: `format version ${version}, expected ${IMAGE_CACHE_VERSION}` };
    if (h.readUInt32LE(12) !== r.size || h.readUInt32LE(16) !== r.channels || h.readUInt32LE(20) !== r.files.length)
      return { ok: false, reason: 'made for another image size or count' };
    if (!h.subarray(24, 56).equals(identity)) return { ok: false, reason: 'the image files changed' };
    const table = h.readUInt32LE(56);
    const data = IMAGE_CACHE_HEADER + r.files.length * r.size * r.size * r.channels;
    if (st.size !== data + table) return { ok: false, reason: `the file is ${st.size} bytes, expected ${data + table} (truncated?)` };
    const raw = Buffer.alloc(table);
    fs.readSync(fd, raw, 0, table, data);
    const failed = parseTable(raw.toString('utf8'), r.files.length);
    return failed ? { ok: true, failed } : { ok: false, reason: 'the failure table is damaged' };
  } finally {
    fs.closeSync(fd);
  }
}

function parseTable(text: string, count: number): OpenedCache['failed'] | null {
  try {
    const v = JSON.parse(text) as unknown;
    if (!Array.isArray(v)) return null;
    const out: OpenedCache['failed'] = [];
    for (const e of v as unknown[]) {
      const o = e as { slot?: unknown; reason?: unknown };
      if (!(typeof o === 'object' && o !== null && Number.isInteger(o.slot) && typeof o.reason === 'string')) return null;
      if ((o.slot as number) < 0 || (o.slot as number) >= count) return null;
      out.push({ slot: o.slot as number, reason: o.reason });
    }
    return out;
  } catch {
    return null;
  }
}

/** The cache file of `r` in `dir`, named by its identity. */
export function cacheFileOf(dir: string, r: CacheRequest, identity: Buffer): string {
  return path.join(dir, `images-${identity.toString('hex').slice(0, 32)}-${r.size}x${r.size}x${r.channels}.bin`);
}

/**
 * The cache file for `r`: reused when it checks out, else (re)built by decoding every image on
 * the pool, a chunk at a time (memory stays at two chunks whatever the count).
 */
export async function openImageCache(
  dir: string,
  r: CacheRequest,
  pool: DecodePool,
  onProgress?: (done: number, total: number) => void,
): Promise<OpenedCache> {
  const identity = cacheIdentity(r);
  const file = cacheFileOf(dir, r, identity);
  const found = checkCacheFile(file, r, identity);
  if (found.ok) return { file, failed: found.failed, how: { kind: 'reused' } };
  const bytes = r.size * r.size * r.channels;
  const failed: OpenedCache['failed'] = [];
  try {
    fs.mkdirSync(dir, { recursive: true });
    await build(file, r, identity, pool, bytes, failed, onProgress);
  } catch (err) {
    if (!isFileSystemError(err)) throw err;
    throw new DataError(
      `data.cacheDir: cannot write the image cache ${file} (${(err as Error).message}); set data.cacheDir or $GPACO_DATA_CACHE to a writable folder, or use data.cache "none"`,
      'data.cacheDir',
    );
  }
  return { file, failed, how: found.reason === 'missing' ? { kind: 'built' } : { kind: 'rebuilt', reason: found.reason } };
}

/** An error of the file system (a code such as EACCES, ENOSPC, ENOTDIR), not of decoding. */
function isFileSystemError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

async function build(
  file: string,
  r: CacheRequest,
  identity: Buffer,
  pool: DecodePool,
  bytes: number,
  failed: OpenedCache['failed'],
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  await writeFileAtomicWith(file, async (fd) => {
    const n = r.files.length;
    // Two buffers, one decoding while the other is written: nothing is allocated per chunk.
    const buffers = [0, 1].map(() => new SharedArrayBuffer(BUILD_CHUNK * bytes));
    const chunk = (start: number) =>
      pool.decode(
        r.files.slice(start, start + BUILD_CHUNK).map((f) => path.join(r.root, f)),
        r.size,
        r.channels,
        buffers[(start / BUILD_CHUNK) % 2],
      );
    let next = n > 0 ? chunk(0) : null;
    for (let start = 0; start < n; start += BUILD_CHUNK) {
      const got = await next!;
      next = start + BUILD_CHUNK < n ? chunk(start + BUILD_CHUNK) : null;
      writeAll(fd, got.images, IMAGE_CACHE_HEADER + start * bytes);
      for (const f of got.failed) failed.push({ slot: start + f.k, reason: f.reason });
      onProgress?.(Math.min(start + BUILD_CHUNK, n), n);
    }
    const table = Buffer.from(JSON.stringify(failed), 'utf8');
    writeAll(fd, table, IMAGE_CACHE_HEADER + n * bytes);
    // The header last: a file is only complete once it is there (the rename makes it visible).
    writeAll(fd, header(r, identity, table.length), 0);
  });
}

function writeAll(fd: number, data: Uint8Array, at: number): void {
  let done = 0;
  while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done, at + done);
}

/** Reads cached images by slot; one descriptor, closed by close(). */
export class ImageCacheReader {
  private readonly handle: Promise<fs.promises.FileHandle>;

  constructor(
    file: string,
    private readonly bytes: number,
  ) {
    this.handle = fs.promises.open(file, 'r');
  }

  /** The images at `slots`, one after another. */
  async read(slots: ArrayLike<number>): Promise<Uint8Array> {
    const fh = await this.handle;
    const out = new Uint8Array(slots.length * this.bytes);
    const reads: Promise<unknown>[] = [];
    for (let k = 0; k < slots.length; k++) {
      reads.push(fh.read(out, k * this.bytes, this.bytes, IMAGE_CACHE_HEADER + slots[k]! * this.bytes));
    }
    await Promise.all(reads);
    return out;
  }

  async close(): Promise<void> {
    await (await this.handle).close();
  }
}
