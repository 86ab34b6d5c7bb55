// The experiments table's arithmetic against numbers worked out by hand in each test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bandCurve, groupCurve } from '../../../src/core/experiments/curves';
import { statsOf } from '../../../src/core/experiments/stats';
import type { ConfigValue, EvalPoint, ExperimentSummary } from '../../../src/core/experiments/summary';
import {
  buildRows,
  differingConfigKeys,
  filterRows,
  groupRows,
  parseValueMode,
  pickEvaluation,
  sortGroups,
  sortRows,
  tableToCsv,
  type ExperimentRow,
} from '../../../src/core/experiments/table';

function ev(epoch: number, top1: number, few: number, extra: Partial<EvalPoint> = {}): EvalPoint {
  return { tag: `epoch-${String(epoch).padStart(4, '0')}`, epoch, top1, top5: 0.9, many: 0.8, medium: 0.5, few, ...extra };
}

function summary(
  id: string,
  config: Record<string, ConfigValue>,
  evals: EvalPoint[] = [],
  extra: Partial<ExperimentSummary> = {},
): ExperimentSummary {
  return {
    id,
    dir: `/runs/${id}`,
    name: id,
    status: 'completed',
    createdAt: '2026-01-01T00:00:00.000Z',
    startedAt: null,
    endedAt: null,
    durationSeconds: null,
    epoch: 10,
    epochs: 10,
    backend: 'wasm',
    classes: 10,
    sweepId: null,
    config,
    meta: { tags: [], note: '' },
    evals,
    ...extra,
  };
}

test('statsOf: mean, sample std (n - 1), n, min, max; one value has no std; none is undefined', () => {
  // 0.5, 0.6, 0.7: mean 0.6; squared deviations 0.01 + 0 + 0.01 = 0.02; / (3 - 1) = 0.01; sqrt = 0.1.
  const s = statsOf([0.5, 0.6, 0.7])!;
  assert.ok(Math.abs(s.mean - 0.6) < 1e-12);
  assert.ok(Math.abs(s.std! - 0.1) < 1e-12);
  assert.deepEqual([s.n, s.min, s.max], [3, 0.5, 0.7]);
  // 2 and 4: mean 3, deviations 1 + 1 = 2, / 1 = 2, std sqrt(2). Missing values are skipped.
  const t = statsOf([2, undefined, 4, null])!;
  assert.equal(t.mean, 3);
  assert.ok(Math.abs(t.std! - Math.SQRT2) < 1e-12);
  assert.equal(t.n, 2);
  assert.deepEqual(statsOf([0.42]), { mean: 0.42, std: null, n: 1, min: 0.42, max: 0.42 });
  assert.equal(statsOf([undefined, NaN]), undefined);
});

test('pickEvaluation: last, best by a metric (ties: earliest epoch), at an epoch (missing: undefined)', () => {
  const evals = [ev(2, 0.3, 0.1), ev(4, 0.5, 0.4), ev(6, 0.6, 0.4), ev(8, 0.55, 0.2)];
  assert.equal(pickEvaluation(evals, { kind: 'last' })?.epoch, 8);
  // few 0.4 at epochs 4 and 6: the tie goes to epoch 4.
  assert.equal(pickEvaluation(evals, { kind: 'best', by: 'few' })?.epoch, 4);
  assert.equal(pickEvaluation(evals, { kind: 'best', by: 'top1' })?.epoch, 6);
  assert.equal(pickEvaluation(evals, { kind: 'epoch', epoch: 6 })?.top1, 0.6);
  assert.equal(pickEvaluation(evals, { kind: 'epoch', epoch: 5 }), undefined);
  assert.equal(pickEvaluation([], { kind: 'last' }), undefined);
  // Order of the list does not matter for "last".
  assert.equal(pickEvaluation([ev(8, 0.1, 0.1), ev(2, 0.2, 0.2)], { kind: 'last' })?.epoch, 8);
});

