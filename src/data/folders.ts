// Small file-system checks shared by the readers; messages name the config field and the path.
import * as fs from 'node:fs';
import { DataError } from './types';

/** Throws unless `dir` is an existing folder; `what` says what it should hold. */
export function requireFolder(dir: string, field: string, what: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new DataError(`${field}: ${dir} does not exist; expected ${what}`, field);
  }
  if (!stat.isDirectory()) throw new DataError(`${field}: ${dir} is not a folder; expected ${what}`, field);
}

export function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function isFolder(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
