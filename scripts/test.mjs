// `npm test`: builds, type-checks, lints, then runs every test layer (docs/architecture.md, Test layers).
//   node scripts/test.mjs [--layer NAME ...] [--no-build] [FILTER...]
// Layers: static (tsc + eslint), unit, trainer, exthost (real VS Code), ui (real browser),
// slurm (a real single-node Slurm: scripts/slurm/start-slurm.sh; needs root the first time),
// python (the Python run-folder writer: its unittest suite and the contract checks on its folders).
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
const ALL = ['static', 'unit', 'python', 'trainer', 'exthost', 'ui', 'slurm'];
const selected = layers.length ? layers : ALL;

// A hung test process (a handle left open) must fail CI with a message, not use up its time:
// each layer runs under GNU timeout, which signals the whole process group it starts.
const LAYER_LIMIT_S = { unit: 1500, python: 600, trainer: 1500, exthost: 1500, ui: 1200, slurm: 1200 };
const hasTimeout = spawnSync('timeout', ['--version'], { stdio: 'ignore' }).status === 0;

function run(cmd, argv, opts = {}, limitS = 0) {
  console.log(`\n$ ${[cmd, ...argv].join(' ')}`);
  const [c, a] = limitS && hasTimeout ? ['timeout', ['-k', '30', String(limitS), cmd, ...argv]] : [cmd, argv];
  const r = spawnSync(c, a, { cwd: root, stdio: 'inherit', ...opts });
  if (limitS && hasTimeout && (r.status === 124 || r.status === 137)) console.log(`\n[timeout] gave up after ${limitS} s: a test or a handle it left open hung`);
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
    case 'python':
    case 'trainer': {
      const files = findTests(`test/${layer}`);
      if (files.length === 0) {
        console.log(`\n[${layer}] no tests found`);
        results.push([layer, filters.length ? 0 : 1]);
        break;
      }
      results.push([layer, run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {}, LAYER_LIMIT_S[layer])]);
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
      results.push([layer, run(process.execPath, [runner, ...filters], {}, LAYER_LIMIT_S[layer])]);
      break;
    }
    case 'slurm': {
      // test/slurm/**: against a real Slurm cluster. One started here (or by .ci/run, which then
      // exports SLURM_CONF) is used as is; one this layer starts is stopped at its end.
      const files = findTests('test/slurm');
      if (files.length === 0) {
        console.log('\n[slurm] no tests found');
        results.push([layer, filters.length ? 0 : 1]);
        break;
      }
      const dir = process.env.GPACO_SLURM_DIR || '/tmp/gpaco-slurm';
      const ping = (conf) => spawnSync('scontrol', ['ping'], { env: { ...process.env, SLURM_CONF: conf }, encoding: 'utf8', timeout: 15_000 }).stdout?.includes('is UP');
      let conf = process.env.SLURM_CONF && ping(process.env.SLURM_CONF) ? process.env.SLURM_CONF : path.join(dir, 'etc', 'slurm.conf');
      const startedHere = !ping(conf);
      if (startedHere) {
        const code = run('bash', ['scripts/slurm/start-slurm.sh', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
        if (code !== 0) {
          console.log('[slurm] could not start the test cluster (root is needed to install and run it)');
          results.push([layer, code]);
          break;
        }
        conf = path.join(dir, 'etc', 'slurm.conf');
      }
      // One file at a time: a test stops the controller, which would disturb the others.
      results.push([layer, run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { env: { ...process.env, SLURM_CONF: conf } }, LAYER_LIMIT_S.slurm)]);
      if (startedHere) run('bash', ['scripts/slurm/stop-slurm.sh', dir]);
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
