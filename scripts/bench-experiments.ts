// Experiments table benchmark, host side (budgets on a 2-core machine: snapshot of 1,000 runs
// ready < 1 s; sort or filter < 50 ms; grouping 1,000 runs < 100 ms).
//   node --import tsx scripts/bench-experiments.ts [--runs 1000] [--evals 30] [--rounds 15] [--keep DIR]
// Writes a sweep fixture (test/fixtures/experiments/generate.ts: 1,000 run folders, 30
// evaluations each, 10 / 100 / 1000 classes, mixed statuses) into a temporary folder, then times
// the core/experiments path the panel and `gpaco ls` use:
//   - summary read of every run with an empty cache ("cold": this process has read nothing; the
//     OS file cache is warm, since the files were just written), and a refresh with a full
//     cache (stat only), against the Runs tree's catalog read (listRuns) of the same folders;
//   - the same cold read as the extension host does it (SummaryCache.getMany: async stats, reads
//     in short slices), and the longest the event loop waited meanwhile;
//   - the snapshot: summaries -> rows -> JSON, its size;
//   - one run's new evaluation picked up through the cache;
//   - sort, filter, grouping and CSV of the 1,000 rows (median / p95 over rounds).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listRuns } from '../src/core/catalog';
import { runFolders, SummaryCache } from '../src/core/experiments/summary';
import { buildRows, filterRows, groupRows, sortGroups, sortRows, tableToCsv, type ColumnId } from '../src/core/experiments/table';
import { groupCurve } from '../src/core/experiments/curves';
import { writeSweepFixture } from '../test/fixtures/experiments/generate';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const runs = opt('--runs', 1000);
const evals = opt('--evals', 30);
const rounds = opt('--rounds', 15);
const keepIdx = args.indexOf('--keep');
const root = keepIdx >= 0 ? path.resolve(args[keepIdx + 1]!) : fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-bench-experiments-'));

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const v = f();
  return [v, performance.now() - t0];
}
function repeat(f: () => unknown): { median: number; p95: number } {
  const xs: number[] = [];
  for (let i = 0; i < rounds; i++) xs.push(time(f)[1]);
  xs.sort((a, b) => a - b);
  return { median: xs[Math.floor(xs.length / 2)]!, p95: xs[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]! };
}
/** Runs `f` and, meanwhile, measures the longest turn of the event loop (what other work would wait). */
async function timeWithStalls<T>(f: () => Promise<T>): Promise<[T, number, number]> {
  let running = true;
  let worst = 0;
  let last = performance.now();
  const tick = () => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const t0 = performance.now();
  const v = await f();
  const total = performance.now() - t0;
  running = false;
  return [v, total, Math.max(worst, performance.now() - last)];
}
const ms = (x: number) => `${x.toFixed(1)} ms`;
const verdict = (x: number, budget: number) => `${x <= budget ? 'within' : 'OVER'} the ${budget} ms budget`;

