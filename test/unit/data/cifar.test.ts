import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { loadDataset, preflightData } from '../../../src/data/index';
import { tempDir } from '../../../test/shared/tmp';
import { balancedLabels, cifarFile, cifarPixel, configWith, errorOf, writeCifar10, writeCifar100 } from './writers';

/** Image k of an HWC set equals record `position` of the file, converted from planar. */
function assertRecord(images: Uint8Array, k: number, position: number): void {
  for (let p = 0; p < 1024; p++) {
    for (let c = 0; c < 3; c++) {
      if (images[k * 3072 + p * 3 + c] !== cifarPixel(position, c, p))
        assert.fail(`image ${k} (record ${position}) pixel ${p} channel ${c} differs`);
    }
  }
}

test('CIFAR-10 binary: five batches + test batch, names from batches.meta.txt, CHW records become HWC', async (t) => {
  const dir = tempDir(t);
  // 4 per class over five batches of 8 records, interleaved labels.
  const labels = balancedLabels(10, 4);
  const batches = [0, 1, 2, 3, 4].map((b) => labels.slice(b * 8, (b + 1) * 8));
  const test = balancedLabels(10, 2);
  writeCifar10(dir, batches, test, { meta: ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'a9'] });
  const config = configWith({ kind: 'cifar10', path: dir, maxPerClass: 4, imbalanceFactor: 4 });
  assert.deepEqual(await preflightData(config), []);
  const ds = await loadDataset(config);
  assert.deepEqual(ds.classNames, ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'a9']);
  assert.equal(ds.channels, 3);
  assert.deepEqual(
    ds.split!.counts,
    Array.from({ length: 10 }, (_, i) => Math.floor(4 * Math.pow(4, -i / 9))),
  );
  const idx = ds.trainIndices!;
  assert.equal(ds.train.count, idx.length);
  for (let k = 0; k < idx.length; k++) {
    assert.equal(ds.train.labels[k], labels[idx[k]!]);
    assertRecord(ds.train.images, k, idx[k]!);
  }
  assert.equal(ds.test.count, 20);
  assert.deepEqual(Array.from(ds.test.labels), test);
  for (let k = 0; k < 20; k++) assertRecord(ds.test.images, k, 100000 + k);
});

test('CIFAR-10: data.path may be the folder holding cifar-10-batches-bin; gzip-compressed batches are read too', async (t) => {
  const root = tempDir(t);
  const dir = path.join(root, 'cifar-10-batches-bin');
  writeCifar10(
    dir,
    [0, 1, 2, 3, 4].map(() => balancedLabels(10, 1)),
    balancedLabels(10, 1),
    { meta: null },
  );
  const first = path.join(dir, 'data_batch_1.bin');
  fs.writeFileSync(`${first}.gz`, zlib.gzipSync(fs.readFileSync(first)));
  fs.rmSync(first);
  const ds = await loadDataset(configWith({ kind: 'cifar10', path: root, imbalanceFactor: 1 }));
  assert.equal(ds.train.count, 50);
  assert.equal(ds.classNames[0], 'airplane');
  assert.deepEqual(ds.warnings, [`${path.join(dir, 'batches.meta.txt')} not found: using the standard class names`]);
  for (let k = 0; k < 50; k++) assertRecord(ds.train.images, k, ds.trainIndices![k]!);
});

test('CIFAR-10-LT IF 100 from a CIFAR-10-format file set of 5000 per class: the spec profile', async (t) => {
  const dir = tempDir(t);
  // 50,000 records, the real size; zero pixels keep writing fast.
  const batches = [0, 1, 2, 3, 4].map(() => balancedLabels(10, 1000));
  writeCifar10(dir, batches, balancedLabels(10, 100), { pixels: false });
  const config = configWith({ kind: 'cifar10', path: dir, imbalanceFactor: 100 });
  const ds = await loadDataset(config);
  assert.equal(ds.split!.maxPerClass, 5000);
  assert.deepEqual(ds.split!.counts, [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]);
  assert.equal(ds.train.count, 12406);
  assert.equal(ds.train.images.length, 12406 * 3072);
  assert.equal(ds.test.count, 1000);
  // Same seed, same split; another seed, another subset with the same profile.
  const again = await loadDataset(config);
  assert.deepEqual(again.trainIndices, ds.trainIndices);
  config.data.splitSeed = 1;
  const other = await loadDataset(config);
  assert.deepEqual(other.split!.counts, ds.split!.counts);
  assert.notDeepEqual(other.trainIndices, ds.trainIndices);
});

test('CIFAR-100 binary: fine labels by default, coarse on request, names from the label files', async (t) => {
  const dir = tempDir(t);
  const train: [number, number][] = Array.from({ length: 300 }, (_, i) => [Math.floor((i % 100) / 5), i % 100]);
  const test: [number, number][] = Array.from({ length: 100 }, (_, i) => [Math.floor(i / 5), i]);
  writeCifar100(dir, train, test);
  const fine = await loadDataset(configWith({ kind: 'cifar100', path: dir, imbalanceFactor: 1 }));
  assert.equal(fine.classNames.length, 100);
  assert.equal(fine.classNames[42], 'fine42');
  assert.equal(fine.split!.labels, 'fine');
  assert.deepEqual(fine.split!.counts, new Array(100).fill(3));
  for (let k = 0; k < fine.train.count; k++) {
    assert.equal(fine.train.labels[k], train[fine.trainIndices![k]!]![1]);
    assertRecord(fine.train.images, k, fine.trainIndices![k]!);
  }
  assert.deepEqual(
    Array.from(fine.test.labels),
    test.map((l) => l[1]),
  );
  const coarse = await loadDataset(configWith({ kind: 'cifar100', path: dir, labels: 'coarse', imbalanceFactor: 1 }));
  assert.equal(coarse.classNames.length, 20);
  assert.equal(coarse.classNames[3], 'coarse3');
  assert.equal(coarse.split!.labels, 'coarse');
  assert.deepEqual(coarse.split!.counts, new Array(20).fill(15));
  for (let k = 0; k < coarse.train.count; k++) assert.equal(coarse.train.labels[k], train[coarse.trainIndices![k]!]![0]);
});