test('buildRows: every metric cell of a row comes from the one evaluation the mode picks', () => {
  const s = summary('a', { seed: 0 }, [ev(1, 0.2, 0.1, { many: 0.9 }), ev(2, 0.3, 0.05, { many: 0.7 })]);
  const [best] = buildRows([s], { kind: 'best', by: 'few' });
  assert.equal(best!.source?.epoch, 1);
  assert.deepEqual(best!.metrics, { top1: 0.2, top5: 0.9, many: 0.9, medium: 0.5, few: 0.1 });
  const [at3] = buildRows([s], { kind: 'epoch', epoch: 3 });
  assert.equal(at3!.source, undefined);
  assert.equal(at3!.metrics.few, undefined);
});

test('parseValueMode: the --value forms and clear errors', () => {
  assert.deepEqual(parseValueMode('last'), { kind: 'last' });
  assert.deepEqual(parseValueMode('best'), { kind: 'best', by: 'few' });
  assert.deepEqual(parseValueMode('best:top1'), { kind: 'best', by: 'top1' });
  assert.deepEqual(parseValueMode('best:top-1'), { kind: 'best', by: 'top1' });
  assert.deepEqual(parseValueMode('epoch:12'), { kind: 'epoch', epoch: 12 });
  assert.match((parseValueMode('best:loss') as { error: string }).error, /best:METRIC takes one of top1, top5, many, medium, few/);
  assert.match((parseValueMode('epoch:x') as { error: string }).error, /whole number/);
  assert.match((parseValueMode('mean') as { error: string }).error, /not a value mode/);
});

test('differingConfigKeys: keys whose values differ or that some runs lack; unreadable runs (no config) ignored', () => {
  const rows = buildRows(
    [
      summary('a', { seed: 0, 'loss.alpha': 0.05, 'optim.lr': 0.1, 'loss.kind': 'gpaco' }),
      summary('b', { seed: 1, 'loss.alpha': 0.05, 'optim.lr': 0.1, 'loss.kind': 'gpaco', 'loss.views': 1 }),
      summary('c', { seed: 2, 'loss.alpha': 0.1, 'optim.lr': 0.1, 'loss.kind': 'gpaco' }),
      summary('broken', {}, [], { status: 'unreadable' }),
    ],
    { kind: 'last' },
  );
  assert.deepEqual(differingConfigKeys(rows), ['seed', 'loss.alpha', 'loss.views']);
  assert.deepEqual(differingConfigKeys(rows.slice(0, 1)), []);
});

function sweepRows(): ExperimentRow[] {
  // Two configs (alpha 0.05 / 0.1) x three seeds, plus one alpha-0.05 run on 100 classes.
  return buildRows(
    [
      summary('a0', { 'loss.alpha': 0.05, seed: 0 }, [ev(10, 0.7, 0.5)]),
      summary('a1', { 'loss.alpha': 0.05, seed: 1 }, [ev(10, 0.8, 0.6)]),
      summary('a2', { 'loss.alpha': 0.05, seed: 2 }, [ev(10, 0.9, 0.4)]),
      summary('b0', { 'loss.alpha': 0.1, seed: 0 }, [ev(10, 0.6, 0.3)]),
      summary('b1', { 'loss.alpha': 0.1, seed: 1 }, [ev(10, 0.65, 0.35)]),
      summary('b2', { 'loss.alpha': 0.1, seed: 2 }, [], { status: 'failed' }),
      summary('c0', { 'loss.alpha': 0.05, seed: 0 }, [ev(10, 0.2, 0.1)], { classes: 100 }),
    ],
    { kind: 'last' },
  );
}

