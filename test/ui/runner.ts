// UI tests (node:test + playwright-core + Debian's Chromium) against code-server: packages the
// extension once as a .vsix, installs it into a throw-away extensions folder (as a user would,
// offline), then runs every test/ui/**/*.test.ts with GPACO_UI_EXTENSIONS_DIR pointing there.
// Each test file starts its own code-server through test/ui/harness.ts.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureCodeServer, installVsix, packageVsix, repoRoot } from './harness';

function findTests(dir: string, filters: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.test\.(ts|mjs)$/.test(e.name) && (filters.length === 0 || filters.some((f) => p.includes(f))))
        out.push(path.relative(repoRoot, p));
    }
  };
  walk(dir);
  return out.sort();
}

function main(): number {
  const filters = process.argv.slice(2);
  const files = findTests(path.join(repoRoot, 'test', 'ui'), filters);
  if (files.length === 0) {
    console.log('[ui] no tests found');
    return filters.length ? 0 : 1;
  }
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'extension.js'))) {
    console.error('dist/extension.js is missing: run `npm run build` first');
    return 1;
  }
  ensureCodeServer();
  const work = path.join(repoRoot, '.cache', 'ui', String(process.pid));
  fs.rmSync(work, { recursive: true, force: true });
  const t0 = Date.now();
  const vsix = packageVsix(path.join(work, 'gpaco-lab.vsix'));
  const extensionsDir = path.join(work, 'extensions');
  installVsix(vsix, extensionsDir);
  console.log(
    `[ui] packaged ${path.relative(repoRoot, vsix)} (${(fs.statSync(vsix).size / 1024).toFixed(0)} KiB) and installed it in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, GPACO_UI_EXTENSIONS_DIR: extensionsDir, GPACO_UI_VSIX: vsix },
  });
  if (r.status === 0) fs.rmSync(work, { recursive: true, force: true });
  return r.status ?? 1;
}

process.exit(main());
