import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  expandSweep,
  gridPoints,
  isGridAxis,
  newSweepId,
  parseGridAxis,
  splitGridText,
  splitGridValues,
  type GridAxis,
} from '../../../src/core/sweep';
import { presetConfig } from '../core/fixtures';

function axis(text: string): GridAxis {
  const a = parseGridAxis(text);
  assert.ok(isGridAxis(a), JSON.stringify(a));
  return a;
}

test('grid values: JSON when they parse, strings otherwise; commas inside brackets stay', () => {
  assert.deepEqual(splitGridValues('[10,20],[30], "a,b" ,x'), ['[10,20]', '[30]', '"a,b"', 'x']);
  assert.deepEqual(axis('loss.alpha=0.01,0.05').values, [0.01, 0.05]);
  assert.deepEqual(axis('loss.kind=gpaco,ce').values, ['gpaco', 'ce']);
  assert.deepEqual(axis('optim.stepEpochs=[10,20],[30]').values, [[10, 20], [30]]);
  assert.deepEqual(axis('augment.flip=true,false').values, [true, false]);
});

test('bad grid arguments are refused with what is wrong', () => {
  assert.match(JSON.stringify(parseGridAxis('loss.alpha')), /key=value1,value2/);
  assert.match(JSON.stringify(parseGridAxis('loss..alpha=1,2')), /not a dotted field path/);
  assert.match(JSON.stringify(parseGridAxis('loss.alpha=1,,2')), /empty value/);
  assert.match(JSON.stringify(parseGridAxis('loss.alpha=1,1')), /repeated/);
});

test('the product: first axis slowest, labels name the leaf keys', () => {
  const pts = gridPoints([axis('loss.alpha=0.01,0.05'), axis('optim.lr=0.1,0.2')]);
  assert.deepEqual(
    pts.map((p) => p.label),
    ['alpha=0.01 lr=0.1', 'alpha=0.01 lr=0.2', 'alpha=0.05 lr=0.1', 'alpha=0.05 lr=0.2'],
  );
  assert.deepEqual(pts[2]!.values, { 'loss.alpha': 0.05, 'optim.lr': 0.1 });
});

test('expandSweep: one validated config per point, the base kept otherwise', () => {
  const base = presetConfig();
  const r = expandSweep(base, [axis('loss.alpha=0.01,0.05'), axis('optim.epochs=1,2')], { checkPaths: false });
  assert.ok(r.ok);
  assert.equal(r.points.length, 4);
  assert.deepEqual(
    r.points.map((p) => [p.config.loss.alpha, p.config.optim.epochs]),
    [
      [0.01, 1],
      [0.01, 2],
      [0.05, 1],
      [0.05, 2],
    ],
  );
  assert.equal(r.points[3]!.config.data.kind, base.data.kind);
});

test('expandSweep: invalid points name the point and the field; unknown keys are refused', () => {
  const bad = expandSweep(presetConfig(), [axis('optim.lr=0.1,-1'), axis('loss.alpha=0.01')], { checkPaths: false });
  assert.ok(!bad.ok);
  assert.equal(bad.errors.length, 1);
  assert.match(bad.errors[0]!, /^grid point 2 \(lr=-1 alpha=0.01\): optim\.lr/);
  const unknown = expandSweep(presetConfig(), [axis('loss.alfa=1,2')], { checkPaths: false });
  assert.ok(!unknown.ok);
  assert.match(unknown.errors[0]!, /loss\.alfa|loss/);
  assert.ok(!expandSweep(presetConfig(), [], {}).ok);
  assert.ok(!expandSweep(presetConfig(), [axis('loss=1,2'), axis('loss.alpha=1,2')], {}).ok, 'overlapping keys');
});

test('sweep ids are time-sortable and unique', () => {
  const now = new Date(2026, 0, 2, 3, 4, 5);
  const a = newSweepId('Synthetic LT', now);
  assert.match(a, /^20260102-030405-synthetic-lt-[0-9a-f]{4}$/);
  assert.notEqual(a, newSweepId('Synthetic LT', now));
});

test('grid axes typed on one line (the editor\u2019s input box)', () => {
  assert.deepEqual(splitGridText('loss.alpha=0.01,0.05 optim.lr=0.05,0.1'), ['loss.alpha=0.01,0.05', 'optim.lr=0.05,0.1']);
  assert.deepEqual(splitGridText(' loss.alpha=0.01;optim.stepEpochs=[10, 20],[30] '), [
    'loss.alpha=0.01',
    'optim.stepEpochs=[10, 20],[30]',
  ]);
  assert.deepEqual(splitGridText('   '), []);
});