async function main(): Promise<void> {
  try {
    const [plan, genMs] = time(() => writeSweepFixture(root, { runs, evals }));
    const bytes = plan.length;
    console.log(`fixture: ${bytes} runs, up to ${evals} evaluations each, in ${root} (written in ${(genMs / 1000).toFixed(1)} s)`);
    const load = () => os.loadavg()[0]!.toFixed(1);
    console.log(
      `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${load()} at the start (other work shares the machine: compare the ratios); node ${process.version}\n`,
    );

    // Baseline first, so both reads find the OS cache equally warm.
    const [, catalogMs] = time(() => listRuns(root));
    const cache = new SummaryCache();
    const [summaries, coldMs] = time(() => cache.listRoot(root));
    const [, warmMs] = time(() => cache.listRoot(root));
    const [, rowsMs] = time(() => buildRows(summaries, { kind: 'last' }));
    const [snapshotJson, jsonMs] = time(() => JSON.stringify(summaries));
    const snapshotMs = coldMs + rowsMs + jsonMs;
    console.log('snapshot (host side)');
    console.log(
      `  summary read, cold cache        ${ms(coldMs)}  (catalog listRuns of the same runs: ${ms(catalogMs)}, ratio ${(coldMs / catalogMs).toFixed(2)})`,
    );
    console.log(`  refresh, full cache (stat only) ${ms(warmMs)}  (${(coldMs / warmMs).toFixed(0)}x faster than cold)`);
    console.log(`  rows (last evaluation)          ${ms(rowsMs)}`);
    console.log(
      `  JSON of the summaries           ${ms(jsonMs)}, ${(snapshotJson.length / 1024 / 1024).toFixed(2)} MiB (${(snapshotJson.length / summaries.length / 1024).toFixed(1)} KiB a run; ${summaries.reduce((n, s) => n + s.evals.length, 0)} evaluations)`,
    );
    console.log(`  snapshot ready: ${ms(snapshotMs)}, ${verdict(snapshotMs, 1000)}`);
    // The extension host's path (ExperimentsModel.load): the cold read without holding the event loop.
    const hostCache = new SummaryCache();
    const [, hostColdMs, stallMs] = await timeWithStalls(() => hostCache.getMany(runFolders(root)));
    const hostSnapshotMs = hostColdMs + rowsMs + jsonMs;
    console.log(
      `  extension host's cold read (getMany) ${ms(hostColdMs)}, event loop held at most ${ms(stallMs)} at a time (the synchronous read holds it ${ms(coldMs)})`,
    );
    console.log(`  snapshot ready in the extension host: ${ms(hostSnapshotMs)}, ${verdict(hostSnapshotMs, 1000)}`);

    // One run gains an evaluation: the cache re-reads that run only (its metrics.jsonl from where it stopped).
    const target = summaries.find((s) => s.status === 'completed')!;
    fs.appendFileSync(
      path.join(target.dir, 'metrics.jsonl'),
      `${JSON.stringify({ kind: 'eval', epoch: evals + 1, tag: `epoch-${String(evals + 1).padStart(4, '0')}`, top1: 0.5, top5: 0.9, many: 0.6, medium: 0.5, few: 0.4, file: 'x', time: new Date().toISOString() })}\n`,
    );
    const readsBefore = cache.stats.reads;
    const [, oneMs] = time(() => cache.get(target.dir));
    const [, refreshAfterMs] = time(() => cache.listRoot(root));
    console.log(
      `  one run's new evaluation: get ${ms(oneMs)}; then a full refresh ${ms(refreshAfterMs)} re-read ${cache.stats.reads - readsBefore} run(s)\n`,
    );

    const rows = buildRows(cache.listRoot(root), { kind: 'best', by: 'few' });
    const sortFew = repeat(() => sortRows(rows, 'metric:few', 'desc'));
    const sortName = repeat(() => sortRows(rows, 'name', 'asc'));
    const sortAlpha = repeat(() => sortRows(rows, 'config:loss.alpha', 'asc'));
    // Rows carry their search text (made once per summary, with the first rows): the first filter is like any other.
    const [, firstFilterMs] = time(() => filterRows(rows, { text: 'gpaco' }));
    const filterText = repeat(() => filterRows(rows, { text: 'gpaco loss.alpha=0.05' }));
    const filterTag = repeat(() => filterRows(rows, { tags: ['promising'], statuses: ['completed'] }));
    const rowsBest = repeat(() => buildRows(summaries, { kind: 'best', by: 'few' }));
    const group = repeat(() => groupRows(rows));
    const groups = groupRows(rows);
    const groupSort = repeat(() => sortGroups(groups, 'metric:few', 'desc'));
    const columns: ColumnId[] = [
      'name',
      'status',
      'tags',
      'config:loss.kind',
      'config:loss.alpha',
      'config:seed',
      'metric:top1',
      'metric:many',
      'metric:medium',
      'metric:few',
      'valueEpoch',
    ];
    const csv = repeat(() => tableToCsv({ kind: 'rows', rows }, columns, { kind: 'best', by: 'few' }));
    const biggest = groups.reduce((a, b) => (b.n > a.n ? b : a));
    const curve = repeat(() =>
      groupCurve(
        biggest.members.map((m) => m.summary),
        'few',
      ),
    );
    console.log(`table operations on ${rows.length} rows (median / p95 of ${rounds} rounds)`);
    console.log(`  sort by few                ${ms(sortFew.median)} / ${ms(sortFew.p95)}  ${verdict(sortFew.p95, 50)}`);
    console.log(`  sort by name               ${ms(sortName.median)} / ${ms(sortName.p95)}  ${verdict(sortName.p95, 50)}`);
    console.log(`  sort by loss.alpha         ${ms(sortAlpha.median)} / ${ms(sortAlpha.p95)}  ${verdict(sortAlpha.p95, 50)}`);
    console.log(`  first text filter          ${ms(firstFilterMs)}  ${verdict(firstFilterMs, 50)}`);
    console.log(`  filter "gpaco loss.alpha=0.05"  ${ms(filterText.median)} / ${ms(filterText.p95)}  ${verdict(filterText.p95, 50)}`);
    console.log(`  filter tag + status        ${ms(filterTag.median)} / ${ms(filterTag.p95)}  ${verdict(filterTag.p95, 50)}`);
    console.log(`  rows, best by few          ${ms(rowsBest.median)} / ${ms(rowsBest.p95)}`);
    console.log(
      `  group (all but seed)       ${ms(group.median)} / ${ms(group.p95)}  ${verdict(group.p95, 100)}  (${groups.length} groups)`,
    );
    console.log(`  sort groups by few         ${ms(groupSort.median)} / ${ms(groupSort.p95)}`);
    console.log(`  CSV of ${columns.length} columns        ${ms(csv.median)} / ${ms(csv.p95)}`);
    console.log(`  band curve of a ${biggest.n}-run group ${ms(curve.median)} / ${ms(curve.p95)}`);
    console.log(`\nload average ${load()} at the end`);
  } finally {
    if (keepIdx < 0) fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
