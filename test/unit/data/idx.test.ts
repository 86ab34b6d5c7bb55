import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { assignShotGroups, groupSizes } from '../../../src/core/evalMath';
import { loadDataset, preflightData } from '../../../src/data/index';
import { tempDir } from '../../../test/shared/tmp';
import { balancedLabels, configWith, errorOf, idxBytes, idxImages, pixelOf, writeIdxSet } from './writers';

const ROWS = 4;
const COLS = 3;
const PX = ROWS * COLS;

/** Checks that image k of `set` is the file's image `positions[k]`. */
function assertImagesAre(images: Uint8Array, positions: ArrayLike<number>, offset: number): void {
  for (let k = 0; k < positions.length; k++) {
    for (let j = 0; j < PX; j++) {
      if (images[k * PX + j] !== pixelOf(positions[k]! + offset, j))
        assert.fail(`image ${k} (position ${positions[k]}) pixel ${j} differs`);
    }
  }
}

for (const gzip of [true, false]) {
  test(`IDX (${gzip ? 'gzip' : 'raw'}): reads labels and pixels, keeps the test set whole, makes the long-tailed split`, async (t) => {
    const dir = tempDir(t);
    const trainLabels = balancedLabels(10, 20);
    const testLabels = balancedLabels(10, 3);
    writeIdxSet(dir, { train: { labels: trainLabels }, test: { labels: testLabels }, gzip, rows: ROWS, cols: COLS });
    const config = configWith({ kind: 'mnist', path: dir, maxPerClass: 20, imbalanceFactor: 10 });
    assert.deepEqual(await preflightData(config), []);
    const ds = await loadDataset(config);
    assert.deepEqual(ds.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.equal(ds.height, ROWS);
    assert.equal(ds.width, COLS);
    assert.equal(ds.channels, 1);
    // Profile 20 * 10^(-i/9), floored.
    const expected = Array.from({ length: 10 }, (_, i) => Math.floor(20 * Math.pow(10, -i / 9)));
    assert.deepEqual(ds.split!.counts, expected);
    assert.equal(
      ds.train.count,
      expected.reduce((a, b) => a + b, 0),
    );
    assert.equal(ds.train.images.length, ds.train.count * PX);
    // Kept items: right class, head first, and the pixels of exactly those file positions.
    const idx = ds.trainIndices!;
    for (let k = 0; k < idx.length; k++) assert.equal(ds.train.labels[k], trainLabels[idx[k]!]);
    assert.deepEqual(
      Array.from(ds.train.labels),
      expected.flatMap((n, c) => new Array<number>(n).fill(c)),
    );
    assertImagesAre(ds.train.images, idx, 0);
    // The test set is untouched: every item, in file order.
    assert.equal(ds.test.count, testLabels.length);
    assert.deepEqual(Array.from(ds.test.labels), testLabels);
    assertImagesAre(
      ds.test.images,
      Array.from({ length: testLabels.length }, (_, i) => i),
      100000,
    );
  });
}

test('IDX: accepts the train-images.idx3-ubyte spelling of some mirrors', async (t) => {
  const dir = tempDir(t);
  const files = writeIdxSet(dir, { train: { labels: balancedLabels(10, 2) }, test: { labels: balancedLabels(10, 1) }, gzip: false });
  fs.renameSync(files['train-images']!, path.join(dir, 'train-images.idx3-ubyte'));
  const ds = await loadDataset(configWith({ kind: 'mnist', path: dir, imbalanceFactor: 1 }));
  assert.equal(ds.train.count, 20);
});

test('Fashion-MNIST class names, and the default maxPerClass is the largest class', async (t) => {
  const dir = tempDir(t);
  writeIdxSet(dir, { train: { labels: balancedLabels(10, 6) }, test: { labels: balancedLabels(10, 1) }, gzip: true });
  const ds = await loadDataset(configWith({ kind: 'fashion-mnist', path: dir, imbalanceFactor: 1 }));
  assert.equal(ds.classNames[0], 'T-shirt/top');
  assert.equal(ds.classNames[9], 'Ankle boot');
  assert.equal(ds.split!.maxPerClass, 6);
  assert.equal(ds.train.count, 60);
});

test('IDX with unequal classes (like MNIST): the default head size is the largest the profile can take', async (t) => {
  const dir = tempDir(t);
  // Class 0 has 10 images, class 5 only 6: with IF 1 every class needs the head size.
  const counts = [10, 12, 11, 10, 9, 6, 10, 10, 10, 10];
  const labels = counts.flatMap((n, c) => new Array<number>(n).fill(c));
  writeIdxSet(dir, { train: { labels }, test: { labels: balancedLabels(10, 1) }, gzip: false });
  const ds = await loadDataset(configWith({ kind: 'mnist', path: dir, imbalanceFactor: 1 }));
  assert.deepEqual(ds.split!.counts, new Array(10).fill(6));
  assert.deepEqual(ds.split!.availableCounts, counts);
  const issues = await preflightData(configWith({ kind: 'mnist', path: dir, imbalanceFactor: 1, maxPerClass: 10 }));
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.where, 'data.maxPerClass');
  assert.match(
    issues[0]!.message,
    /data\.maxPerClass: 10 .* needs 10 images of class 4 \("4"\), which has 9; use data\.maxPerClass of at most 6/,
  );
});

