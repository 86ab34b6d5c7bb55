// Assembles what scripts/gpu-check.sh needs on a GPU machine that has no Node, no npm and no
// network, into .gpu-check/ (git-ignored), at most 64 MiB:
//   node.xz          this machine's Node binary, xz-compressed
//   app.tar.xz       dist/ with trainer, trainer worker, CLI, the training benchmark and the GPU
//                    probe as minified bundles, the tfjs .wasm files, Dawn for linux-x64
//                    (dist/node_modules/webgpu) and the golden loss cases
//   debs/*.deb       the Vulkan loader (libvulkan1, amd64), unpacked there only if it has none
//
//   node scripts/gpu-check-prepare.mjs [--out DIR] [--no-debs]
// Then on the GPU machine, from the repository root: bash scripts/gpu-check.sh
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { stageDawn } from './package-webgpu.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const outArg = argv.indexOf('--out');
const out = path.resolve(root, outArg >= 0 ? argv[outArg + 1] : '.gpu-check');
const LIMIT = 64 * 2 ** 20;
const t0 = Date.now();
const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-gpu-check-'));
const dist = path.join(stage, 'dist');

// 1. Bundles (the same settings as scripts/build.mjs, minified, no source maps).
await esbuild.build({
  absWorkingDir: root,
  entryPoints: [
    { in: 'src/trainer/main.ts', out: 'trainer' },
    { in: 'src/trainer/parallel/workerEntry.ts', out: 'trainer-worker' },
    { in: 'src/data/decodeWorkerEntry.ts', out: 'decode-worker' },
    { in: 'src/cli/main.ts', out: 'cli' },
    { in: 'scripts/bench-train.ts', out: 'bench-train' },
    { in: 'scripts/gpu-probe.ts', out: 'gpu-probe' },
  ],
  outdir: dist,
  bundle: true,
  minify: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'error',
  legalComments: 'none',
  external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu', 'vscode'],
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  define: { 'process.env.NODE_ENV': '"production"' },
});
const wasmSrc = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
for (const f of fs.readdirSync(wasmSrc)) if (f.endsWith('.wasm')) fs.copyFileSync(path.join(wasmSrc, f), path.join(dist, f));
// stageDawn also lists the package in a staged extension manifest: give it one, then drop it.
fs.writeFileSync(path.join(stage, 'package.json'), '{}\n');
const dawn = stageDawn(root, stage, 'linux-x64');
fs.rmSync(path.join(stage, 'package.json'));
fs.copyFileSync(path.join(root, 'test/fixtures/losses/gpaco_loss_cases.json'), path.join(stage, 'gpaco_loss_cases.json'));
console.log(`bundles, wasm, Dawn (${mib(dawn)}) staged`);

// 2. Compressed archives.
execFileSync('tar', ['-cJf', path.join(out, 'app.tar.xz'), '-C', stage, '.'], { env: { ...process.env, XZ_OPT: '-9 -T2' } });
fs.rmSync(stage, { recursive: true, force: true });
fs.writeFileSync(path.join(out, 'node.xz'), execFileSync('xz', ['-9', '-T2', '-c', process.execPath], { maxBuffer: 512 * 2 ** 20 }));
fs.writeFileSync(path.join(out, 'node.version'), `${process.version}\n`);

// 3. The Vulkan loader, with a private apt state (the system's apt configuration is left alone).
if (!argv.includes('--no-debs')) {
  const lists = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-apt-'));
  fs.mkdirSync(path.join(lists, 'partial'));
  const o = ['-o', 'APT::Architecture=amd64', '-o', 'APT::Architectures=amd64', '-o', `Dir::State::Lists=${lists}`];
  const debs = path.join(out, 'debs');
  fs.mkdirSync(debs);
  const update = spawnSync('apt-get', [...o, 'update'], { stdio: 'ignore' });
  const got = update.status === 0 && spawnSync('apt-get', [...o, 'download', 'libvulkan1'], { cwd: debs, stdio: 'ignore' }).status === 0;
  fs.rmSync(lists, { recursive: true, force: true });
  console.log(
    got
      ? `Vulkan loader: ${fs.readdirSync(debs).join(', ')}`
      : 'Vulkan loader: could not download libvulkan1 (no network?); the GPU machine must have one',
  );
}

let total = 0;
for (const f of fs.readdirSync(out, { recursive: true })) {
  const p = path.join(out, f);
  if (fs.statSync(p).isFile()) total += fs.statSync(p).size;
}
for (const f of ['node.xz', 'app.tar.xz']) console.log(`  ${f} ${mib(fs.statSync(path.join(out, f)).size)}`);
console.log(`${path.relative(root, out)}/: ${mib(total)} of the ${mib(LIMIT)} limit (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
if (total > LIMIT) {
  console.error('too large for the device machine');
  process.exit(1);
}
