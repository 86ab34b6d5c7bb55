// `npm run bench:lt`: CE, Balanced Softmax, PaCo and GPaCo on Fashion-MNIST-LT (Debian's
// dataset-fashion-mnist; largest class 500, imbalance 100, the balanced 10,000-image test set)
// with the same budget over several seeds, each a real run directory trained by dist/trainer.js
// (so it measures the product). Prints top-1 and many / medium / few (mean +- sample std over
// seeds) and the head-class accuracy (docs/method.md: a wrong alpha*|P| shows there first).
//
//   node --import tsx scripts/bench-lt.ts [--seeds 0,1,2] [--methods ce,balanced-softmax,paco,gpaco]
//        [--preset fashion-mnist-lt] [--root runs/bench-lt] [--backend wasm] [--set key=value ...]
//        [--out results.json]
// Runs one trainer at a time (the machine is shared); run it under `nice -n 10`.
//
// The budget, the same for every method: the preset's recipe with the conv net at width 16
// (F = 64) and 40 epochs (BUDGET below; --set overrides it). Measured on seed 0: GPaCo needs the
// epochs - at 20 it trails Balanced Softmax by 2 points, at 40 it matches it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LossKind } from '../src/core/config/schema';
import { isOverride, parseOverride } from '../src/core/config/overrides';
import { prepareConfig, refusalLines, type FlagOverride } from '../src/core/config/pipeline';
import type { EvalFile } from '../src/core/contract';
import { preflightData } from '../src/data/index';
import { createRunDirectory, listEvalTags, readEvalFile, readRunManifest, runPaths } from '../src/core/runDirectory';

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const seeds = opt('--seeds', '0,1,2').split(',').map(Number);
const methods = opt('--methods', 'ce,balanced-softmax,paco,gpaco').split(',') as LossKind[];
const presetName = opt('--preset', 'fashion-mnist-lt');
const runsRoot = path.resolve(opt('--root', path.join(root, 'runs/bench-lt')));
const backend = opt('--backend', 'wasm');
const outFile = opt('--out', path.join(runsRoot, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`));
/** The benchmark's budget on top of the preset (see the file comment). */
const BUDGET: FlagOverride[] = [
  { path: ['model', 'width'], value: 16, flag: 'the bench budget' },
  { path: ['optim', 'epochs'], value: 40, flag: 'the bench budget' },
];
const sets: FlagOverride[] = [...BUDGET];
for (let i = 0; i < args.length; i++) {
  if (args[i] !== '--set') continue;
  const text = args[++i] ?? '';
  const o = parseOverride(text);
  if (!isOverride(o)) throw new Error(o.message);
  sets.push({ ...o, flag: `--set ${text}` });
}

const trainer = path.join(root, 'dist/trainer.js');
if (!fs.existsSync(trainer)) throw new Error('dist/trainer.js is missing: run `npm run build` first');

interface Row {
  method: LossKind;
  seed: number;
  runDir: string;
  seconds: number;
  ev: EvalFile;
}

async function configFor(method: LossKind, seed: number) {
  const flags: FlagOverride[] = [
    { path: ['loss', 'kind'], value: method, flag: '--methods' },
    { path: ['seed'], value: seed, flag: '--seeds' },
    { path: ['backend'], value: backend, flag: '--backend' },
    { path: ['name'], value: `bench-lt ${method} seed ${seed}`, flag: 'the bench run name' },
    ...sets,
  ];
  const r = await prepareConfig({ source: { kind: 'preset', name: presetName }, cwd: root, flags, preflight: preflightData });
  if (!r.ok) throw new Error(`config for ${method}: ${r.title}: ${refusalLines(r).join('; ')}`);
  // Only the final model is compared; evaluating and checkpointing every few epochs is budget
  // the methods would spend differently.
  r.config.eval.every = r.config.optim.epochs;
  r.config.checkpoint.every = r.config.optim.epochs;
  return r.config;
}

function stats(xs: number[]): string {
  if (xs.length === 0) return 'n/a';
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return `${(mean * 100).toFixed(1)} ± ${(sd * 100).toFixed(1)}`;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const started = Date.now();
  const total = seeds.length * methods.length;
  let n = 0;
  for (const seed of seeds) {
    for (const method of methods) {
      n++;
      const config = await configFor(method, seed);
      const { dir } = createRunDirectory(runsRoot, { config });
      const log = fs.openSync(runPaths(dir).log, 'a');
      const t0 = Date.now();
      process.stdout.write(`[${n}/${total}] ${method} seed ${seed} -> ${path.relative(root, dir)} ... `);
      const r = spawnSync(process.execPath, [trainer, 'run', dir], { stdio: ['ignore', log, log] });
      fs.closeSync(log);
      const seconds = (Date.now() - t0) / 1000;
      const manifest = readRunManifest(dir);
      if (r.status !== 0 || manifest.status !== 'completed') {
        console.log(`FAILED (exit ${r.status}, ${manifest.error?.message ?? manifest.status}); see ${runPaths(dir).log}`);
        process.exitCode = 1;
        continue;
      }
      const tags = listEvalTags(dir);
      const ev = readEvalFile(dir, tags[tags.length - 1]!);
      rows.push({ method, seed, runDir: dir, seconds, ev });
      console.log(`${seconds.toFixed(0)} s  top-1 ${(ev.top1 * 100).toFixed(1)}  many ${(ev.groupAccuracy.many * 100).toFixed(1)}  medium ${(ev.groupAccuracy.medium * 100).toFixed(1)}  few ${(ev.groupAccuracy.few * 100).toFixed(1)}  head ${(ev.perClassAccuracy[0]! * 100).toFixed(1)}`);
    }
  }

  const c0 = rows[0]?.ev;
  const cfg0 = await configFor(methods[0]!, seeds[0]!);
  console.log(
    `\nFashion-MNIST-LT (${presetName}: largest class ${cfg0.data.maxPerClass}, IF ${cfg0.data.imbalanceFactor}; test n = ${c0?.n ?? '?'}), ` +
      `${cfg0.model.arch} width ${cfg0.model.width}, ${cfg0.optim.epochs} epochs, batch ${cfg0.optim.batchSize}, lr ${cfg0.optim.lr} ${cfg0.optim.schedule}, ` +
      `seeds ${seeds.join(',')}, backend ${backend}${sets.length ? `, --set ${sets.map((s) => `${s.path.join('.')}=${JSON.stringify(s.value)}`).join(' ')}` : ''}; ` +
      `accuracy % (mean ± sample std over seeds), last epoch, raw logits\n`,
  );
  console.log('| method | top-1 | many | medium | few | head class | minutes / run |');
  console.log('|---|---|---|---|---|---|---|');
  for (const method of methods) {
    const rs = rows.filter((r) => r.method === method);
    const mins = rs.length ? (rs.reduce((s, r) => s + r.seconds, 0) / rs.length / 60).toFixed(1) : 'n/a';
    console.log(
      `| ${method} | ${stats(rs.map((r) => r.ev.top1))} | ${stats(rs.map((r) => r.ev.groupAccuracy.many))} | ${stats(rs.map((r) => r.ev.groupAccuracy.medium))} | ` +
        `${stats(rs.map((r) => r.ev.groupAccuracy.few))} | ${stats(rs.map((r) => r.ev.perClassAccuracy[0]!))} | ${mins} |`,
    );
  }
  console.log(`\n${rows.length} runs in ${((Date.now() - started) / 60000).toFixed(1)} min; run directories under ${path.relative(root, runsRoot)}`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(
    outFile,
    JSON.stringify(
      {
        preset: presetName,
        backend,
        sets: sets.map((s) => ({ path: s.path.join('.'), value: s.value })),
        runs: rows.map((r) => ({ method: r.method, seed: r.seed, runDir: r.runDir, seconds: r.seconds, top1: r.ev.top1, groups: r.ev.groupAccuracy, perClass: r.ev.perClassAccuracy })),
      },
      null,
      1,
    ),
  );
  console.log(`results: ${path.relative(root, outFile)}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
