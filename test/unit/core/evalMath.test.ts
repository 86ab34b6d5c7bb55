import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ShotGroup } from '../../../src/core/contract';
import {
  EvalAccumulator,
  assignShotGroups,
  buildEvalFile,
  configToGroupRule,
  confusionMatrix,
  evalRecordOf,
  groupAccuracy,
  groupSizes,
  headToTailOrder,
  perClassAccuracy,
  predictionsFromScores,
  rowNormalize,
  top1Accuracy,
  top5Accuracy,
  topKAccuracy,
} from '../../../src/core/evalMath';
import { decodePredictions, denseFromSparse } from '../../../src/core/evalEncoding';
import { longTailCounts } from '../../../src/core/longTail';
import { Rng } from '../../../src/core/random';
import { presetConfig } from './fixtures';

test('confusion matrix: row = true class, column = predicted', () => {
  const m = confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3);
  assert.deepEqual(m, [
    [1, 1, 0],
    [0, 1, 0],
    [1, 0, 2],
  ]);
  assert.deepEqual(perClassAccuracy(m), [0.5, 1, 2 / 3]);
  assert.equal(top1Accuracy(m), 4 / 6);
  assert.throws(() => confusionMatrix([0, 3], [0, 0], 3), /label 3 is not a class index in 0..2/);
  assert.throws(() => confusionMatrix([0], [0, 1], 3), /1 labels but 2 predictions/);
});

test('a class without test images has accuracy 0 and an empty matrix has top-1 0', () => {
  const m = confusionMatrix([0, 0], [0, 0], 2);
  assert.deepEqual(perClassAccuracy(m), [1, 0]);
  assert.equal(top1Accuracy(confusionMatrix([], [], 2)), 0);
});

test('argmax and top-k: ties go to the lower class index', () => {
  const scores = [
    0.1,
    0.5,
    0.5,
    0.2, // tie between 1 and 2 -> 1
    3,
    2,
    1,
    0,
    0,
    0,
    0,
    0, // all equal -> 0
  ];
  assert.deepEqual([...predictionsFromScores(scores, 4)], [1, 0, 0]);
  assert.equal(topKAccuracy(scores, [1, 0, 0], 4, 1), 1);
  assert.equal(topKAccuracy(scores, [2, 0, 3], 4, 1), 1 / 3);
  assert.equal(topKAccuracy(scores, [2, 2, 3], 4, 2), 1 / 3, 'class 2 ranks 2nd, 3rd, 4th');
  assert.equal(topKAccuracy(scores, [2, 2, 3], 4, 3), 2 / 3);
  assert.equal(top5Accuracy(scores, [3, 3, 3], 4), 1, 'top-5 of 4 classes is always right');
  assert.equal(topKAccuracy([NaN, 0, 1, 2], [0], 4, 4), 0, 'a NaN true score never counts');
});

test('top-5 agrees with a sort-based definition on random scores', () => {
  const rng = new Rng(7);
  const n = 200;
  const c = 12;
  const scores = Array.from({ length: n * c }, () => Math.round(rng.next() * 20) / 20); // many ties
  const labels = Array.from({ length: n }, () => rng.int(c));
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const row = scores.slice(i * c, (i + 1) * c);
    const order = row
      .map((s, j) => [s, j] as const)
      .sort((a, b) => b[0] - a[0] || a[1] - b[1])
      .map(([, j]) => j);
    if (order.slice(0, 5).includes(labels[i]!)) hits++;
  }
  assert.equal(top5Accuracy(scores, labels, c), hits / n);
});

test('shot groups use the strict rule: 100 and 20 images are medium', () => {
  const rule = { kind: 'shots', many: 100, few: 20 } as const;
  assert.deepEqual(assignShotGroups([101, 100, 21, 20, 19], rule), ['many', 'medium', 'medium', 'medium', 'few']);
  assert.deepEqual(assignShotGroups([50, 10], { kind: 'shots', many: 40, few: 11 }), ['many', 'few']);
});

test('CIFAR-100-LT IF 100 (n_max 500) gives 35 / 35 / 30 classes', () => {
  const counts = longTailCounts(500, 100, 100);
  assert.deepEqual(groupSizes(assignShotGroups(counts, { kind: 'shots', many: 100, few: 20 })), { many: 35, medium: 35, few: 30 });
});

test('Fashion-MNIST-LT (n_max 500, IF 100) gives 4 / 3 / 3', () => {
  const counts = longTailCounts(500, 100, 10);
  assert.deepEqual(assignShotGroups(counts, { kind: 'shots', many: 100, few: 20 }), [
    'many',
    'many',
    'many',
    'many',
    'medium',
    'medium',
    'medium',
    'few',
    'few',
    'few',
  ]);
});

test('terciles split head-to-tail order into near-equal parts, larger parts first', () => {
  // Counts deliberately not in label order.
  const counts = [5, 300, 40, 80, 7, 1000, 12, 60, 150, 9];
  const groups = assignShotGroups(counts, { kind: 'terciles' });
  const order = headToTailOrder(counts);
  assert.deepEqual(order, [5, 1, 8, 3, 7, 2, 6, 9, 4, 0]);
  assert.deepEqual(
    order.map((c) => groups[c]),
    ['many', 'many', 'many', 'many', 'medium', 'medium', 'medium', 'few', 'few', 'few'],
  );
  assert.deepEqual(groupSizes(assignShotGroups(new Array(100).fill(10), { kind: 'terciles' })), { many: 34, medium: 33, few: 33 });
  assert.deepEqual(assignShotGroups([3, 3], { kind: 'terciles' }), ['many', 'medium']);
});

