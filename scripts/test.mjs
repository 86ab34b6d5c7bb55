// `npm test`: builds, type-checks, lints, then runs every test layer (DESIGN.md section 8).
//   node scripts/test.mjs [--layer NAME ...] [--no-build] [FILTER...]
// Layers: static (tsc + eslint), unit, trainer, exthost (real VS Code), ui (real browser).
// A layer whose folder has no tests yet is reported as such, never as passed.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const layers = [];
const filters = [];
let build = true;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--layer') layers.push(args[++i]);
  else if (args[i] === '--no-build') build = false;
  else filters.push(args[i]);
}
const ALL = ['static', 'unit', 'trainer', 'exthost', 'ui'];
const selected = layers.length ? layers : ALL;

function run(cmd, argv, opts = {}) {
  console.log(`\n$ ${[cmd, ...argv].join(' ')}`);
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', ...opts });
  return r.status ?? 1;
}

function findTests(dir, pattern = /\.test\.(ts|mjs)$/) {
  const out = [];
  const walk = (d) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (pattern.test(e.name) && (filters.length === 0 || filters.some((f) => p.includes(f)))) out.push(path.relative(root, p));
    }
  };
  walk(path.join(root, dir));
  return out.sort();
}

const results = [];
if (build) {
  const code = run(process.execPath, ['scripts/build.mjs']);
  results.push(['build', code]);
  if (code !== 0) finish();
}

for (const layer of selected) {
  switch (layer) {
    case 'static':
      results.push(['typecheck', run(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'tsconfig.json'])]);
      if (fs.existsSync(path.join(root, 'webview/tsconfig.json'))) {
        results.push(['typecheck webview', run(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'webview/tsconfig.json'])]);
      }
      results.push(['lint', run(process.execPath, ['node_modules/eslint/bin/eslint.js', '.'])]);
      break;
    case 'unit':
    case 'trainer': {
      const files = findTests(`test/${layer}`);
      if (files.length === 0) {
        console.log(`\n[${layer}] no tests found`);
        results.push([layer, filters.length ? 0 : 1]);
        break;
      }
      results.push([layer, run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files])]);
      break;
    }
    case 'exthost':
    case 'ui': {
      const runner = path.join(root, `test/${layer}/run.mjs`);
      if (!fs.existsSync(runner)) {
        console.log(`\n[${layer}] no runner yet (test/${layer}/run.mjs)`);
        results.push([layer, 1]);
        break;
      }
      results.push([layer, run(process.execPath, [runner, ...filters])]);
      break;
    }
    default:
      console.error(`unknown layer "${layer}"; layers: ${ALL.join(', ')}`);
      results.push([layer, 2]);
  }
}
finish();

function finish() {
  console.log('\n== summary');
  for (const [name, code] of results) console.log(`${code === 0 ? 'ok  ' : 'FAIL'} ${name}`);
  process.exit(results.every(([, c]) => c === 0) ? 0 : 1);
}
