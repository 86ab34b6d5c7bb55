// `npm run bench:lt`: CE, Balanced Softmax, PaCo and GPaCo on Fashion-MNIST-LT (Debian's
// dataset-fashion-mnist; largest class 500, imbalance 100, the balanced 10,000-image test set)
// with the same budget over several seeds. A thin use of the product: `gpaco sweep` trains the
// methods x seeds grid as ordinary run folders (one trainer at a time), and the table is the
// experiments table grouped by config except the seed (core/experiments: the numbers of
// `gpaco ls --group-by-config` and the Experiments panel), printed as the README's Markdown.
//
//   node --import tsx scripts/bench-lt.ts [--seeds 0,1,2] [--methods ce,balanced-softmax,paco,gpaco]
//        [--preset fashion-mnist-lt] [--root runs/bench-lt] [--backend wasm] [--set key=value ...]
//        [--out results.json]
//   node --import tsx scripts/bench-lt.ts --table-only --sweep SWEEP_ID [--root DIR]   (table of a finished sweep)
//   node --import tsx scripts/bench-lt.ts --from-results docs/benchmarks/FILE.json      (table of saved results)
// Run it under `nice -n 10` (the machine is shared).
//
// The budget, the same for every method: the preset's recipe with the conv net at width 16
// (F = 64) and 40 epochs (BUDGET below; --set overrides it); only the final model is evaluated
// and checkpointed (evaluating every few epochs is budget the methods would spend differently).
// Measured on seed 0: GPaCo needs the epochs - at 20 it trails Balanced Softmax by 2 points, at
// 40 it matches it. The head-class column (docs/method.md: a wrong alpha*|P| shows there first)
// is class 0's accuracy from each run's last eval file.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { flattenConfig, readRunSummaries, type ExperimentSummary } from '../src/core/experiments/summary';
import { statsOf, type Stats } from '../src/core/experiments/stats';
import { buildRows, groupRows, type ExperimentGroup } from '../src/core/experiments/table';
import { listEvalTags, readEvalFile } from '../src/core/runDirectory';
import { sweepDir } from '../src/core/sweep';

