// Where a worker thread's script is: the bundle next to the running bundle (dist/NAME.js), or the
// TypeScript source under tsx (tests, benchmarks), which the worker loads through tsx's require hook.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

export interface WorkerScript {
  /** A file name, or code to evaluate when `eval` is true. */
  file: string;
  eval: boolean;
}

/**
 * `dir` is the caller's __dirname (dist/ once bundled, the source folder under tsx); `bundled` the
 * bundle's file name in dist/ and `source` the entry's file name beside the caller's source.
 */
export function workerScript(dir: string, bundled: string, source: string): WorkerScript {
  const bundle = path.join(dir, bundled);
  if (fs.existsSync(bundle)) return { file: bundle, eval: false };
  const entry = path.join(dir, source);
  if (!fs.existsSync(entry)) throw new Error(`the worker script is missing (looked for ${bundle}); run \`npm run build\``);
  const tsx = createRequire(__filename).resolve('tsx/cjs');
  return { file: `require(${JSON.stringify(tsx)}); require(${JSON.stringify(entry)});`, eval: true };
}