test('head-to-tail order sorts by training count, ties in label order', () => {
  assert.deepEqual(headToTailOrder([5, 50, 5, 500, 50]), [3, 1, 4, 0, 2]);
});

test('group accuracy is the mean of per-class accuracies of classes present in the test set', () => {
  const per = [0.9, 0.7, 0.4, 0.6, 0.1, 0];
  const assignment: ShotGroup[] = ['many', 'many', 'medium', 'medium', 'few', 'few'];
  assert.deepEqual(groupAccuracy(per, assignment), { many: 0.8, medium: 0.5, few: 0.05 });
  // Class 5 has no test images: it is left out, not counted as 0.
  assert.deepEqual(groupAccuracy(per, assignment, [10, 10, 10, 10, 10, 0]), { many: 0.8, medium: 0.5, few: 0.1 });
  // An empty group reports 0.
  assert.deepEqual(groupAccuracy([1, 0.5], ['many', 'many']), { many: 0.75, medium: 0, few: 0 });
});

test('buildEvalFile computes every field from labels and scores', () => {
  // 3 classes; class 2 is the tail.
  const labels = [0, 0, 1, 1, 2, 2];
  const scores = [
    0.9,
    0.05,
    0.05, //
    0.2,
    0.7,
    0.1, // wrong (1), true 0 ranks 2nd
    0.1,
    0.8,
    0.1,
    0.3,
    0.6,
    0.1,
    0.5,
    0.2,
    0.3, // wrong (0), true 2 ranks 2nd
    0.1,
    0.1,
    0.8,
  ];
  const e = buildEvalFile({
    tag: 'epoch-0003',
    epoch: 3,
    numClasses: 3,
    labels,
    scores,
    assignment: ['many', 'medium', 'few'],
    checkpoint: 'epoch-0003',
  });
  assert.equal(e.schema, 'gpaco-eval/2');
  assert.equal(e.split, 'test');
  assert.equal(e.n, 6);
  assert.deepEqual(denseFromSparse(e.confusion), [
    [1, 1, 0],
    [0, 2, 0],
    [1, 0, 1],
  ]);
  assert.deepEqual(e.confusion.cells, [0, 0, 1, 0, 1, 1, 1, 1, 2, 2, 0, 1, 2, 2, 1], 'non-zero cells only, row-major');
  const pred = decodePredictions(e.predictions!, 3);
  assert.deepEqual([...pred.true], labels);
  assert.deepEqual([...pred.top1], [0, 1, 1, 1, 0, 2]);
  assert.equal(pred.top5, null, 'top-5 per image only on request');
  assert.deepEqual(e.perClassAccuracy, [0.5, 1, 0.5]);
  assert.equal(e.top1, 4 / 6);
  assert.equal(e.top5, 1);
  assert.deepEqual(e.groupAccuracy, { many: 0.5, medium: 1, few: 0.5 });
  assert.equal(e.checkpoint, 'epoch-0003');
  const rec = evalRecordOf(e, new Date('2025-01-01T00:00:00Z'));
  assert.deepEqual(rec, {
    kind: 'eval',
    epoch: 3,
    tag: 'epoch-0003',
    top1: 4 / 6,
    top5: 1,
    many: 0.5,
    medium: 1,
    few: 0.5,
    file: 'evals/epoch-0003.json',
    time: '2025-01-01T00:00:00.000Z',
  });
});

test('EvalAccumulator over batches equals one evaluation over all images', () => {
  const rng = new Rng(3);
  const c = 7;
  const n = 95;
  const labels = Array.from({ length: n }, () => rng.int(c));
  const scores = Float32Array.from({ length: n * c }, () => rng.normal());
  const assignment = assignShotGroups(longTailCounts(200, 20, c), { kind: 'shots', many: 100, few: 20 });
  const whole = buildEvalFile({ tag: 't', epoch: 1, numClasses: c, labels, scores, assignment });
  const acc = new EvalAccumulator(c);
  for (let i = 0; i < n; i += 32) acc.add(labels.slice(i, i + 32), scores.subarray(i * c, Math.min(n, i + 32) * c));
  assert.equal(acc.n, n);
  assert.deepEqual(acc.toEvalFile({ tag: 't', epoch: 1, assignment }), whole);
  assert.equal(whole.top1, top1Accuracy(confusionMatrix(labels, predictionsFromScores(scores, c), c)));
  assert.throws(() => acc.add([0], [1, 2]), /expected 1 x 7 scores/);
  assert.throws(() => acc.toEvalFile({ tag: 't', epoch: 1, assignment: ['many'] }), /1 group assignments for 7 classes/);
});

test('rowNormalize divides rows by their sums', () => {
  assert.deepEqual(
    rowNormalize([
      [1, 3],
      [0, 0],
    ]),
    [
      [0.25, 0.75],
      [0, 0],
    ],
  );
});

test('configToGroupRule maps config.eval to the classes.json rule', () => {
  const config = presetConfig();
  assert.deepEqual(configToGroupRule({ eval: { ...config.eval, manyThreshold: 50, fewThreshold: 10 } }), {
    kind: 'shots',
    many: 50,
    few: 10,
  });
  assert.deepEqual(configToGroupRule({ eval: { ...config.eval, groups: 'terciles' } }), { kind: 'terciles' });
});