const repo = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const seeds = opt('--seeds', '0,1,2');
const methods = opt('--methods', 'ce,balanced-softmax,paco,gpaco').split(',');
const presetName = opt('--preset', 'fashion-mnist-lt');
const runsRoot = path.resolve(opt('--root', path.join(repo, 'runs/bench-lt')));
const backend = opt('--backend', 'wasm');
const outFile = opt('--out', path.join(runsRoot, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`));
const epochs = 40;
/** The benchmark's budget on top of the preset (see the file comment); later --set flags win. */
const BUDGET = ['model.width=16', `optim.epochs=${epochs}`, `eval.every=${epochs}`, `checkpoint.every=${epochs}`, `backend=${backend}`];
const sets = [...BUDGET];
for (let i = 0; i < args.length; i++) if (args[i] === '--set' && args[i + 1] !== undefined) sets.push(args[++i]!);

/** What a table line needs besides the group: each member's head-class accuracy. */
type HeadOf = (s: ExperimentSummary) => number | undefined;

function cell(st: Stats | undefined): string {
  if (!st) return 'n/a';
  return `${(st.mean * 100).toFixed(1)} ± ${((st.std ?? 0) * 100).toFixed(1)}`;
}

/** The README's Markdown table: one line per method (a group of seeds), in --methods order. */
function markdownTable(groups: readonly ExperimentGroup[], headOf: HeadOf): string[] {
  const order = (g: ExperimentGroup) => {
    const i = methods.indexOf(String(g.config['loss.kind']));
    return i < 0 ? methods.length : i;
  };
  const lines = ['| method | top-1 | many | medium | few | head class | minutes / run |', '|---|---|---|---|---|---|---|'];
  for (const g of [...groups].sort((a, b) => order(a) - order(b))) {
    const members = g.members.map((m) => m.summary);
    const minutes = statsOf(members.map((s) => (s.durationSeconds === null ? undefined : s.durationSeconds / 60)));
    const n = g.metrics.top1?.n ?? 0;
    const label = `${g.config['loss.kind'] ?? g.label}${n !== g.n ? ` (${n} of ${g.n} runs)` : ''}`;
    lines.push(
      `| ${label} | ${cell(g.metrics.top1)} | ${cell(g.metrics.many)} | ${cell(g.metrics.medium)} | ${cell(g.metrics.few)} | ${cell(statsOf(members.map(headOf)))} | ${minutes ? minutes.mean.toFixed(1) : 'n/a'} |`,
    );
  }
  return lines;
}

function printTable(summaries: readonly ExperimentSummary[], headOf: HeadOf, source: string): void {
  const groups = groupRows(buildRows(summaries, { kind: 'last' }), { except: ['seed'] });
  const s0 = summaries[0]?.config ?? {};
  const recipe =
    s0['data.kind'] === undefined
      ? ''
      : ` ${s0['data.kind']} (largest class ${s0['data.maxPerClass']}, IF ${s0['data.imbalanceFactor']}), ${s0['model.arch']} width ${s0['model.width']}, ` +
        `${s0['optim.epochs']} epochs, batch ${s0['optim.batchSize']}, lr ${s0['optim.lr']} ${s0['optim.schedule']};`;
  console.log(
    `\n${source}:${recipe} accuracy % (mean ± sample std over seeds), last evaluation; grouped by config except seed (${groups.length} groups of ${summaries.length} runs)\n`,
  );
  for (const l of markdownTable(groups, headOf)) console.log(l);
  for (const g of groups) if (g.apart) console.log(`note: ${g.label}: ${g.apart}`);
}

/** Class 0's accuracy from a run's last eval file. */
function headFromRun(s: ExperimentSummary): number | undefined {
  const tags = listEvalTags(s.dir);
  const last = tags[tags.length - 1];
  if (last === undefined) return undefined;
  try {
    return readEvalFile(s.dir, last).perClassAccuracy[0];
  } catch {
    return undefined;
  }
}

interface SavedRun {
  method: string;
  seed: number;
  runDir: string;
  seconds: number;
  top1: number;
  groups: { many: number; medium: number; few: number };
  perClass: number[];
  /** Present in results written since the sweep-based version. */
  config?: Record<string, unknown>;
}
interface SavedResults {
  preset: string;
  backend: string;
  sets: { path: string; value: unknown }[];
  runs: SavedRun[];
}

/**
 * Summaries rebuilt from a saved results file (its run folders may be gone): the config is the
 * one recorded, else the preset's keys the results name (method, seed, --set values), so the
 * grouping is the same as over the run folders.
 */
function summariesFromResults(file: string): { summaries: ExperimentSummary[]; head: Map<ExperimentSummary, number> } {
  const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as SavedResults;
  const head = new Map<ExperimentSummary, number>();
  const summaries = saved.runs.map((r, i) => {
    const config = r.config
      ? flattenConfig(r.config)
      : flattenConfig({
          'loss.kind': r.method,
          seed: r.seed,
          backend: saved.backend,
          ...Object.fromEntries(saved.sets.map((s) => [s.path, s.value])),
        });
    const s: ExperimentSummary = {
      id: path.basename(r.runDir),
      dir: r.runDir,
      name: `${r.method} seed ${r.seed}`,
      status: 'completed',
      createdAt: new Date(i).toISOString(),
      startedAt: new Date(0).toISOString(),
      endedAt: new Date(r.seconds * 1000).toISOString(),
      durationSeconds: r.seconds,
      epoch: null,
      epochs: null,
      backend: saved.backend,
      classes: r.perClass.length,
      sweepId: null,
      config,
      meta: { tags: [], note: '' },
      evals: [{ tag: 'last', epoch: 0, top1: r.top1, top5: Number.NaN, many: r.groups.many, medium: r.groups.medium, few: r.groups.few }],
    };
    head.set(s, r.perClass[0]!);
    return s;
  });
  return { summaries, head };
}

function sweepSummaries(sweepId: string): ExperimentSummary[] {
  return readRunSummaries(runsRoot).filter((s) => s.sweepId === sweepId);
}

function saveResults(summaries: readonly ExperimentSummary[]): void {
  const runs = summaries.flatMap((s): SavedRun[] => {
    const tags = listEvalTags(s.dir);
    const last = tags[tags.length - 1];
    if (last === undefined || s.status !== 'completed') return [];
    const ev = readEvalFile(s.dir, last);
    return [
      {
        method: String(s.config['loss.kind']),
        seed: Number(s.config.seed),
        runDir: path.relative(repo, s.dir),
        seconds: s.durationSeconds ?? 0,
        top1: ev.top1,
        groups: ev.groupAccuracy,
        perClass: ev.perClassAccuracy,
        config: s.config,
      },
    ];
  });
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(
    outFile,
    `${JSON.stringify({ preset: presetName, backend, sets: sets.map((t) => ({ path: t.split('=')[0], value: t.split('=').slice(1).join('=') })), runs }, null, 1)}\n`,
  );
  console.log(`results: ${path.relative(repo, outFile)}`);
}

function main(): void {
  const fromResults = args.includes('--from-results') ? opt('--from-results', '') : undefined;
  if (fromResults) {
    const { summaries, head } = summariesFromResults(path.resolve(fromResults));
    const saved = JSON.parse(fs.readFileSync(path.resolve(fromResults), 'utf8')) as SavedResults;
    const setText = saved.sets.map((s) => `${s.path}=${JSON.stringify(s.value)}`).join(' ');
    printTable(
      summaries,
      (s) => head.get(s),
      `from ${path.relative(repo, path.resolve(fromResults))} (preset ${saved.preset}, backend ${saved.backend}${setText ? `, --set ${setText}` : ''})`,
    );
    return;
  }
  if (args.includes('--table-only')) {
    const id = opt('--sweep', '');
    if (!id) throw new Error("--table-only needs --sweep SWEEP_ID (gpaco ls --json shows each run's sweepId)");
    printTable(sweepSummaries(id), headFromRun, `sweep ${id}`);
    return;
  }
  const cli = path.join(repo, 'dist/cli.js');
  if (!fs.existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first');
  const started = Date.now();
  const sweepArgs = [
    'sweep',
    '--preset',
    presetName,
    '--grid',
    `loss.kind=${methods.join(',')}`,
    '--grid',
    `seed=${seeds}`,
    '--name',
    'bench-lt',
    '--runs-dir',
    runsRoot,
    '--max-concurrent',
    '1',
    ...sets.flatMap((s) => ['--set', s]),
  ];
  console.log(`$ gpaco ${sweepArgs.join(' ')}`);
  // The sweep's progress goes straight to the terminal; its id is the sweep record it adds.
  const records = path.dirname(sweepDir(runsRoot, 'x'));
  const sweeps = () => new Set(fs.existsSync(records) ? fs.readdirSync(records) : []);
  const before = sweeps();
  const r = spawnSync(process.execPath, [cli, ...sweepArgs], { stdio: ['ignore', 'inherit', 'inherit'] });
  const id = [...sweeps()].find((s) => !before.has(s));
  if (!id) throw new Error(`gpaco sweep did not start (exit ${r.status})`);
  if (r.status !== 0) process.exitCode = 1;
  const summaries = sweepSummaries(id);
  printTable(summaries, headFromRun, `sweep ${id}`);
  console.log(
    `\n${summaries.length} runs in ${((Date.now() - started) / 60000).toFixed(1)} min; run folders under ${path.relative(repo, runsRoot)} (gpaco ls --runs-dir ${path.relative(repo, runsRoot)} --group-by-config shows them)`,
  );
  saveResults(summaries);
}

try {
  main();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
