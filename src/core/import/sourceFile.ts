// Reading a file named for an import: a regular file of bounded size, or a clear message.
import * as fs from 'node:fs';

/** Larger sources are refused rather than read whole into memory. */
export const MAX_SOURCE_BYTES = 1 << 30;

/** Bad input for an import (unreadable file, not a log, ...): the message names the file; nothing was created. */
export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

export function readSourceBytes(file: string): Buffer {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    throw new ImportError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!st.isFile()) throw new ImportError(`${file}: not a regular file`);
  if (st.size > MAX_SOURCE_BYTES) throw new ImportError(`${file}: ${st.size} bytes is more than the ${MAX_SOURCE_BYTES} an import reads`);
  return fs.readFileSync(file);
}

export function readSourceText(file: string): string {
  return readSourceBytes(file).toString('utf8');
}
