// Dawn for Node (npm `webgpu`) inside the .vsix. The trainer bundle keeps `webgpu` external (a
// native addon cannot be bundled), and the package is built with --no-dependencies, so the
// files the trainer needs are staged next to it as dist/node_modules/webgpu (Node resolves
// import('webgpu') from dist/trainer.js there; so does the trainer's own search of its folder).
//
// Decision: one .vsix per platform (`vsce package --target`). All five Dawn builds together are
// ~51 MB compressed (Windows ~14-16 MB each, because of the DirectX shader compilers); one
// platform adds 6-16 MB to the ~1.4 MB extension, so a user downloads about a fifth. Each file
// installs offline on its platform. The `universal` package carries no Dawn (for platforms Dawn
// does not support: Alpine / musl, linux-armhf, or to keep it small); WebGPU then needs
// `npm install webgpu@<version>` in the folder named by gpaco.nativeModulesPath.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** vsce target -> the folder of the webgpu package's dist/ that serves it (null: none). */
export const DAWN_DIRS = {
  'linux-x64': 'linux-x64',
  'linux-arm64': 'linux-arm64',
  'darwin-x64': 'darwin-universal',
  'darwin-arm64': 'darwin-universal',
  'win32-x64': 'win32-x64',
  'win32-arm64': 'win32-arm64',
  'linux-armhf': null,
  'alpine-x64': null,
  'alpine-arm64': null,
  universal: null,
};

/** The vsce target of the machine running the script. */
export function hostTarget() {
  const t = `${process.platform}-${process.arch}`;
  return t in DAWN_DIRS ? t : 'universal';
}

/**
 * Copies what `import('webgpu')` needs for `target` into <stage>/dist/node_modules/webgpu:
 * package.json, index.js, the license and that platform's dist/ folder (nothing else of the
 * package runs at run time). Returns the bytes staged (0 for targets without Dawn).
 */
export function stageDawn(root, stage, target) {
  if (!(target in DAWN_DIRS)) throw new Error(`unknown target "${target}"; one of ${Object.keys(DAWN_DIRS).join(', ')}`);
  const dir = DAWN_DIRS[target];
  if (!dir) return 0;
  const src = path.join(root, 'node_modules', 'webgpu');
  const dst = path.join(stage, 'dist', 'node_modules', 'webgpu');
  if (!fs.existsSync(path.join(src, 'dist', dir))) throw new Error(`node_modules/webgpu/dist/${dir} is missing: run npm ci`);
  fs.mkdirSync(path.join(dst, 'dist', dir), { recursive: true });
  let bytes = 0;
  const copy = (rel) => {
    fs.copyFileSync(path.join(src, rel), path.join(dst, rel));
    bytes += fs.statSync(path.join(dst, rel)).size;
  };
  // "type": "module" must stay: index.js is an ES module.
  const pkg = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8'));
  const slim = { name: pkg.name, version: pkg.version, license: pkg.license, type: pkg.type, main: pkg.main };
  fs.writeFileSync(path.join(dst, 'package.json'), `${JSON.stringify(slim, null, 2)}\n`);
  for (const f of ['index.js', 'LICENSE.md']) copy(f);
  for (const f of fs.readdirSync(path.join(src, 'dist', dir))) copy(path.join('dist', dir, f));
  // vsce packs what the manifest's "files" names: add the staged package (in the staged manifest only).
  const manifest = path.join(stage, 'package.json');
  const m = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  m.files = [...(m.files ?? []), 'dist/node_modules/webgpu/**'];
  fs.writeFileSync(manifest, `${JSON.stringify(m, null, 2)}\n`);
  return bytes;
}
