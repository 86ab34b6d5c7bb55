// Groups in a comparison (src/core/compareGroups.ts) on real fixture run folders: the training
// loss band of a group, read from the members' metrics.jsonl (checked against those files by
// hand, also as they grow or are replaced), and the config differences with one column per group.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CompareGroupsSource, buildGroupsCompare } from '../../../src/core/compareGroups';
import { buildCompareSnapshot, configDifferences } from '../../../src/core/snapshot';
import { decodeMatrix } from '../../../src/protocol/matrixCodec';
import type { BandSeries, CompareSnapshot } from '../../../src/protocol/snapshot';
import { writeSweepFixture, type PlannedRun } from '../../fixtures/experiments/generate';
import { tempDir } from '../../../test/shared/tmp';

/** Each run's loss by epoch, read from its metrics.jsonl here (not by the code under test). */
function lossesOf(dir: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { kind: string; epoch: number; loss: number };
    if (r.kind === 'epoch') out.set(r.epoch, r.loss);
  }
  return out;
}

/** Mean, sample std, min, max and n per epoch, written out here. */
function expectedBand(series: Map<number, number>[]): BandSeries {
  const epochs = [...new Set(series.flatMap((s) => [...s.keys()]))].sort((a, b) => a - b);
  const band: BandSeries = { epochs, mean: [], std: [], min: [], max: [], n: [] };
  for (const e of epochs) {
    const xs = series.filter((s) => s.has(e)).map((s) => s.get(e)!);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    band.mean.push(mean);
    band.std.push(xs.length < 2 ? null : Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)));
    band.min.push(Math.min(...xs));
    band.max.push(Math.max(...xs));
    band.n.push(xs.length);
  }
  return band;
}

function assertBand(actual: BandSeries, expected: BandSeries, what: string): void {
  assert.deepEqual(actual.epochs, expected.epochs, `${what}: epochs`);
  assert.deepEqual(actual.n, expected.n, `${what}: n`);
  assert.deepEqual(actual.min, expected.min, `${what}: min`);
  assert.deepEqual(actual.max, expected.max, `${what}: max`);
  expected.mean.forEach((m, i) => assert.ok(Math.abs(actual.mean[i]! - m) < 1e-12, `${what}: mean at epoch ${expected.epochs[i]}`));
  expected.std.forEach((s, i) =>
    assert.ok(s === null ? actual.std[i] === null : Math.abs(actual.std[i]! - s) < 1e-12, `${what}: std at epoch ${expected.epochs[i]}`),
  );
}

function sweep(t: Parameters<typeof tempDir>[0]): { root: string; plan: PlannedRun[] } {
  const root = path.join(tempDir(t), 'runs');
  // Three seeds of every config, four epochs each (where the status lets a run get that far).
  return { root, plan: writeSweepFixture(root, { runs: 360, evals: 4, evalFiles: 'all' }) };
}

const configOf = (p: PlannedRun) => `${p.method}/${p.alpha}/${p.lr}/${p.classes}`;

test("a group's training loss: per-epoch mean, sample std, min and max of its members' epoch records", (t) => {
  const { root, plan } = sweep(t);
  // A config whose furthest epoch only one member reached (so n differs along the curve).
  const started = plan.filter((p) => p.fault === undefined && p.done > 0);
  const groups = [...new Set(started.map(configOf))].map((c) => started.filter((p) => configOf(p) === c));
  const alone = (g: PlannedRun[]) => g.filter((p) => p.done === Math.max(...g.map((q) => q.done))).length === 1;
  const members = groups.find((g) => g.length >= 2 && alone(g))!;
  assert.ok(members, 'the fixture has a group one of whose members went furthest');
  const dirs = members.map((p) => path.join(root, p.id));
  const snap = buildGroupsCompare([{ label: 'g', dirs }], 'std');
  const group = snap.groups![0]!;
  const expected = expectedBand(dirs.map(lossesOf));
  assertBand(group.loss, expected, 'loss');
  // The members' losses differ (the band has a width), and the epochs with one member have no std.
  assert.ok(expected.max.some((m, i) => m > expected.min[i]!));
  assert.ok(expected.n.includes(1) && group.loss.std[expected.n.indexOf(1)] === null);
  // The accuracy band is the same kind of curve, over the eval records.
  assert.deepEqual(
    group.curves.top1.epochs,
    [...new Set(members.flatMap((p) => p.evals.map((e) => e.epoch)))].sort((a, b) => a - b),
  );
});

