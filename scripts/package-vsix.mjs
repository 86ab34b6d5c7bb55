// Packages the extension as a .vsix with @vscode/vsce, offline: the files named by package.json
// "files" are staged into .cache/vsix-stage first, because vsce walks the whole folder it runs in
// (here that would include node_modules and the code-server test install: ~50 s instead of ~3 s).
//   node scripts/package-vsix.mjs [--out FILE] [--target T | --all-targets]
//                                                    (npm run package: production build first)
// --target: a platform-specific package with that platform's Dawn (WebGPU) binaries; default
// the machine's own platform; `universal` has none (scripts/package-webgpu.mjs says why).
// --all-targets: gpaco-lab-<target>.vsix for every platform Dawn supports, plus universal.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAWN_DIRS, hostTarget, stageDawn } from './package-webgpu.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function globToRegExp(glob) {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else re += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function listFiles(dir, rel = '') {
  const out = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else out.push(r);
  }
  return out;
}

/** Stages the package's files and runs vsce; returns the .vsix path. */
export function packageVsix(out = path.join(root, 'gpaco-lab.vsix'), target = hostTarget()) {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const stage = path.join(root, '.cache', `vsix-stage-${process.pid}`);
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  try {
    fs.copyFileSync(path.join(root, 'package.json'), path.join(stage, 'package.json'));
    for (const pattern of pkg.files ?? []) {
      const base = pattern.split('/').findIndex((s) => s.includes('*'));
      const top = base < 0 ? pattern : pattern.split('/').slice(0, base).join('/');
      if (!fs.existsSync(path.join(root, top))) continue;
      const candidates = fs.statSync(path.join(root, top)).isDirectory()
        ? listFiles(path.join(root, top)).map((f) => `${top}/${f}`)
        : [top];
      const re = globToRegExp(pattern);
      for (const f of candidates.filter((c) => re.test(c))) {
        fs.mkdirSync(path.dirname(path.join(stage, f)), { recursive: true });
        fs.copyFileSync(path.join(root, f), path.join(stage, f));
      }
    }
    if (!fs.existsSync(path.join(stage, 'dist', 'extension.js')))
      throw new Error('dist/extension.js is missing: build first (npm run build)');
    stageDawn(root, stage, target);
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    const vsce = path.join(root, 'node_modules', '.bin', 'vsce');
    // --allow-unused-files-pattern: "files" may name optional files (LICENSE, CSS) not present yet.
    // --no-rewrite-relative-links: there is no public repository to point README images at; the
    // screenshot travels in the package (docs/dashboard.png) and resolves next to the README.
    const targetArgs = target === 'universal' ? [] : ['--target', target];
    const r = spawnSync(
      vsce,
      [
        'package',
        '--no-dependencies',
        '--allow-missing-repository',
        '--no-rewrite-relative-links',
        '--skip-license',
        '--allow-unused-files-pattern',
        ...targetArgs,
        '-o',
        path.resolve(out),
      ],
      { cwd: stage, encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`vsce package failed:\n${r.stdout}\n${r.stderr}`);
    return path.resolve(out);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const t = process.argv.indexOf('--target');
  try {
    const jobs = process.argv.includes('--all-targets')
      ? Object.keys(DAWN_DIRS)
          .filter((k) => DAWN_DIRS[k] || k === 'universal')
          .map((k) => [path.join(root, `gpaco-lab-${k}.vsix`), k])
      : [
          [
            i > 0 ? process.argv[i + 1] : t > 0 ? path.join(root, `gpaco-lab-${process.argv[t + 1]}.vsix`) : undefined,
            t > 0 ? process.argv[t + 1] : undefined,
          ],
        ];
    for (const [out, target] of jobs) {
      const file = packageVsix(out, target);
      console.log(`${path.relative(process.cwd(), file)}: ${(fs.statSync(file).size / 1024).toFixed(0)} KiB (${target ?? hostTarget()})`);
    }
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
