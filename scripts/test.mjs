// `npm test`: builds, type-checks, lints, then runs every test layer (docs/architecture.md, Test layers).
//   node scripts/test.mjs [--layer NAME ...] [--no-build] [FILTER...]
// Layers: static (tsc + eslint + prettier --check + the wasm kernels' sources), unit, trainer, exthost (real VS Code), ui (real browser),
// slurm (a real single-node Slurm), python (the Python run-folder writer: its unittest suite and
// the contract checks on its folders). First scripts/setup.mjs makes sure the machine has what the
// selected layers need (Debian packages, the software WebGPU driver, the Slurm test cluster).
// A layer whose folder has no tests yet is reported as such, never as passed.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setup } from './setup.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const layers = [];
const filters = [];
let build = true;
const ALL = ['static', 'unit', 'python', 'trainer', 'exthost', 'ui', 'slurm'];
const USAGE = `usage: node scripts/test.mjs [--layer NAME ...] [--no-build] [FILTER...]
  layers: ${ALL.join(', ')} (default: all, in that order)
  FILTER: run only the test files whose path contains it (exthost: a session name)`;
// Checked before anything starts: the machine setup below may start a Slurm cluster.
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--help' || args[i] === '-h') {
    console.log(USAGE);
    process.exit(0);
  } else if (args[i] === '--layer') {
    const name = args[++i];
    if (!ALL.includes(name)) {
      console.error(`--layer: ${name === undefined ? 'a layer name is missing' : `unknown layer "${name}"`}\n${USAGE}`);
      process.exit(2);
    }
    layers.push(name);
  } else if (args[i] === '--no-build') build = false;
  else if (args[i].startsWith('--')) {
    console.error(`unknown option ${args[i]}\n${USAGE}`);
    process.exit(2);
  } else filters.push(args[i]);
}
const selected = layers.length ? layers : ALL;

// A hung test process (a handle left open) must fail CI with a message, not use up its time:
// each layer runs under GNU timeout, which signals the whole process group it starts.
const LAYER_LIMIT_S = { unit: 1500, python: 600, trainer: 1500, exthost: 1500, ui: 1200, slurm: 1200 };
const hasTimeout = spawnSync('timeout', ['--version'], { stdio: 'ignore' }).status === 0;

function run(cmd, argv, opts = {}, limitS = 0) {
  console.log(`\n$ ${[cmd, ...argv].join(' ')}`);
  const [c, a] = limitS && hasTimeout ? ['timeout', ['-k', '30', String(limitS), cmd, ...argv]] : [cmd, argv];
  const r = spawnSync(c, a, { cwd: root, stdio: 'inherit', ...opts });
  if (limitS && hasTimeout && (r.status === 124 || r.status === 137))
    console.log(`\n[timeout] gave up after ${limitS} s: a test or a handle it left open hung`);
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
// The machine first (Debian packages, the software WebGPU driver, the Slurm test cluster): a
// missing part stops here with the command that adds it, not halfway through a layer.
const machine = setup(selected.filter((l) => ALL.includes(l)));
if (!machine.ok) {
  console.error(`\n[setup] ${machine.message}`);
  process.exit(1);
}
const layerEnv = { ...process.env, ...machine.env };

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
        results.push([
          'typecheck webview',
          run(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'webview/tsconfig.json']),
        ]);
      }
      results.push(['lint', run(process.execPath, ['node_modules/eslint/bin/eslint.js', '.'])]);
      results.push(['format', run(process.execPath, ['node_modules/prettier/bin/prettier.cjs', '--check', '--log-level', 'warn', '.'])]);
      // The committed wasm kernels are what their AssemblyScript sources compile to.
      results.push(['wasm kernels', run(process.execPath, ['scripts/build-kernels.mjs', '--check'])]);
      break;
    case 'unit':
    case 'python':
    case 'trainer': {
      const files = findTests(`test/${layer}`);
      if (files.length === 0) {
        console.log(`\n[${layer}] no tests found`);
        results.push([layer, filters.length ? 0 : 1]);
        break;
      }
      results.push([
        layer,
        run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {}, LAYER_LIMIT_S[layer]),
      ]);
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
      results.push([layer, run(process.execPath, [runner, ...filters], { env: layerEnv }, LAYER_LIMIT_S[layer])]);
      break;
    }
    case 'slurm': {
      // test/slurm/**: against the real Slurm cluster setup() found or started (SLURM_CONF).
      const files = findTests('test/slurm');
      if (files.length === 0) {
        console.log('\n[slurm] no tests found');
        results.push([layer, filters.length ? 0 : 1]);
        break;
      }
      // One file at a time: a test stops the controller, which would disturb the others.
      results.push([
        layer,
        run(
          process.execPath,
          ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
          { env: layerEnv },
          LAYER_LIMIT_S.slurm,
        ),
      ]);
      break;
    }
    default:
      console.error(`unknown layer "${layer}"; layers: ${ALL.join(', ')}`);
      results.push([layer, 2]);
  }
}
finish();

function finish() {
  machine?.teardown();
  console.log('\n== summary');
  for (const [name, code] of results) console.log(`${code === 0 ? 'ok  ' : 'FAIL'} ${name}`);
  process.exit(results.every(([, c]) => c === 0) ? 0 : 1);
}