test('a live group loss follows appended epoch records and a replaced metrics.jsonl', (t) => {
  const { root, plan } = sweep(t);
  const members = plan.filter((p) => p.method === 'gpaco' && p.alpha === 0.05 && p.lr === 0.1 && p.classes === 10 && p.done > 0);
  assert.ok(members.length >= 2);
  const dirs = members.map((p) => path.join(root, p.id));
  const source = new CompareGroupsSource();
  const base: CompareSnapshot = buildGroupsCompare([], 'std');
  const build = () => source.build(base, [], [{ label: 'g', dirs }], 'minmax').groups![0]!.loss;
  assertBand(build(), expectedBand(dirs.map(lossesOf)), 'first build');

  // One member trains an epoch further: the new epoch has that member alone.
  const grown = dirs[0]!;
  const next = Math.max(...dirs.flatMap((d) => [...lossesOf(d).keys()])) + 1;
  const record = {
    kind: 'epoch',
    epoch: next,
    loss: 0.0123,
    accuracy: 0.5,
    lr: 0.1,
    seconds: 5,
    imagesPerSecond: 300,
    time: new Date().toISOString(),
  };
  fs.appendFileSync(path.join(grown, 'metrics.jsonl'), `${JSON.stringify(record)}\n`);
  source.invalidate(grown);
  const after = build();
  assertBand(after, expectedBand(dirs.map(lossesOf)), 'after an appended epoch');
  const at = after.epochs.indexOf(next);
  assert.ok(at >= 0 && after.mean[at] === record.loss && after.n[at] === 1);

  // A member's metrics.jsonl replaced by a shorter one (a restarted run): its old epochs are gone.
  const replaced = dirs[1]!;
  const lines = fs.readFileSync(path.join(replaced, 'metrics.jsonl'), 'utf8').split('\n');
  const firstEpoch = lines.findIndex((l) => l.includes('"kind":"epoch"'));
  const tmp = path.join(replaced, 'metrics.jsonl.new');
  fs.writeFileSync(tmp, `${lines.slice(0, firstEpoch + 1).join('\n')}\n`);
  fs.renameSync(tmp, path.join(replaced, 'metrics.jsonl'));
  source.invalidate(replaced);
  assertBand(build(), expectedBand(dirs.map(lossesOf)), 'after a replaced metrics.jsonl');
  assert.equal(lossesOf(replaced).size, 1);
});

test("a group's summed confusion matrix: the evaluated members' matrices at their last common epoch; a queued seed adds nothing", (t) => {
  const { root, plan } = sweep(t);
  const ok = plan.filter((p) => p.fault === undefined);
  const groups = [...new Set(ok.map(configOf))].map((c) => ok.filter((p) => configOf(p) === c));
  const members = groups.find((g) => g.some((p) => p.done === 0) && g.filter((p) => p.done > 0).length >= 2)!;
  assert.ok(members, 'the fixture has a group with a queued seed and two evaluated ones');
  const group = buildGroupsCompare([{ label: 'g', dirs: members.map((p) => path.join(root, p.id)) }], 'std').groups![0]!;
  const evaluated = members.filter((p) => p.done > 0);
  const epoch = Math.min(...evaluated.map((p) => p.done));
  assert.equal(group.confusionNote, null);
  assert.equal(group.confusionMembers, evaluated.length);
  assert.equal(group.confusionEpoch, epoch);
  // By hand from the eval files: the summed matrix holds every evaluated member's images, and its
  // diagonal (display order moves rows and columns alike) their right answers.
  const files = evaluated.map(
    (p) =>
      JSON.parse(fs.readFileSync(path.join(root, p.id, 'evals', `epoch-${String(epoch).padStart(4, '0')}.json`), 'utf8')) as {
        n: number;
        confusion: { cells: number[] };
      },
  );
  const m = decodeMatrix(group.confusion!);
  const c = group.classes!.names.length;
  assert.equal(
    m.reduce((a, b) => a + b, 0),
    files.reduce((a, f) => a + f.n, 0),
  );
  let trace = 0;
  for (let i = 0; i < c; i++) trace += m[i * c + i]!;
  let right = 0;
  for (const f of files)
    for (let k = 0; k < f.confusion.cells.length; k += 3)
      if (f.confusion.cells[k] === f.confusion.cells[k + 1]) right += f.confusion.cells[k + 2]!;
  assert.equal(trace, right);
});

