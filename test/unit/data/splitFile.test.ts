import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { DataError, loadDataset, preflightData, readSplitFile, verifySplit, writeSplitFile } from '../../../src/data/index';
import { tempDir } from '../../../test/shared/tmp';
import { balancedLabels, configWith, writeIdxSet } from './writers';

test('split.json of a standard data set: per-class indices, rebuilt and verified from the labels alone', async (t) => {
  const root = tempDir(t);
  const data = path.join(root, 'mnist');
  const run = path.join(root, 'run');
  fs.mkdirSync(data);
  fs.mkdirSync(run);
  writeIdxSet(data, { train: { labels: balancedLabels(10, 40) }, test: { labels: balancedLabels(10, 2) }, gzip: true });
  const config = configWith({ kind: 'mnist', path: data, maxPerClass: 30, imbalanceFactor: 10, splitSeed: 5 });
  const ds = await loadDataset(config);
  const file = writeSplitFile(run, ds)!;
  const saved = readSplitFile(run);
  assert.equal(saved.schema, 'gpaco-split/1');
  assert.equal(saved.kind, 'mnist');
  assert.equal(saved.source, data);
  assert.equal(saved.splitSeed, 5);
  assert.equal(saved.maxPerClass, 30);
  assert.deepEqual(saved.availableCounts, new Array(10).fill(40));
  assert.deepEqual(saved.counts, ds.split!.counts);
  assert.deepEqual(
    saved.indices.map((row) => row.length),
    ds.split!.counts,
  );
  assert.deepEqual(saved.indices.flat(), Array.from(ds.trainIndices!));
  assert.equal(saved.files, undefined);
  // One line per class keeps the file readable.
  assert.equal(
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /^ {4}\[/.test(l)).length,
    10,
  );
  assert.deepEqual(await verifySplit(config, run), { ok: true, problems: [], file });

  // The data changed under the run (labels of one class moved): the check reports it.
  writeIdxSet(data, {
    train: { labels: balancedLabels(10, 40).map((l, i) => (i < 20 && l === 3 ? 4 : l)) },
    test: { labels: balancedLabels(10, 2) },
    gzip: true,
  });
  const check = await verifySplit(config, run);
  assert.equal(check.ok, false);
  assert.match(check.problems[0]!, /^availableCounts: recorded \[40,40,40,40,40,40,40,40,40,40\], rebuilt \[40,40,40,38,42,/);
});

test('synthetic data has no split file, and preflight has nothing to check', async (t) => {
  const config = configWith({ kind: 'synthetic', classes: 3, maxPerClass: 20, testPerClass: 2, imageSize: 8 });
  const ds = await loadDataset(config);
  assert.equal(writeSplitFile(tempDir(t), ds), undefined);
  assert.deepEqual(await preflightData(config), []);
});

test('readSplitFile: a missing, unparsable or inconsistent file is refused, naming the file and field', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'split.json');
  assert.throws(
    () => readSplitFile(dir),
    (e: unknown) => e instanceof DataError && e.message.startsWith(`${file}: cannot read`),
  );
  fs.writeFileSync(file, '{"schema": "gpaco-split/1",');
  assert.throws(
    () => readSplitFile(dir),
    (e: unknown) => e instanceof DataError && e.message.startsWith(`${file}: invalid JSON`),
  );
  const good = {
    schema: 'gpaco-split/1',
    kind: 'cifar10',
    source: '/d',
    splitSeed: 0,
    imbalanceFactor: 2,
    maxPerClass: 2,
    classNames: ['a', 'b'],
    availableCounts: [2, 2],
    counts: [2, 1],
    indices: [[0, 2], [3]],
  };
  fs.writeFileSync(file, JSON.stringify(good));
  assert.deepEqual(readSplitFile(dir).indices, [[0, 2], [3]]);
  fs.writeFileSync(
    file,
    JSON.stringify({
      ...good,
      indices: [
        [0, 2],
        [3, 5],
      ],
    }),
  );
  assert.throws(
    () => readSplitFile(dir),
    (e: unknown) =>
      e instanceof DataError &&
      e.message === `${file}: field "indices": expected one array of positions per class, as long as its entry in "counts"`,
  );
  fs.writeFileSync(file, JSON.stringify({ ...good, schema: 'gpaco-split/9' }));
  assert.throws(() => readSplitFile(dir), /field "schema": expected "gpaco-split\/1" \(got "gpaco-split\/9"\)/);
});
