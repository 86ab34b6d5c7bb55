// `npm run bench:parity`: the same recipe trained by GPaCo Lab and by a PyTorch twin
// (scripts/parity_torch.py, Debian's python3-torch on the CPU) in lockstep, with the initial
// weights, the long-tailed split, each epoch's data order, each step's augmented views and the
// schedule handed over from our side (scripts/parity/lockstep.ts). Prints per run the per-epoch
// loss curves, the final top-1 / many / medium / few of both sides and the per-step loss
// difference of the first 50 steps, then a table of both sides' means per method and budget.
//
//   node --import tsx scripts/bench-parity.ts [--methods ce,balanced-softmax,gpaco] [--split-seeds 1,2,3]
//        [--init-seeds 0,1] [--epochs 40,200] [--preset fashion-mnist-lt] [--backend wasm]
//        [--threads 1] [--set key=value ...] [--out DIR]
//   node --import tsx scripts/bench-parity.ts --merge FILE_OR_DIR,... [--out DIR]
//        (no training: the table of runs already made, from their parity.json files, which a
//        grid split over several invocations leaves; with --out, also one merged parity.json)
// Full grids take hours: run it under `nice -n 19` (the machine is shared). Where the kernel
// groups CPU time per session (autogroup), nice only ranks processes within a session: for a
// job started with setsid, also lower its group (`echo 19 > /proc/PID/autogroup`). Each split's
// split.json is written to --out/split-<seed>/ and the results to --out/parity.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyOverrides, isOverride, parseOverride } from '../src/core/config/overrides';
import { resolvePreset } from '../src/core/config/presets';
import type { BackendName, Config } from '../src/core/config/schema';
import { validateConfig } from '../src/core/config/validate';
import { loadDataset } from '../src/data';
import { writeSplitFile } from '../src/data/splitFile';
import { selectBackend } from '../src/trainer/backends';
import { PARITY_METHODS, type GroupScores, type ParityMethod, type ParityResult, runParity } from './parity/lockstep';

const repo = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const ints = (s: string) => s.split(',').map((x) => Number.parseInt(x, 10));
const methods = opt('--methods', PARITY_METHODS.join(',')).split(',') as ParityMethod[];
for (const m of methods)
  if (!PARITY_METHODS.includes(m)) throw new Error(`--methods: "${m}" has no PyTorch twin (${PARITY_METHODS.join(', ')})`);
const splitSeeds = ints(opt('--split-seeds', '1,2,3'));
const initSeeds = ints(opt('--init-seeds', '0,1'));
const budgets = ints(opt('--epochs', '40,200'));
const presetName = opt('--preset', 'fashion-mnist-lt');
const backend = opt('--backend', 'wasm') as BackendName;
const threads = Number.parseInt(opt('--threads', '1'), 10);
const outDir = path.resolve(opt('--out', path.join(repo, 'runs/bench-parity', new Date().toISOString().replace(/[:.]/g, '-'))));
/** The budget of bench:lt (the README's table): the conv net at width 16; later --set flags win. */
const sets = ['model.width=16'];
for (let i = 0; i < args.length; i++) if (args[i] === '--set' && args[i + 1] !== undefined) sets.push(args[++i]!);

function configFor(method: ParityMethod, splitSeed: number, initSeed: number, epochs: number): Config {
  const base = resolvePreset(presetName, repo);
  if (!base.ok) throw new Error(base.errors.map((e) => e.message).join('; '));
  const parsed = [...sets, `loss.kind=${method}`, `data.splitSeed=${splitSeed}`, `seed=${initSeed}`, `optim.epochs=${epochs}`].map(
    parseOverride,
  );
  const bad = parsed.find((p) => !isOverride(p));
  if (bad && !isOverride(bad)) throw new Error(bad.message);
  const r = validateConfig(applyOverrides(base.config, parsed.filter(isOverride)), { baseDir: repo, checkPaths: false });
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  return r.config;
}

