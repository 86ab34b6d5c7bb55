// The built-in synthetic data set: deterministic from its seed, the papers' long-tailed counts,
// a balanced test set, the configured shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { longTailCounts } from '../../../src/core/longTail';
import { resolvePreset } from '../../../src/core/config/presets';
import type { DataConfig } from '../../../src/core/config/schema';
import { makeSyntheticDataset } from '../../../src/data/synthetic';

function data(over: Partial<DataConfig> = {}): DataConfig {
  const r = resolvePreset('synthetic-lt');
  assert.ok(r.ok);
  return { ...r.config.data, ...over };
}

function counts(labels: Int32Array, c: number): number[] {
  const out = new Array<number>(c).fill(0);
  for (const l of labels) out[l]!++;
  return out;
}

test('same seed, same bytes; another seed, other images', () => {
  const d = data({ classes: 5, imageSize: 12, maxPerClass: 40, testPerClass: 6 });
  const a = makeSyntheticDataset(d, 3);
  const b = makeSyntheticDataset(d, 3);
  const c = makeSyntheticDataset(d, 4);
  assert.deepEqual(a.train.images, b.train.images);
  assert.deepEqual(a.test.images, b.test.images);
  assert.notDeepEqual(a.train.images, c.train.images);
});

test('long-tailed training counts, balanced test set, shape and channels', () => {
  const d = data({ classes: 6, imageSize: 10, channels: 3, maxPerClass: 60, imbalanceFactor: 20, testPerClass: 7 });
  const ds = makeSyntheticDataset(d, 0);
  assert.deepEqual(counts(ds.train.labels, 6), longTailCounts(60, 20, 6));
  assert.deepEqual(counts(ds.test.labels, 6), [7, 7, 7, 7, 7, 7]);
  assert.equal(ds.height, 10);
  assert.equal(ds.width, 10);
  assert.equal(ds.channels, 3);
  assert.equal(ds.train.images.length, ds.train.count * 10 * 10 * 3);
  assert.equal(ds.classNames.length, 6);
  assert.equal(new Set(ds.classNames).size, 6);
  // labels are in class order, head first
  for (let i = 1; i < ds.train.count; i++) assert.ok(ds.train.labels[i]! >= ds.train.labels[i - 1]!);
  // every class keeps at least one image, whatever the imbalance
  const extreme = makeSyntheticDataset(data({ classes: 4, maxPerClass: 5, imbalanceFactor: 1000 }), 0);
  assert.ok(counts(extreme.train.labels, 4).every((n) => n >= 1));
});

test('images use the value range and differ from each other (noise, shifts)', () => {
  const ds = makeSyntheticDataset(data({ classes: 3, imageSize: 16, maxPerClass: 10, testPerClass: 2 }), 1);
  const per = 16 * 16;
  const first = ds.train.images.subarray(0, per);
  const second = ds.train.images.subarray(per, 2 * per);
  assert.notDeepEqual(first, second);
  assert.ok(Math.max(...first) > 200 && Math.min(...first) < 30);
});
