// Reading data files that may be gzip-compressed (detected by their magic bytes, not their
// name). Every failure is a DataError naming the file, so users see which file to fix.
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { RunFileError, openRunFile, readRunFile } from '../core/runFile';
import { DataError } from './types';

const GZIP_MAGIC = [0x1f, 0x8b];
/** Read size for raw files and the output chunk of streamed gunzip: few calls, small buffers. */
const BLOCK = 4 << 20;

function ioError(file: string, err: unknown): DataError {
  if (err instanceof RunFileError) {
    if (err.problem === 'missing') return new DataError(`${file}: file not found`, file);
    if (/a folder/.test(err.reason)) return new DataError(`${file}: is a folder, expected a file`, file);
    return new DataError(err.message, file);
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new DataError(`${file}: file not found`, file);
  if (code === 'EISDIR') return new DataError(`${file}: is a folder, expected a file`, file);
  return new DataError(`${file}: cannot read (${(err as Error).message})`, file);
}

function gzipError(file: string, err: unknown): DataError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    code === 'Z_BUF_ERROR' || /unexpected end/i.test((err as Error).message)
      ? 'the gzip data ends early (truncated file)'
      : (err as Error).message;
  return new DataError(`${file}: cannot decompress: ${reason}`, file);
}

/**
 * A file descriptor for reading a regular file (a device or FIFO behind a symlink would hang the
 * read); a failure is a DataError naming the file.
 */
export function openForReading(file: string): number {
  try {
    return openRunFile('data', file).fd;
  } catch (err) {
    throw ioError(file, err);
  }
}

function readFirst(file: string, n: number): Buffer {
  const fd = openForReading(file);
  try {
    const buf = Buffer.alloc(n);
    const got = fs.readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } catch (err) {
    throw ioError(file, err);
  } finally {
    fs.closeSync(fd);
  }
}

export function isGzip(file: string): boolean {
  const head = readFirst(file, 2);
  return head.length === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

/**
 * Size of the (uncompressed) content. For gzip this is the trailer's ISIZE (size mod 2^32), so
 * a truncated file usually shows up as a size that disagrees with its header.
 */
export function contentSize(file: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    throw ioError(file, err);
  }
  if (!isGzip(file)) return stat.size;
  if (stat.size < 18) throw new DataError(`${file}: gzip file of ${stat.size} bytes is truncated`, file);
  const fd = openForReading(file);
  try {
    const tail = Buffer.alloc(4);
    fs.readSync(fd, tail, 0, 4, stat.size - 4);
    return tail.readUInt32LE(0);
  } finally {
    fs.closeSync(fd);
  }
}

/** The first `n` bytes of the content (fewer if the content is shorter), decompressing only a prefix. */
export function readContentHead(file: string, n: number): Buffer {
  if (!isGzip(file)) return readFirst(file, n);
  // A compressed prefix big enough for any header; a sync flush returns what it decodes so far.
  const prefix = readFirst(file, Math.max(64 * 1024, n * 2));
  try {
    return zlib.gunzipSync(prefix, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, n);
  } catch (err) {
    throw gzipError(file, err);
  }
}

/** The whole content in one buffer (for small files such as label files and name lists). */
export function readContent(file: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readRunFile('dataSmall', file);
  } catch (err) {
    throw ioError(file, err);
  }
  if (!(bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1])) return bytes;
  try {
    return zlib.gunzipSync(bytes);
  } catch (err) {
    throw gzipError(file, err);
  }
}

/**
 * Streams the content in chunks with their byte offset, so a caller can keep only what it needs
 * (a long-tailed subset) instead of the whole decompressed file. Returns the total size.
 */
export async function streamContent(file: string, onChunk: (chunk: Uint8Array, offset: number) => void): Promise<number> {
  if (isGzip(file)) {
    let offset = 0;
    const input = fs.createReadStream(file, { fd: openForReading(file), highWaterMark: BLOCK });
    const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
    input.on('error', (err) => gunzip.destroy(err));
    input.pipe(gunzip);
    try {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) {
        onChunk(chunk, offset);
        offset += chunk.length;
      }
    } catch (err) {
      input.destroy();
      if (err instanceof DataError) throw err;
      if ((err as NodeJS.ErrnoException).code?.startsWith('Z_') || /unexpected end|incorrect|invalid/i.test((err as Error).message)) {
        throw gzipError(file, err);
      }
      throw ioError(file, err);
    }
    return offset;
  }
  const fd = openForReading(file);
  try {
    const buf = Buffer.allocUnsafe(BLOCK);
    let offset = 0;
    for (;;) {
      const got = fs.readSync(fd, buf, 0, BLOCK, offset);
      if (got === 0) break;
      onChunk(buf.subarray(0, got), offset);
      offset += got;
      // Let signal handlers (SIGINT = stop) run between blocks of a long read.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return offset;
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw ioError(file, err);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Calls `onRecord` for each fixed-size record after a header, in file order, given the chunks
 * of `streamContent`. Records that span two chunks are assembled in a small buffer; the others
 * are passed as views (valid only during the call). `wanted` filters records cheaply.
 */
export function recordReader(
  headerBytes: number,
  recordBytes: number,
  onRecord: (index: number, record: Uint8Array) => void,
  wanted: (index: number) => boolean = () => true,
): (chunk: Uint8Array, offset: number) => void {
  const partial = new Uint8Array(recordBytes);
  return (chunk, offset) => {
    let pos = 0;
    // Skip what is still header.
    if (offset < headerBytes) pos = Math.min(chunk.length, headerBytes - offset);
    while (pos < chunk.length) {
      const rel = offset + pos - headerBytes;
      const index = Math.floor(rel / recordBytes);
      const within = rel - index * recordBytes;
      const take = Math.min(recordBytes - within, chunk.length - pos);
      if (wanted(index)) {
        if (within === 0 && take === recordBytes) {
          onRecord(index, chunk.subarray(pos, pos + recordBytes));
        } else {
          partial.set(chunk.subarray(pos, pos + take), within);
          if (within + take === recordBytes) onRecord(index, partial);
        }
      }
      pos += take;
    }
  };
}
