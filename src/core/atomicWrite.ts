// Atomic file replacement (docs/run-folder.md): a reader sees either the old file or the new
// one, never a half-written one, even if the writer is killed mid-write.
import * as fs from 'node:fs';
import * as path from 'node:path';

let counter = 0;

/** A temp file beside `file`, open for writing; `commit` makes it `file`, `abandon` removes it. */
interface TempFile {
  fd: number;
  commit(): void;
  abandon(): void;
}

function openTemp(file: string): TempFile {
  const dir = path.dirname(file);
  // Same folder as the target so the rename never crosses a file system; pid + counter keep
  // concurrent writers (trainer and launcher) from sharing a temp name.
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${++counter}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  let open = true;
  return {
    fd,
    commit() {
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      open = false;
      renameWithRetry(tmp, file);
      syncDirectory(dir);
    },
    abandon() {
      if (open) fs.closeSync(fd);
      open = false;
      fs.rmSync(tmp, { force: true });
    },
  };
}

/** Writes `data` to a temp file in the same folder, fsyncs it, then renames it over `file`. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const temp = openTemp(file);
  try {
    let written = 0;
    while (written < bytes.length) written += fs.writeSync(temp.fd, bytes, written, bytes.length - written);
    temp.commit();
  } catch (err) {
    temp.abandon();
    throw err;
  }
}

/**
 * `writeFileAtomic` for a file too big to hold in memory: `write` fills the temp file through its
 * descriptor (positioned writes, any order); it is then fsynced and renamed over `file`. Nothing
 * is left behind if `write` throws.
 */
export async function writeFileAtomicWith(file: string, write: (fd: number) => Promise<void>): Promise<void> {
  const temp = openTemp(file);
  try {
    await write(temp.fd);
    temp.commit();
  } catch (err) {
    temp.abandon();
    throw err;
  }
}

/** `writeFileAtomic` of pretty-printed JSON with a final newline. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

// On Windows a rename over a file that a reader holds open fails briefly with EPERM / EBUSY.
function renameWithRetry(from: string, to: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.renameSync(from, to);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (attempt >= 20 || (code !== 'EPERM' && code !== 'EBUSY' && code !== 'EACCES')) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 * (attempt + 1));
    }
  }
}

// Makes the rename itself durable; not possible (nor needed) on every platform.
function syncDirectory(dir: string): void {
  if (process.platform === 'win32') return;
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the data itself is already synced.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** `writeOutputFile` was given a folder. */
export class OutputIsFolderError extends Error {}

/**
 * Writes a file a user named (`--out FILE`): a regular file (or a new one) is replaced
 * atomically; an existing device, FIFO or socket (e.g. /dev/null, a pipe a reader waits on) is
 * written into directly, never replaced by a regular file; a folder is refused.
 */
export function writeOutputFile(file: string, data: string | Uint8Array): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (st?.isDirectory()) throw new OutputIsFolderError(`${file} is a folder; give a file name`);
  if (st && !st.isFile()) {
    fs.writeFileSync(file, data);
    return;
  }
  // A symlink to a regular file: replace the file it points to, keeping the link.
  writeFileAtomic(st ? fs.realpathSync(file) : file, data);
}
