// Reading a JSON file a test made or a program under test wrote, typed by the caller.
import * as fs from 'node:fs';

export function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}