test('Fashion-MNIST from Debian\u2019s dataset-fashion-mnist: 60,000 / 10,000 images, the LT split of docs/method.md', async () => {
  const dir = '/usr/share/datasets/fashion-mnist';
  assert.ok(fs.existsSync(dir), `${dir} is missing: apt-get install dataset-fashion-mnist (.ci/run installs it)`);
  const full = configWith({ kind: 'fashion-mnist', imbalanceFactor: 1 });
  assert.equal(full.data.path, dir);
  assert.deepEqual(await preflightData(full), []);
  const lt = await loadDataset(configWith({ kind: 'fashion-mnist', maxPerClass: 500, imbalanceFactor: 100 }));
  assert.deepEqual(lt.split!.availableCounts, new Array(10).fill(6000));
  assert.deepEqual(lt.split!.counts, [500, 299, 179, 107, 64, 38, 23, 13, 8, 5]);
  assert.equal(lt.train.count, 1236);
  assert.equal(lt.test.count, 10000);
  assert.deepEqual(
    Array.from({ length: 10 }, (_, c) => lt.test.labels.filter((l) => l === c).length),
    new Array(10).fill(1000),
  );
  assert.equal(lt.height, 28);
  assert.equal(lt.train.images.length, 1236 * 784);
  assert.deepEqual(groupSizes(assignShotGroups(lt.split!.counts, { kind: 'shots', many: 100, few: 20 })), { many: 4, medium: 3, few: 3 });
  // The streamed pixels (records span the decompressor's chunks) equal a plain whole-file read.
  const raw = zlib.gunzipSync(fs.readFileSync(path.join(dir, 'train-images-idx3-ubyte.gz')));
  const idx = lt.trainIndices!;
  for (let k = 0; k < idx.length; k++) {
    const want = raw.subarray(16 + idx[k]! * 784, 16 + (idx[k]! + 1) * 784);
    if (Buffer.compare(want, lt.train.images.subarray(k * 784, (k + 1) * 784)) !== 0) assert.fail(`training image ${k} differs`);
  }
});

// ---------------------------------------------------------------------------------------------
// Bad input: every message names the file or field and what was expected.

test('IDX: a missing file is named, with where to get the files', async (t) => {
  const dir = tempDir(t);
  const files = writeIdxSet(dir, { train: { labels: balancedLabels(10, 2) }, test: { labels: balancedLabels(10, 1) }, gzip: true });
  fs.rmSync(files['test-labels']!);
  fs.rmSync(files['train-images']!);
  const config = configWith({ kind: 'fashion-mnist', path: dir });
  const err = await errorOf(loadDataset(config));
  assert.equal(err.where, 'data.path');
  assert.match(err.message, /lacks train-images-idx3-ubyte\[\.gz\], t10k-labels-idx1-ubyte\[\.gz\]/);
  assert.match(err.message, /apt-get install dataset-fashion-mnist/);
  const issues = await preflightData(config);
  assert.deepEqual(
    issues.map((i) => [i.level, i.where]),
    [['error', 'data.path']],
  );
});

test('fashion-mnist with no data.path says where it looked and how to get the files', async () => {
  // A config whose default folder is replaced by a folder that does not exist on any machine.
  const config = configWith({ kind: 'fashion-mnist' });
  config.data.path = '/nonexistent/usr/share/datasets/fashion-mnist';
  const issues = await preflightData(config);
  assert.equal(issues.length, 1);
  assert.match(issues[0]!.message, /^data\.path: \/nonexistent\/usr\/share\/datasets\/fashion-mnist does not exist/);
  assert.match(issues[0]!.message, /apt-get install dataset-fashion-mnist/);
  assert.match(issues[0]!.message, /github\.com\/zalandoresearch\/fashion-mnist/);
});

