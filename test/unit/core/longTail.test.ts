import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignShotGroups, groupSizes } from '../../../src/core/evalMath';
import { longTailCounts } from '../../../src/core/longTail';

const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
const shots = { kind: 'shots', many: 100, few: 20 } as const;

test('CIFAR-100-LT: totals and many / medium / few splits of the papers\u2019 CIFAR-100-LT', () => {
  const if100 = longTailCounts(500, 100, 100);
  assert.equal(sum(if100), 10847);
  assert.equal(if100[0], 500);
  assert.equal(if100[99], 5);
  assert.deepEqual(groupSizes(assignShotGroups(if100, shots)), { many: 35, medium: 35, few: 30 });
  const if50 = longTailCounts(500, 50, 100);
  assert.equal(sum(if50), 12608);
  assert.deepEqual(groupSizes(assignShotGroups(if50, shots)), { many: 41, medium: 41, few: 18 });
  const if10 = longTailCounts(500, 10, 100);
  assert.equal(sum(if10), 19573);
  assert.deepEqual(groupSizes(assignShotGroups(if10, shots)), { many: 69, medium: 31, few: 0 });
});

test('CIFAR-10-LT IF 100', () => {
  const counts = longTailCounts(5000, 100, 10);
  assert.deepEqual(counts, [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]);
  assert.equal(sum(counts), 12406);
});

test('Fashion-MNIST-LT (n_max 500, IF 100) and its 4 / 3 / 3 split', () => {
  const counts = longTailCounts(500, 100, 10);
  assert.deepEqual(counts, [500, 299, 179, 107, 64, 38, 23, 13, 8, 5]);
  assert.equal(sum(counts), 1236);
  assert.deepEqual(groupSizes(assignShotGroups(counts, shots)), { many: 4, medium: 3, few: 3 });
  // With the full 6000 images the absolute rule degenerates (docs/method.md).
  assert.deepEqual(groupSizes(assignShotGroups(longTailCounts(6000, 100, 10), shots)), { many: 8, medium: 2, few: 0 });
});

test('edge cases: balanced data and a single class', () => {
  assert.deepEqual(longTailCounts(30, 1, 4), [30, 30, 30, 30]);
  assert.deepEqual(longTailCounts(7, 100, 1), [7]);
});