test('groupRows: equal configs except seed form one group with mean ± sample std (n) per metric', () => {
  const groups = groupRows(sweepRows());
  assert.equal(groups.length, 3);
  const [a, b, c] = groups;
  assert.deepEqual(
    a!.members.map((m) => m.summary.id),
    ['a0', 'a1', 'a2'],
  );
  // top1 0.7, 0.8, 0.9: mean 0.8, std 0.1. few 0.5, 0.6, 0.4: mean 0.5, std 0.1.
  assert.ok(Math.abs(a!.metrics.top1!.mean - 0.8) < 1e-12);
  assert.ok(Math.abs(a!.metrics.top1!.std! - 0.1) < 1e-12);
  assert.ok(Math.abs(a!.metrics.few!.mean - 0.5) < 1e-12);
  assert.ok(Math.abs(a!.metrics.few!.std! - 0.1) < 1e-12);
  assert.deepEqual([a!.metrics.few!.min, a!.metrics.few!.max, a!.metrics.few!.n], [0.4, 0.6, 3]);
  assert.deepEqual(a!.varying, { seed: [0, 1, 2] });
  assert.deepEqual(a!.config, { 'loss.alpha': 0.05 });
  // b: three members, the failed one has no evaluation: n = 2. top1 0.6, 0.65: mean 0.625,
  // deviations 0.025^2 * 2 = 0.00125, / 1, sqrt = 0.0353553...
  assert.equal(b!.n, 3);
  assert.equal(b!.metrics.top1!.n, 2);
  assert.ok(Math.abs(b!.metrics.top1!.mean - 0.625) < 1e-12);
  assert.ok(Math.abs(b!.metrics.top1!.std! - Math.sqrt(0.00125)) < 1e-12);
  // The 100-class run has the same config as group a but is kept apart, and says why.
  assert.deepEqual(
    c!.members.map((m) => m.summary.id),
    ['c0'],
  );
  assert.notEqual(c!.key, a!.key);
  assert.match(c!.apart!, /10 classes/);
  assert.match(a!.apart!, /100 classes.*not comparable/);
  assert.equal(b!.apart, undefined);
  assert.match(a!.label, /loss\.alpha=0\.05/);
  assert.match(c!.label, /100 classes/);
});

test('groupRows: --except other keys; unreadable runs stay alone; group keys are stable', () => {
  const rows = sweepRows();
  const byAlpha = groupRows(rows, { except: ['seed', 'loss.alpha'] });
  // All 10-class runs in one group; the 100-class run alone.
  assert.deepEqual(
    byAlpha.map((g) => g.n),
    [6, 1],
  );
  assert.deepEqual(byAlpha[0]!.varying, { seed: [0, 1, 2], 'loss.alpha': [0.05, 0.1] });
  const broken = buildRows([summary('x', {}, [], { status: 'unreadable' }), summary('y', {}, [], { status: 'unreadable' })], {
    kind: 'last',
  });
  assert.equal(groupRows(broken).length, 2);
  assert.deepEqual(
    groupRows(rows).map((g) => g.key),
    groupRows([...rows].reverse())
      .map((g) => g.key)
      .reverse(),
  );
});

test('sortRows / sortGroups: numeric order, missing values last in both directions, stable', () => {
  const rows = sweepRows();
  const desc = sortRows(rows, 'metric:few', 'desc').map((r) => r.summary.id);
  assert.deepEqual(desc, ['a1', 'a0', 'a2', 'b1', 'b0', 'c0', 'b2']);
  const asc = sortRows(rows, 'metric:few', 'asc').map((r) => r.summary.id);
  assert.deepEqual(asc, ['c0', 'b0', 'b1', 'a2', 'a0', 'a1', 'b2']);
  // Numbers compare as numbers: 9 before 10 (a text sort puts "10" first).
  const n = buildRows([summary('nine', { 'optim.epochs': 9 }), summary('ten', { 'optim.epochs': 10 })], { kind: 'last' });
  assert.deepEqual(
    sortRows(n, 'config:optim.epochs', 'asc').map((r) => r.summary.id),
    ['nine', 'ten'],
  );
  const groups = sortGroups(groupRows(rows), 'metric:top1', 'desc');
  assert.deepEqual(
    groups.map((g) => g.members[0]!.summary.id),
    ['a0', 'b0', 'c0'],
  );
});