test('IDX: a truncated gzip file is refused by preflight and by the load, naming the file', async (t) => {
  const dir = tempDir(t);
  const files = writeIdxSet(dir, { train: { labels: balancedLabels(10, 30) }, test: { labels: balancedLabels(10, 1) }, gzip: true });
  const file = files['train-images']!;
  const bytes = fs.readFileSync(file);
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - 40));
  const config = configWith({ kind: 'mnist', path: dir, imbalanceFactor: 1 });
  const issues = await preflightData(config);
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.where, file);
  assert.ok(issues[0]!.message.startsWith(`${file}: truncated or corrupt: its gzip trailer gives `), issues[0]!.message);
  assert.match(issues[0]!.message, /its header \(300 x 4 x 3\) needs 3616$/);
  // A cut stream that still ends with the right size passes the cheap check; the load refuses it.
  const whole = zlib.gzipSync(idxBytes([300, ROWS, COLS], idxImages(300, ROWS, COLS)));
  fs.writeFileSync(file, Buffer.concat([whole.subarray(0, Math.floor(whole.length / 2)), whole.subarray(whole.length - 4)]));
  assert.deepEqual(await preflightData(config), []);
  const err = await errorOf(loadDataset(config));
  assert.equal(err.where, file);
  assert.match(err.message, new RegExp(`^${file}: cannot decompress: `));
});

test('IDX: a truncated raw file is refused with the sizes', async (t) => {
  const dir = tempDir(t);
  const files = writeIdxSet(dir, { train: { labels: balancedLabels(10, 3) }, test: { labels: balancedLabels(10, 1) }, gzip: false });
  const file = files['test-images']!;
  fs.truncateSync(file, fs.statSync(file).size - 5);
  const err = await errorOf(loadDataset(configWith({ kind: 'mnist', path: dir, imbalanceFactor: 1 })));
  assert.equal(err.message, `${file}: truncated: holds ${16 + 10 * PX - 5} bytes, but its header (10 x 4 x 3) needs ${16 + 10 * PX}`);
});

test('IDX: a wrong magic number names the file and the expected magic', async (t) => {
  const dir = tempDir(t);
  const files = writeIdxSet(dir, { train: { labels: balancedLabels(10, 3) }, test: { labels: balancedLabels(10, 1) }, gzip: true });
  // A labels file where the images belong.
  fs.copyFileSync(files['train-labels']!, files['train-images']!);
  const issues = await preflightData(configWith({ kind: 'mnist', path: dir }));
  assert.equal(issues.length, 1);
  assert.equal(
    issues[0]!.message,
    `${files['train-images']}: wrong magic number 0x00000801 (this is an IDX labels file); expected 0x00000803 (IDX images: unsigned bytes, 3 dimensions)`,
  );
  fs.writeFileSync(files['train-images']!, zlib.gzipSync(Buffer.from('PK\x03\x04 not an idx file at all')));
  const err = await errorOf(loadDataset(configWith({ kind: 'mnist', path: dir })));
  assert.match(err.message, /wrong magic number 0x504b0304; expected 0x00000803/);
});

test('IDX: image and label counts that disagree are refused', async (t) => {
  const dir = tempDir(t);
  const files = writeIdxSet(dir, { train: { labels: balancedLabels(10, 3) }, test: { labels: balancedLabels(10, 1) }, gzip: false });
  fs.writeFileSync(files['train-labels']!, idxBytes([29], Uint8Array.from(balancedLabels(10, 3).slice(0, 29))));
  const issues = await preflightData(configWith({ kind: 'mnist', path: dir }));
  assert.equal(issues[0]!.where, files['train-labels']);
  assert.match(issues[0]!.message, /has 29 labels but train-images-idx3-ubyte has 30 images; the counts must agree/);
});

test('IDX: a label out of range and test images of another size are refused', async (t) => {
  const dir = tempDir(t);
  const labels = balancedLabels(10, 3);
  labels[7] = 12;
  const files = writeIdxSet(dir, { train: { labels }, test: { labels: balancedLabels(10, 1) }, gzip: false });
  let issues = await preflightData(configWith({ kind: 'mnist', path: dir }));
  assert.equal(issues[0]!.message, `${files['train-labels']}: label 12 at item 7 is out of range; expected 0..9`);
  writeIdxSet(dir, { train: { labels: balancedLabels(10, 3) }, test: { labels: balancedLabels(10, 1), rows: 5 }, gzip: false });
  issues = await preflightData(configWith({ kind: 'mnist', path: dir }));
  assert.match(issues[0]!.message, /t10k-images-idx3-ubyte: images are 5x3 but the training images are 4x3/);
});
