// Run summaries read from real fixture folders, and the cache that avoids re-reading them.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { updateRunMeta } from '../../../src/core/experiments/meta';
import { SummaryCache, flattenConfig, readRunSummaries, readRunSummary } from '../../../src/core/experiments/summary';
import { buildRows, groupRows } from '../../../src/core/experiments/table';
import { appendMetric } from '../../../test/shared/fixtureRuns';
import { sweepPlan, writeSweepFixture } from '../../fixtures/experiments/generate';
import { tempDir } from '../../../test/shared/tmp';

test('flattenConfig: a __proto__ field from a hostile config.json is dropped, nothing polluted', () => {
  const flat = flattenConfig(JSON.parse('{"__proto__": {"polluted": 1}, "loss": {"__proto__": null, "alpha": 1}}'));
  assert.deepEqual(Object.entries(flat), [['loss.alpha', 1]]);
  assert.equal(Object.getPrototypeOf(flat), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('flattenConfig: dotted keys, arrays as JSON, name left out', () => {
  assert.deepEqual(
    flattenConfig({ name: 'x', seed: 3, loss: { alpha: 0.05, kind: 'gpaco' }, optim: { stepEpochs: [160, 180] }, launch: { slurm: {} } }),
    {
      seed: 3,
      'loss.alpha': 0.05,
      'loss.kind': 'gpaco',
      'optim.stepEpochs': '[160,180]',
      'launch.slurm': '{}',
    },
  );
});

test('readRunSummaries: every fixture run gets a row with status, classes, config, tags and all evaluations', (t) => {
  const root = tempDir(t);
  const plan = writeSweepFixture(root, { runs: 130, evals: 6 });
  const summaries = readRunSummaries(root);
  assert.equal(summaries.length, 130);
  const byId = new Map(summaries.map((s) => [s.id, s]));
  for (const p of plan) {
    const s = byId.get(p.id)!;
    assert.ok(s, `${p.id} has a row`);
    assert.equal(s.classes, p.classes, `${p.id} classes`);
    assert.deepEqual(
      s.evals.map((e) => [e.epoch, e.top1, e.few]),
      p.evals.map((e) => [e.epoch, e.top1, e.few]),
      `${p.id} evaluations`,
    );
    if (p.fault === 'malformed-run-json') {
      assert.equal(s.status, 'unreadable');
      assert.match(s.problem!, /run\.json: not valid JSON/);
      // The config still comes from config.json, so the run can be grouped and filtered.
      assert.equal(s.config['loss.kind'], p.method);
      continue;
    }
    assert.equal(s.status, p.status === 'running' ? 'interrupted' : p.status, `${p.id} status`);
    assert.deepEqual(
      [s.config['loss.kind'], s.config['loss.alpha'], s.config['optim.lr'], s.config.seed],
      [p.method, p.alpha, p.lr, p.seed],
    );
    if (p.fault === 'malformed-meta') {
      assert.deepEqual(s.meta.tags, []);
      assert.match(s.meta.problem!, /meta\.json: not valid JSON/);
    } else assert.deepEqual(s.meta.tags, p.tags);
    assert.equal(s.epoch, p.done);
  }
  // Newest first.
  assert.equal(summaries[0]!.id, plan[plan.length - 1]!.id);
  // Fixture sweep: 120 configs (4 methods x 5 alphas x 2 lrs x 3 class counts), 130 runs: 10 configs have 2 seeds.
  const groups = groupRows(buildRows(summaries, { kind: 'last' }));
  assert.equal(groups.length, 120);
  assert.equal(groups.filter((g) => g.n === 2).length, 10);
});

test('readRunSummary: evaluations only in eval files (no metrics records) are read from the files', (t) => {
  const root = tempDir(t);
  const [p] = writeSweepFixture(root, { runs: 1, evals: 4, faults: false });
  const dir = path.join(root, p!.id);
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), '');
  const s = readRunSummary(dir);
  // Only the last evaluation has a file.
  assert.deepEqual(
    s.evals.map((e) => [e.epoch, e.few]),
    [[4, p!.evals[3]!.few]],
  );
});

test('SummaryCache: unchanged runs are not re-read; a changed file, an appended eval or invalidate re-reads one run', (t) => {
  const root = tempDir(t);
  const plan = writeSweepFixture(root, { runs: 20, evals: 3, faults: false });
  const cache = new SummaryCache();
  cache.listRoot(root);
  assert.deepEqual(cache.stats, { reads: 20, hits: 0 });
  cache.listRoot(root);
  assert.deepEqual(cache.stats, { reads: 20, hits: 20 });

  const dir = path.join(root, plan[0]!.id);
  updateRunMeta(dir, { addTags: ['fresh'] });
  const after = cache.listRoot(root);
  assert.equal(cache.stats.reads, 21);
  assert.deepEqual(after.find((s) => s.id === plan[0]!.id)!.meta.tags, ['baseline', 'fresh']);

  appendMetric(dir, {
    kind: 'eval',
    epoch: 4,
    tag: 'epoch-0004',
    top1: 0.99,
    top5: 1,
    many: 1,
    medium: 1,
    few: 0.98,
    file: 'evals/epoch-0004.json',
    time: '2026-01-01T01:00:00.000Z',
  });
  const s = cache.get(dir);
  assert.equal(cache.stats.reads, 22);
  assert.deepEqual(
    s.evals.map((e) => e.epoch),
    [1, 2, 3, 4],
  );
  assert.equal(s.evals[3]!.few, 0.98);

  cache.invalidate(dir);
  cache.get(dir);
  assert.equal(cache.stats.reads, 23);
  assert.equal(cache.peek(path.join(root, plan[1]!.id))!.id, plan[1]!.id);

  fs.rmSync(path.join(root, plan[2]!.id), { recursive: true });
  assert.equal(cache.listRoot(root).length, 19);
  assert.equal(cache.size, 19);
});

test('SummaryCache.getMany: the same summaries as get, the event loop runs between slices, then cache hits and invalidation as get', async (t) => {
  const root = tempDir(t);
  const plan = writeSweepFixture(root, { runs: 120, evals: 5, faults: false });
  const dirs = plan.map((r) => path.join(root, r.id));
  const cache = new SummaryCache();
  // A timer that fires only when the event loop is free: it must run while 120 runs are read.
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  let many;
  try {
    many = await cache.getMany(dirs, { sliceMs: 1, chunk: 16 });
  } finally {
    clearInterval(timer);
  }
  assert.ok(ticks > 0, 'the event loop ran during the cold read');
  assert.deepEqual(cache.stats, { reads: 120, hits: 0 });
  const fresh = dirs.map((d) => readRunSummary(d));
  assert.deepEqual(many, fresh, 'getMany reads what readRunSummary reads');
  // Unchanged: all hits, through either path.
  await cache.getMany(dirs);
  cache.get(dirs[5]!);
  assert.deepEqual(cache.stats, { reads: 120, hits: 121 });
  // A changed file and an invalidated run are read again; nothing else.
  updateRunMeta(dirs[0]!, { addTags: ['async'] });
  cache.invalidate(dirs[1]!);
  const again = await cache.getMany(dirs);
  assert.equal(cache.stats.reads, 122);
  assert.ok(again[0]!.meta.tags.includes('async'));
});

test('sweepPlan: the fixture is a sweep of methods x alphas x lrs x classes over seeds with mixed statuses', () => {
  const plan = sweepPlan();
  assert.equal(plan.length, 1000);
  const statuses = new Set(plan.map((p) => p.status));
  assert.deepEqual([...statuses].sort(), ['completed', 'failed', 'queued', 'running', 'stopped']);
  assert.deepEqual(
    [...new Set(plan.map((p) => p.classes))].sort((a, b) => a - b),
    [10, 100, 1000],
  );
  assert.equal(Math.max(...plan.map((p) => p.evals.length)), 30);
});

test('SummaryCache: a run whose metrics.jsonl announces no evaluation is re-read when an eval file appears', (t) => {
  const root = tempDir(t);
  const [p] = writeSweepFixture(root, { runs: 1, evals: 3, faults: false });
  const dir = path.join(root, p!.id);
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), '');
  const cache = new SummaryCache();
  assert.deepEqual(
    cache.get(dir).evals.map((e) => e.epoch),
    [3],
  );
  const file = path.join(dir, 'evals', 'epoch-0003.json');
  const ev = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(dir, 'evals', 'epoch-0004.json'), JSON.stringify({ ...ev, tag: 'epoch-0004', epoch: 4, top1: 0.77 }));
  const s = cache.get(dir);
  assert.equal(cache.stats.reads, 2);
  assert.deepEqual(
    s.evals.map((e) => [e.epoch, e.top1]),
    [
      [3, p!.evals[2]!.top1],
      [4, 0.77],
    ],
  );
});