test('config differences: one column per group, shared values and the values that vary inside it', (t) => {
  const { root, plan } = sweep(t);
  const ok = plan.filter((p) => p.fault === undefined);
  const pickGroup = (method: string) => ok.filter((p) => p.method === method && p.alpha === 0.05 && p.lr === 0.1 && p.classes === 10);
  const groups = [pickGroup('gpaco'), pickGroup('ce')];
  const run = ok.find((p) => p.method === 'paco' && p.alpha === 0.05 && p.lr === 0.05 && p.classes === 10)!;
  const runDir = path.join(root, run.id);
  const base = buildCompareSnapshot([runDir]);
  const snap = new CompareGroupsSource().build(
    base,
    [(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) as { config: unknown }).config],
    groups.map((g, i) => ({ label: `g${i}`, dirs: g.map((p) => path.join(root, p.id)) })),
    'std',
  );
  // What the plan varies, by hand: a key is a difference when its values over the run and every
  // member are not all one; a group's cell is its one value, or its distinct values in order.
  const fields: Record<string, (p: PlannedRun) => number | string> = {
    'data.classes': (p) => p.classes,
    'loss.alpha': (p) => p.alpha,
    'loss.kind': (p) => p.method,
    'optim.lr': (p) => p.lr,
    seed: (p) => p.seed,
  };
  const expectedKeys = Object.keys(fields).filter(
    (k) => new Set([run, ...groups.flat()].map((p) => JSON.stringify(fields[k]!(p)))).size > 1,
  );
  assert.deepEqual(
    snap.configDiff.map((d) => d.key),
    expectedKeys,
    'exactly the planned differences (the run names differ too, but a name is not a config difference)',
  );
  assert.deepEqual(expectedKeys, ['loss.kind', 'optim.lr', 'seed']);
  for (const d of snap.configDiff) {
    const f = fields[d.key]!;
    assert.deepEqual(d.values, [JSON.stringify(f(run))]);
    assert.equal(d.groups?.length, 2);
    d.groups.forEach((cell, i) => {
      const distinct = [...new Set(groups[i]!.map(f))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((v) => JSON.stringify(v));
      assert.deepEqual(cell, distinct.length === 1 ? { kind: 'same', value: distinct[0] } : { kind: 'varies', values: distinct }, d.key);
    });
  }
});

test('configDifferences with groups: absent values last, numbers in numeric order, a key varying inside one group only', () => {
  const d = configDifferences(
    [{ a: 1, s: 10 }],
    [
      [
        { a: 1, s: 10 },
        { a: 1, s: 9, x: 'y' },
        { a: 1, s: 10 },
      ],
      [
        { a: 1, s: 10, name: 'n1' },
        { a: 1, s: 10, name: 'n2' },
      ],
    ],
  );
  assert.deepEqual(d, [
    {
      key: 's',
      values: ['10'],
      groups: [
        { kind: 'varies', values: ['9', '10'] },
        { kind: 'same', value: '10' },
      ],
    },
    {
      key: 'x',
      values: [null],
      groups: [
        { kind: 'varies', values: ['"y"', null] },
        { kind: 'same', value: null },
      ],
    },
  ]);
  // Without groups, the runs' columns only (as before).
  assert.deepEqual(configDifferences([{ a: 1 }, { a: 2 }]), [{ key: 'a', values: ['1', '2'] }]);
});
