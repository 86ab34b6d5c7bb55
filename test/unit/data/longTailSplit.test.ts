import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from '../../../src/core/config/validate';
import { assignShotGroups, groupSizes } from '../../../src/core/evalMath';
import { classCounts, flattenIndices, largestFeasibleMax, planLongTailSplit, resolveMaxPerClass } from '../../../src/data/longTailSplit';
import { DataError } from '../../../src/data/types';
import { balancedLabels } from './writers';

const names = (c: number) => Array.from({ length: c }, (_, i) => `class${i}`);
const SHOTS = { kind: 'shots', many: 100, few: 20 } as const;

// The papers' CIFAR-100-LT table (500 per class, natural label order).
for (const [imbalanceFactor, total, many, medium, few, nMin] of [
  [100, 10847, 35, 35, 30, 5],
  [50, 12608, 41, 41, 18, 10],
  [10, 19573, 69, 31, 0, 50],
] as const) {
  test(`CIFAR-100-LT IF ${imbalanceFactor}: ${total} images, ${many} / ${medium} / ${few} many / medium / few`, () => {
    const labels = Int32Array.from(balancedLabels(100, 500));
    const plan = planLongTailSplit(labels, names(100), { imbalanceFactor, splitSeed: 0 });
    assert.equal(plan.maxPerClass, 500);
    assert.equal(plan.counts[0], 500);
    assert.equal(plan.counts[99], nMin);
    assert.equal(flattenIndices(plan.indices).length, total);
    assert.deepEqual(groupSizes(assignShotGroups(plan.counts, SHOTS)), { many, medium, few });
    // Each class keeps distinct positions of its own class, ascending.
    plan.indices.forEach((row, c) => {
      assert.equal(row.length, plan.counts[c]);
      for (let i = 0; i < row.length; i++) {
        assert.equal(labels[row[i]!], c);
        if (i > 0) assert.ok(row[i]! > row[i - 1]!);
      }
    });
  });
}

test('the same seed gives the same split; another seed another subset with the same counts', () => {
  const labels = Int32Array.from(balancedLabels(10, 300));
  const params = { imbalanceFactor: 10, maxPerClass: 200, splitSeed: 7 };
  const a = planLongTailSplit(labels, names(10), params);
  const b = planLongTailSplit(labels, names(10), params);
  assert.deepEqual(a.indices, b.indices);
  const c = planLongTailSplit(labels, names(10), { ...params, splitSeed: 8 });
  assert.deepEqual(c.counts, a.counts);
  for (let k = 0; k < 10; k++) assert.notDeepEqual(c.indices[k], a.indices[k], `class ${k} drew the same subset under another seed`);
});

test('the subset is spread over the class, not its first items', () => {
  const labels = Int32Array.from(balancedLabels(2, 1000));
  const plan = planLongTailSplit(labels, names(2), { imbalanceFactor: 10, splitSeed: 0 });
  const tail = plan.indices[1]!;
  assert.equal(tail.length, 100);
  // Positions of class 1 run from 1 to 1999; a uniform subset of 100 reaches well past the middle.
  assert.ok(tail[tail.length - 1]! > 1000 && tail[0]! < 1000);
});

test('an imbalance factor below 1 is refused by the config schema and by the split, naming the field', () => {
  const r = validateConfig({ data: { kind: 'synthetic', imbalanceFactor: 0.5 } }, { checkPaths: false });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.deepEqual(
    r.errors.map((e) => e.path),
    ['data.imbalanceFactor'],
  );
  assert.match(r.errors[0]!.message, /greater or equal to 1 \(got 0\.5\)/);
  assert.throws(
    () => resolveMaxPerClass({ imbalanceFactor: 0.5, splitSeed: 0 }, [10, 10], names(2)),
    (err: unknown) =>
      err instanceof DataError &&
      err.where === 'data.imbalanceFactor' &&
      err.message === 'data.imbalanceFactor: must be at least 1 (largest class / smallest class), got 0.5',
  );
});

test('a head size above the largest class, or one that empties the tail, is refused naming data.maxPerClass', () => {
  const available = [100, 100, 100];
  assert.throws(
    () => resolveMaxPerClass({ imbalanceFactor: 10, maxPerClass: 101, splitSeed: 0 }, available, names(3)),
    (err: unknown) =>
      err instanceof DataError &&
      err.where === 'data.maxPerClass' &&
      err.message ===
        'data.maxPerClass: 101 is more than the data has: its largest class ("class0") has 100 training images; use at most 100',
  );
  assert.throws(
    () => resolveMaxPerClass({ imbalanceFactor: 100, maxPerClass: 50, splitSeed: 0 }, available, names(3)),
    (err: unknown) =>
      err instanceof DataError &&
      /leaves the last class \("class2"\) with no training images; use data\.maxPerClass of at least 100/.test(err.message),
  );
  // Without maxPerClass, a data set too small for the factor says so.
  assert.throws(
    () => resolveMaxPerClass({ imbalanceFactor: 1000, splitSeed: 0 }, available, names(3)),
    (err: unknown) =>
      err instanceof DataError && err.where === 'data.imbalanceFactor' && /needs a largest class of at least 1000 images/.test(err.message),
  );
});

test('a class with no training images at all is refused', () => {
  assert.throws(
    () => planLongTailSplit(Int32Array.from([0, 0, 2, 2]), names(3), { imbalanceFactor: 1, splitSeed: 0 }),
    (err: unknown) => err instanceof DataError && /class 1 "class1" has no training images/.test(err.message),
  );
});

test('largestFeasibleMax: the largest class for balanced data, the limiting class otherwise', () => {
  assert.equal(largestFeasibleMax([500, 500, 500], 100), 500);
  // Profile (n, n/sqrt(10), n/10): class 2 with 10 images caps n at 109.
  assert.equal(largestFeasibleMax([200, 200, 10], 10), 109);
  assert.deepEqual(classCounts([0, 2, 2, 1, 2], 3), [1, 1, 3]);
});
