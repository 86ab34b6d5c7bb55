// The one guarded way to read a file from a workspace (run folders, configs, data sets): only a
// regular file is read (a symlink to /dev/zero, a FIFO or a device would hang or never end),
// and never more than its kind's size cap. See docs/run-folder.md ("Reading run files").
import * as fs from 'node:fs';

const MiB = 1024 * 1024;

/**
 * Size caps per kind of file, far above real data: an eval file of 1,000 classes is a few MB,
 * of 8,142 classes (dense) some hundred MB; run.json holds one config.
 */
export const RUN_FILE_CAPS = {
  run: 4 * MiB,
  config: 4 * MiB,
  classes: 64 * MiB,
  checkpointIndex: 16 * MiB,
  checkpointManifest: 64 * MiB,
  checkpointWeights: 8192 * MiB,
  eval: 512 * MiB,
  sweep: 4 * MiB,
  meta: 256 * 1024,
  marker: 64 * 1024,
  splitFile: 256 * MiB,
  /** Label files, class-name lists and other data read whole. */
  dataSmall: 1024 * MiB,
  /** Image and array files read whole or streamed (the cap guards against devices, not size). */
  data: Number.MAX_SAFE_INTEGER,
  /** Appended or tailed files (metrics.jsonl, trainer.log): read in bounded chunks. */
  tail: Number.MAX_SAFE_INTEGER,
} as const;
export type RunFileKind = keyof typeof RUN_FILE_CAPS;

export type RunFileProblem = 'missing' | 'not-regular' | 'too-large' | 'io' | 'not-json' | 'schema';

/** A run file that is missing, not a regular file, too large, not JSON, or off its schema. */
export class RunFileError extends Error {
  constructor(
    readonly file: string,
    /** What is wrong, without the file name. */
    readonly reason: string,
    readonly problem: RunFileProblem = 'schema',
  ) {
    super(`${file}: ${reason}`);
    this.name = 'RunFileError';
  }
}

/** An error's message without the file name a `RunFileError` puts in front. */
export function errorReason(err: unknown): string {
  return err instanceof RunFileError ? err.reason : err instanceof Error ? err.message : String(err);
}

// O_NONBLOCK: opening a FIFO for reading must not wait for a writer (fstat then refuses it).
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a plain file';
}

function megabytes(n: number): string {
  return n >= MiB ? `${(n / MiB).toFixed(n >= 10 * MiB ? 0 : 1)} MB` : `${n} bytes`;
}

export interface OpenRunFile {
  fd: number;
  size: number;
}

/**
 * Opens `file` for reading after checking, on the opened descriptor, that it is a regular file
 * within the cap of `kind`. Throws `RunFileError`; the caller closes `fd`.
 */
export function openRunFile(kind: RunFileKind, file: string): OpenRunFile {
  let fd: number;
  try {
    fd = fs.openSync(file, OPEN_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new RunFileError(file, 'cannot read: the file does not exist', 'missing');
    if (code === 'EISDIR') throw new RunFileError(file, 'not a regular file (a folder)', 'not-regular');
    if (code === 'ENXIO') throw new RunFileError(file, 'not a regular file (a socket or device)', 'not-regular');
    throw new RunFileError(file, `cannot read: ${(err as Error).message}`, 'io');
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new RunFileError(file, `not a regular file (${kindOf(st)})`, 'not-regular');
    const cap = RUN_FILE_CAPS[kind];
    if (st.size > cap)
      throw new RunFileError(file, `too large (${megabytes(st.size)}; at most ${megabytes(cap)} for this file)`, 'too-large');
    return { fd, size: st.size };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

/** The bytes of a regular file within the cap of `kind` (a file that grows meanwhile is cut at the cap). */
export function readRunFile(kind: RunFileKind, file: string): Buffer {
  const { fd, size } = openRunFile(kind, file);
  try {
    const cap = RUN_FILE_CAPS[kind];
    // Read to the end (a file may grow after fstat), stopping one byte past the cap.
    const chunks: Buffer[] = [];
    let got = 0;
    let want = Math.min(size + 1, cap + 1, 2 ** 30);
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.max(want, 1));
      const n = fs.readSync(fd, buf, 0, buf.length, got);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      got += n;
      if (got > cap) throw new RunFileError(file, `too large (more than ${megabytes(cap)} for this file)`, 'too-large');
      // A short read that reached the size fstat gave is the end of the file: no second read
      // call to be told so (one call per file matters when a table reads thousands of them).
      if (n < buf.length && got >= size) break;
      want = Math.min(cap + 1 - got, 4 * MiB);
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, got);
  } catch (err) {
    if (err instanceof RunFileError) throw err;
    throw new RunFileError(file, `cannot read: ${(err as Error).message}`, 'io');
  } finally {
    fs.closeSync(fd);
  }
}

/** `readRunFile` as UTF-8 text. */
export function readRunText(kind: RunFileKind, file: string): string {
  return readRunFile(kind, file).toString('utf8');
}

/** `readRunFile` parsed as JSON; a parse failure is a `RunFileError` naming the file. */
export function readRunJson(kind: RunFileKind, file: string): unknown {
  const text = readRunText(kind, file);
  const depth = jsonDepth(text);
  if (depth > MAX_JSON_DEPTH)
    throw new RunFileError(
      file,
      `nested ${depth > 100_000 ? 'more than 100000' : depth} levels deep (at most ${MAX_JSON_DEPTH})`,
      'schema',
    );
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new RunFileError(file, `not valid JSON: ${(err as Error).message}`, 'not-json');
  }
}

/** No run file nests this deep; deeper values would overflow the stack of any recursive reader. */
export const MAX_JSON_DEPTH = 64;

/** Deepest nesting of `[` / `{` outside strings (one pass; stops counting past 100,000). */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
      if (max > 100_000) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** `readRunJson`, or `undefined` when the file does not exist. */
export function readRunJsonIfExists(kind: RunFileKind, file: string): unknown {
  try {
    return readRunJson(kind, file);
  } catch (err) {
    if (err instanceof RunFileError && err.problem === 'missing') return undefined;
    throw err;
  }
}

/** `readRunFile` without blocking the event loop (many files read in parallel, e.g. images). */
export async function readRunFileAsync(kind: RunFileKind, file: string): Promise<Buffer> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, OPEN_FLAGS);
  } catch {
    // The synchronous path words every open failure the same way.
    return readRunFile(kind, file);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new RunFileError(file, `not a regular file (${kindOf(st)})`, 'not-regular');
    const cap = RUN_FILE_CAPS[kind];
    if (st.size > cap)
      throw new RunFileError(file, `too large (${megabytes(st.size)}; at most ${megabytes(cap)} for this file)`, 'too-large');
    const buf = Buffer.allocUnsafe(st.size);
    let got = 0;
    while (got < st.size) {
      const { bytesRead } = await handle.read(buf, got, st.size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  } catch (err) {
    if (err instanceof RunFileError) throw err;
    throw new RunFileError(file, `cannot read: ${(err as Error).message}`, 'io');
  } finally {
    await handle.close();
  }
}
