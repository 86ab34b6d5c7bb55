// One bundler for every part (docs/architecture.md): Node bundles (CJS) for the trainer, the CLI
// and the extension; browser bundles (ESM) for the webview. The wasm binaries of TensorFlow.js
// are copied next to the trainer so a packaged extension needs no network.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** Native or optional packages resolved at run time, never bundled (docs/architecture.md, Backends). */
const runtimeExternals = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu', 'vscode'];

const nodeEntries = [
  { in: 'src/trainer/main.ts', out: 'trainer' },
  // Worker threads of the trainer (src/trainer/parallel): loaded by dist/trainer.js from its own folder.
  { in: 'src/trainer/parallel/workerEntry.ts', out: 'trainer-worker' },
  // Decode threads of streamed data sets (src/data/decodePool.ts): loaded by dist/trainer.js from its own folder.
  { in: 'src/data/decodeWorkerEntry.ts', out: 'decode-worker' },
  { in: 'src/cli/main.ts', out: 'cli' },
  { in: 'src/extension/extension.ts', out: 'extension' },
].filter((e) => fs.existsSync(path.join(root, e.in)));

const webEntries = [
  { in: 'webview/src/dashboard.ts', out: 'webview/dashboard' },
  { in: 'webview/src/experiments.ts', out: 'webview/experiments' },
].filter((e) => fs.existsSync(path.join(root, e.in)));

const common = {
  absWorkingDir: root,
  bundle: true,
  sourcemap: true,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const builds = [];
if (nodeEntries.length) {
  builds.push({
    ...common,
    entryPoints: nodeEntries,
    outdir: dist,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: runtimeExternals,
    // jsonc-parser's "main" is a UMD build whose dynamic require('./impl/format') esbuild cannot
    // follow; its ESM build bundles cleanly.
    alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
    // tfjs probes for these optional Node modules; they are not needed in Node >= 18.
    define: { 'process.env.NODE_ENV': production ? '"production"' : '"development"' },
  });
}
if (webEntries.length) {
  builds.push({
    ...common,
    entryPoints: webEntries,
    outdir: dist,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    loader: { '.css': 'text' },
  });
}

function copyWasm() {
  const src = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  fs.mkdirSync(dist, { recursive: true });
  for (const f of fs.readdirSync(src)) if (f.endsWith('.wasm')) fs.copyFileSync(path.join(src, f), path.join(dist, f));
}

const started = Date.now();
copyWasm();
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('watching for changes...');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  console.log(`built ${[...nodeEntries, ...webEntries].map((e) => `dist/${e.out}.js`).join(', ')} in ${Date.now() - started} ms`);
}