test('CIFAR-100 without name files uses the standard names, with a warning', async (t) => {
  const dir = tempDir(t);
  writeCifar100(
    dir,
    Array.from({ length: 100 }, (_, i) => [Math.floor(i / 5), i]),
    Array.from({ length: 100 }, (_, i) => [Math.floor(i / 5), i]),
    { names: false },
  );
  const ds = await loadDataset(configWith({ kind: 'cifar100', path: dir, imbalanceFactor: 1 }));
  assert.equal(ds.classNames[0], 'apple');
  assert.equal(ds.classNames[99], 'worm');
  assert.equal(ds.warnings.length, 1);
  assert.match(ds.warnings[0]!, /fine_label_names\.txt not found: using the standard class names/);
});

test('CIFAR: a missing file, a truncated file, a names file of the wrong length, a bad label', async (t) => {
  const dir = tempDir(t);
  writeCifar10(
    dir,
    [0, 1, 2, 3, 4].map(() => balancedLabels(10, 2)),
    balancedLabels(10, 1),
  );
  const config = configWith({ kind: 'cifar10', path: dir, imbalanceFactor: 1 });

  fs.renameSync(path.join(dir, 'data_batch_3.bin'), path.join(dir, 'data_batch_3'));
  let issues = await preflightData(config);
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.where, 'data.path');
  assert.match(
    issues[0]!.message,
    /lacks data_batch_3\.bin; download the binary version \(https:\/\/www\.cs\.toronto\.edu\/~kriz\/cifar-10-binary\.tar\.gz\)/,
  );
  fs.renameSync(path.join(dir, 'data_batch_3'), path.join(dir, 'data_batch_3.bin'));

  const batch = path.join(dir, 'data_batch_2.bin');
  fs.truncateSync(batch, 3073 * 20 - 100);
  issues = await preflightData(config);
  assert.equal(issues[0]!.where, batch);
  assert.equal(
    issues[0]!.message,
    `${batch}: ${3073 * 20 - 100} bytes is not a whole number of 3073-byte records (1 label byte + 32x32x3 pixels): the file is truncated or is not the CIFAR-10 binary version`,
  );
  fs.writeFileSync(
    batch,
    cifarFile(
      balancedLabels(10, 2).map((l) => [l]),
      0,
    ),
  );

  fs.writeFileSync(path.join(dir, 'batches.meta.txt'), 'cat\ndog\n');
  const err = await errorOf(loadDataset(config));
  assert.equal(err.message, `${path.join(dir, 'batches.meta.txt')}: has 2 class names; expected 10, one per line`);
  fs.rmSync(path.join(dir, 'batches.meta.txt'));

  fs.writeFileSync(path.join(dir, 'test_batch.bin'), cifarFile([[3], [11]], 0));
  issues = await preflightData(config);
  assert.match(issues[0]!.message, /test_batch\.bin: record 1 has label 11; expected 0\.\.9/);
});

test('CIFAR-100: a CIFAR-10 file in its place is refused by its size; out-of-range labels by value', async (t) => {
  const dir = tempDir(t);
  const train = path.join(dir, 'train.bin');
  fs.writeFileSync(
    train,
    cifarFile(
      Array.from({ length: 30 }, (_, i) => [i % 10]),
      0,
      false,
    ),
  );
  fs.writeFileSync(path.join(dir, 'test.bin'), cifarFile([[1, 200]], 0, false));
  let issues = await preflightData(configWith({ kind: 'cifar100', path: dir }));
  assert.equal(issues.length, 1);
  assert.match(
    issues[0]!.message,
    /train\.bin: 92190 bytes is not a whole number of 3074-byte records \(2 label bytes \(coarse, fine\) \+ 32x32x3 pixels\)/,
  );
  fs.writeFileSync(
    train,
    cifarFile(
      Array.from({ length: 100 }, (_, i) => [Math.floor(i / 5), i]),
      0,
      false,
    ),
  );
  issues = await preflightData(configWith({ kind: 'cifar100', path: dir }));
  assert.equal(issues.length, 1);
  assert.match(issues[0]!.message, /test\.bin: record 0 has labels coarse 1, fine 200; expected 0\.\.19 and 0\.\.99/);
});

test('CIFAR: data.maxPerClass above what the data has is refused, naming the field', async (t) => {
  const dir = tempDir(t);
  writeCifar10(
    dir,
    [0, 1, 2, 3, 4].map(() => balancedLabels(10, 2)),
    balancedLabels(10, 1),
  );
  const issues = await preflightData(configWith({ kind: 'cifar10', path: dir, maxPerClass: 5000 }));
  assert.deepEqual(issues, [
    {
      level: 'error',
      where: 'data.maxPerClass',
      message: 'data.maxPerClass: 5000 is more than the data has: its largest class ("airplane") has 10 training images; use at most 10',
    },
  ]);
});