test('filterRows: words in name / tags / note / key=value, statuses, tags (all required)', () => {
  const rows = buildRows(
    [
      summary('r1', { 'loss.kind': 'gpaco', 'loss.alpha': 0.05 }, [], { meta: { tags: ['best', 'paper'], note: 'Looks stable' } }),
      summary('r2', { 'loss.kind': 'ce', 'loss.alpha': 0.05 }, [], { meta: { tags: ['paper'], note: '' }, status: 'failed' }),
      summary('r3', { 'loss.kind': 'paco', 'loss.alpha': 0.1 }, [], { name: 'PaCo long' }),
    ],
    { kind: 'last' },
  );
  const ids = (f: Parameters<typeof filterRows>[1]) => filterRows(rows, f).map((r) => r.summary.id);
  assert.deepEqual(ids({ text: 'loss.kind=gpaco' }), ['r1']);
  assert.deepEqual(ids({ text: 'loss.alpha=0.05' }), ['r1', 'r2']);
  // key=value is an exact entry: alpha=0.1 is not alpha=0.15, and a bare value is a substring.
  assert.deepEqual(ids({ text: 'loss.alpha=0.1' }), ['r3']);
  assert.deepEqual(ids({ text: 'loss.alpha=0.' }), []);
  assert.deepEqual(ids({ text: '0.0' }), ['r1', 'r2']);
  assert.deepEqual(ids({ text: 'paco LONG' }), ['r3']);
  assert.deepEqual(ids({ text: 'stable' }), ['r1']);
  assert.deepEqual(ids({ statuses: ['failed'] }), ['r2']);
  assert.deepEqual(ids({ tags: ['paper'] }), ['r1', 'r2']);
  assert.deepEqual(ids({ tags: ['paper', 'best'] }), ['r1']);
  assert.deepEqual(ids({}), ['r1', 'r2', 'r3']);
});

test('tableToCsv: rows and groups with the visible columns, mode in the headers, quoting and formula guard', () => {
  const rows = sweepRows();
  const mode = { kind: 'best', by: 'few' } as const;
  const csvRows = tableToCsv({ kind: 'rows', rows: rows.slice(0, 2) }, ['name', 'config:loss.alpha', 'metric:few', 'valueEpoch'], mode);
  assert.equal(csvRows, 'name,loss.alpha,few (best few),epoch of best few\r\na0,0.05,0.5,10\r\na1,0.05,0.6,10\r\n');
  const groups = groupRows(rows).slice(0, 1);
  const csvGroups = tableToCsv({ kind: 'groups', groups }, ['name', 'n', 'metric:top1'], { kind: 'last' });
  const [head, line] = csvGroups.trim().split('\r\n');
  assert.equal(head, 'name,n,top-1 (last) mean,top-1 (last) std,top-1 (last) n');
  const cells = line!.split(',');
  assert.equal(cells[1], '3');
  assert.ok(Math.abs(Number(cells[2]) - 0.8) < 1e-12);
  assert.ok(Math.abs(Number(cells[3]) - 0.1) < 1e-12);
  assert.equal(cells[4], '3');
  const odd = buildRows([summary('q', {}, [], { name: 'a "quoted", name' }), summary('f', {}, [], { name: '=HYPERLINK("x")' })], {
    kind: 'last',
  });
  assert.equal(
    tableToCsv({ kind: 'rows', rows: odd }, ['name'], { kind: 'last' }),
    'name\r\n"a ""quoted"", name"\r\n"\'=HYPERLINK(""x"")"\r\n',
  );
});

test('bandCurve / groupCurve: per-epoch mean, std, min, max over members, n where members differ', () => {
  // Epoch 1: 0.1, 0.3 -> mean 0.2, std sqrt(0.02) = 0.141421...; epoch 2: 0.4 only -> std null.
  const c = bandCurve([
    [
      { epoch: 1, value: 0.1 },
      { epoch: 2, value: 0.4 },
    ],
    [{ epoch: 1, value: 0.3 }],
  ]);
  assert.deepEqual(c.epochs, [1, 2]);
  assert.ok(Math.abs(c.mean[0]! - 0.2) < 1e-12);
  assert.ok(Math.abs(c.std[0]! - Math.sqrt(0.02)) < 1e-12);
  assert.deepEqual([c.min[0], c.max[0], c.n[0]], [0.1, 0.3, 2]);
  assert.deepEqual([c.mean[1], c.std[1], c.n[1]], [0.4, null, 1]);
  const g = groupCurve([{ evals: [ev(2, 0.5, 0.2), ev(1, 0.4, 0.1)] }, { evals: [ev(1, 0.6, 0.3)] }], 'few');
  assert.deepEqual(g.epochs, [1, 2]);
  assert.ok(Math.abs(g.mean[0]! - 0.2) < 1e-12);
  assert.deepEqual(g.n, [2, 1]);
});