const pct = (v: number) => (v * 100).toFixed(1);
const GROUPS: (keyof GroupScores)[] = ['top1', 'many', 'medium', 'few'];

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}
function std(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

interface Entry {
  method: ParityMethod;
  epochs: number;
  splitSeed: number;
  initSeed: number;
  result: ParityResult;
}

function report(e: Entry): void {
  const r = e.result;
  const diffs = r.steps.map((s) => s.ours - s.torch);
  const abs = diffs.map(Math.abs);
  console.log(`\n== ${e.method}, ${e.epochs} epochs, split seed ${e.splitSeed}, init seed ${e.initSeed} (PyTorch ${r.torchVersion})`);
  console.log(
    `first ${diffs.length} steps, loss ours - PyTorch: max |d| ${Math.max(...abs).toExponential(2)}, mean |d| ${mean(abs).toExponential(2)}`,
  );
  console.log(`  ${diffs.map((d) => d.toExponential(1)).join(' ')}`);
  console.log('epoch  lr        loss ours  loss PyTorch');
  for (const p of r.epochs)
    console.log(
      `${String(p.epoch).padStart(5)}  ${p.lr.toExponential(2)}  ${p.ours.toFixed(4).padStart(9)}  ${p.torch.toFixed(4).padStart(12)}`,
    );
  if (r.final) {
    for (const side of ['ours', 'torch'] as const) {
      const f = r.final[side];
      console.log(`final ${side.padEnd(5)}  top-1 ${pct(f.top1)}  many ${pct(f.many)}  medium ${pct(f.medium)}  few ${pct(f.few)}`);
    }
  }
}

function table(entries: Entry[]): string[] {
  const lines = ['| method | epochs | runs | side | top-1 | many | medium | few |', '|---|---|---|---|---|---|---|---|'];
  for (const method of methods) {
    for (const epochs of budgets) {
      const group = entries.filter((e) => e.method === method && e.epochs === epochs && e.result.final);
      if (group.length === 0) continue;
      const cell = (side: 'ours' | 'torch', g: keyof GroupScores) => {
        const xs = group.map((e) => e.result.final![side][g]);
        return `${pct(mean(xs))} ± ${pct(std(xs))}`;
      };
      const delta = (g: keyof GroupScores) => (mean(group.map((e) => e.result.final!.ours[g] - e.result.final!.torch[g])) * 100).toFixed(2);
      lines.push(`| ${method} | ${epochs} | ${group.length} | GPaCo Lab | ${GROUPS.map((g) => cell('ours', g)).join(' | ')} |`);
      lines.push(`| | | | PyTorch | ${GROUPS.map((g) => cell('torch', g)).join(' | ')} |`);
      lines.push(`| | | | Δ | ${GROUPS.map(delta).join(' | ')} |`);
    }
  }
  return lines;
}

/** Per method and budget: the largest per-run |Δ| and the first-50-step loss differences. */
function spread(entries: Entry[]): string[] {
  const lines: string[] = [];
  for (const method of methods) {
    for (const epochs of budgets) {
      const group = entries.filter((e) => e.method === method && e.epochs === epochs && e.result.final);
      if (group.length === 0) continue;
      const worst = (g: keyof GroupScores) =>
        Math.max(...group.map((e) => Math.abs(e.result.final!.ours[g] - e.result.final!.torch[g]) * 100));
      const steps = group.map((e) => e.result.steps.map((st) => Math.abs(st.ours - st.torch)));
      const first = Math.max(...steps.map((d) => d[0] ?? 0));
      const all = Math.max(...steps.map((d) => Math.max(...d)));
      lines.push(
        `${method} ${epochs} epochs: per run, largest |Δ| top-1 ${worst('top1').toFixed(1)}, many ${worst('many').toFixed(1)}, medium ${worst('medium').toFixed(1)}, few ${worst('few').toFixed(1)}; |Δ loss| at the first step ≤ ${first.toExponential(0)}, over the first ${steps[0]!.length} steps ≤ ${all.toExponential(0)}`,
      );
    }
  }
  return lines;
}

/** `--merge`: the entries of earlier invocations' parity.json files (a folder: its parity.json, or those of its sub-folders). */
function merged(list: string): { entries: Entry[]; backend: string } {
  const files: string[] = [];
  for (const item of list.split(',')) {
    const p = path.resolve(item);
    if (!fs.existsSync(p)) throw new Error(`--merge: ${p} does not exist`);
    if (fs.statSync(p).isFile()) files.push(p);
    else if (fs.existsSync(path.join(p, 'parity.json'))) files.push(path.join(p, 'parity.json'));
    else
      for (const d of fs.readdirSync(p).sort())
        if (fs.existsSync(path.join(p, d, 'parity.json'))) files.push(path.join(p, d, 'parity.json'));
  }
  if (files.length === 0) throw new Error(`--merge: no parity.json in ${list}`);
  const entries: Entry[] = [];
  const backends = new Set<string>();
  for (const f of files) {
    const doc = JSON.parse(fs.readFileSync(f, 'utf8')) as { preset?: unknown; backend?: unknown; entries?: unknown };
    if (!Array.isArray(doc.entries)) throw new Error(`${f}: no "entries" array (not a parity.json of this tool)`);
    if (doc.preset !== presetName) throw new Error(`${f}: preset ${JSON.stringify(doc.preset)}, expected ${presetName}`);
    backends.add(String(doc.backend));
    for (const e of doc.entries as Entry[]) {
      const dup = entries.find(
        (x) => x.method === e.method && x.epochs === e.epochs && x.splitSeed === e.splitSeed && x.initSeed === e.initSeed,
      );
      if (dup) throw new Error(`${f}: ${e.method}, ${e.epochs} epochs, split ${e.splitSeed}, init ${e.initSeed} is in two files`);
      entries.push(e);
    }
  }
  return { entries, backend: [...backends].join(', ') };
}

async function main(): Promise<void> {
  if (args.includes('--merge')) {
    const { entries, backend: used } = merged(opt('--merge', ''));
    entries.sort((a, b) => a.epochs - b.epochs || a.splitSeed - b.splitSeed || a.initSeed - b.initSeed || a.method.localeCompare(b.method));
    if (args.includes('--out')) {
      fs.mkdirSync(outDir, { recursive: true });
      fs.writeFileSync(path.join(outDir, 'parity.json'), JSON.stringify({ preset: presetName, sets, backend: used, entries }, null, 1));
    }
    console.log(`${entries.length} runs (backend ${used})\n${table(entries).join('\n')}\n\n${spread(entries).join('\n')}`);
    return;
  }
  const selected = await selectBackend(backend);
  console.log(`backend ${selected.id}; PyTorch threads ${threads}; out ${outDir}`);
  fs.mkdirSync(outDir, { recursive: true });
  const entries: Entry[] = [];
  for (const splitSeed of splitSeeds) {
    for (const epochs of budgets) {
      for (const initSeed of initSeeds) {
        for (const method of methods) {
          const config = configFor(method, splitSeed, initSeed, epochs);
          const dataset = await loadDataset(config);
          const splitDir = path.join(outDir, `split-${splitSeed}`);
          fs.mkdirSync(splitDir, { recursive: true });
          writeSplitFile(splitDir, dataset);
          const t0 = performance.now();
          const result = await runParity(config, dataset, {
            threads,
            onEpoch: (p) =>
              console.log(
                `  ${method} split ${splitSeed} init ${initSeed}: epoch ${p.epoch}/${epochs}  loss ${p.ours.toFixed(4)} / ${p.torch.toFixed(4)}`,
              ),
          });
          const entry = { method, epochs, splitSeed, initSeed, result };
          entries.push(entry);
          report(entry);
          console.log(`(${((performance.now() - t0) / 1000).toFixed(0)} s)`);
          fs.writeFileSync(
            path.join(outDir, 'parity.json'),
            JSON.stringify({ preset: presetName, sets, backend: selected.id, entries }, null, 1),
          );
        }
      }
    }
  }
  console.log(`\n${table(entries).join('\n')}\n\n${spread(entries).join('\n')}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
