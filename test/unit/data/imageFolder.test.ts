import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { DataError, loadDataset, preflightData, readSplitFile, verifySplit, writeSplitFile } from '../../../src/data/index';
import { tempDir } from '../../../test/shared/tmp';
import { configWith, encodePng, errorOf, solidJpeg, solidPng, writeTree } from './writers';

type RGB = [number, number, number];
const COLOUR: Record<string, RGB> = { cat: [250, 10, 10], dog: [10, 250, 10], emu: [10, 10, 250] };

/** `n` solid images of the class colour; PNG, JPEG or grey PNG by class, odd sizes to force a resize. */
function classFiles(name: string, n: number, kind: 'png' | 'jpg' | 'grey'): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  const [r, g, b] = COLOUR[name]!;
  for (let i = 0; i < n; i++) {
    const file = `${name}/img${String(i).padStart(2, '0')}.${kind === 'jpg' ? 'jpg' : 'png'}`;
    out[file] =
      kind === 'jpg'
        ? solidJpeg(13, 9, [r, g, b])
        : kind === 'grey'
          ? encodePng(5, 7, 1, new Uint8Array(35).fill(r))
          : solidPng(12, 10, [r, g, b]);
  }
  return out;
}

function pixel(images: Uint8Array, k: number, size: number, channels: number): number[] {
  return Array.from(images.subarray(k * size * size * channels, k * size * size * channels + channels));
}

test('image folders: train and test folders, classes ordered by size (head first), decoded and resized', async (t) => {
  const root = tempDir(t);
  const train = path.join(root, 'train');
  const testDir = path.join(root, 'test');
  writeTree(train, {
    ...classFiles('cat', 5, 'png'),
    ...classFiles('dog', 8, 'jpg'),
    ...classFiles('emu', 3, 'grey'),
    'dog/notes.txt': 'not an image',
    'cat/.DS_Store': 'x',
  });
  writeTree(testDir, { ...classFiles('cat', 2, 'png'), ...classFiles('dog', 2, 'jpg'), ...classFiles('emu', 2, 'grey') });
  const config = configWith({ kind: 'image-folder', path: train, testPath: testDir, imageSize: 8, channels: 3, imbalanceFactor: 1 });
  assert.deepEqual(await preflightData(config), []);
  const ds = await loadDataset(config);
  assert.deepEqual(ds.classNames, ['dog', 'cat', 'emu']);
  assert.equal(ds.height, 8);
  assert.equal(ds.channels, 3);
  // IF 1: every class gets what the smallest has.
  assert.deepEqual(ds.split!.availableCounts, [8, 5, 3]);
  assert.deepEqual(ds.split!.counts, [3, 3, 3]);
  assert.equal(ds.train.images.length, 9 * 8 * 8 * 3);
  for (let k = 0; k < ds.train.count; k++) {
    const name = ds.classNames[ds.train.labels[k]!]!;
    assert.ok(ds.split!.files![k]!.startsWith(`${name}/`));
    const [r, g, b] = pixel(ds.train.images, k, 8, 3) as RGB;
    const want: RGB = name === 'emu' ? [10, 10, 10] : COLOUR[name]!;
    assert.ok(Math.abs(r - want[0]) <= 3 && Math.abs(g - want[1]) <= 3 && Math.abs(b - want[2]) <= 3, `${name}: ${r},${g},${b}`);
  }
  assert.equal(ds.test.count, 6);
  assert.deepEqual(Array.from(ds.test.labels), [0, 0, 1, 1, 2, 2]);
  assert.deepEqual(ds.warnings, []);
});

test('image folders in grey: colour images become luma', async (t) => {
  const root = tempDir(t);
  writeTree(root, { ...classFiles('cat', 3, 'png'), ...classFiles('dog', 3, 'png') });
  const ds = await loadDataset(
    configWith({ kind: 'image-folder', path: root, holdout: 0.34, imageSize: 8, channels: 1, imbalanceFactor: 1 }),
  );
  assert.equal(ds.channels, 1);
  assert.equal(ds.train.images.length, ds.train.count * 64);
  const luma = ([r, g, b]: RGB) => Math.round(0.299 * r + 0.587 * g + 0.114 * b);
  for (let k = 0; k < ds.train.count; k++) assert.equal(ds.train.images[k * 64], luma(COLOUR[ds.classNames[ds.train.labels[k]!]!]!));
});

test('held-out fraction: per-class test images chosen by the split seed, recorded, disjoint from training', async (t) => {
  const root = tempDir(t);
  writeTree(root, { ...classFiles('cat', 10, 'png'), ...classFiles('dog', 20, 'png'), ...classFiles('emu', 1, 'png') });
  const config = configWith({ kind: 'image-folder', path: root, holdout: 0.2, imageSize: 8, channels: 3, imbalanceFactor: 4 });
  const ds = await loadDataset(config);
  assert.deepEqual(ds.classNames, ['dog', 'cat', 'emu']);
  // dog 20 -> 4 test, cat 10 -> 2 test, emu 1 -> none (warned).
  assert.deepEqual(ds.split!.availableCounts, [16, 8, 1]);
  assert.equal(ds.test.count, 6);
  assert.equal(ds.split!.testFiles!.length, 6);
  assert.equal(ds.warnings.length, 1);
  assert.match(ds.warnings[0]!, /emu: only 1 image, so none is held out for testing \(data\.holdout\)/);
  const trainFiles = new Set(ds.split!.files);
  for (const f of ds.split!.testFiles!) assert.ok(!trainFiles.has(f), `${f} is in both`);
  // Profile with IF 4 over [16, 8, 1]: the head size is capped so the tail's single image suffices.
  assert.deepEqual(ds.split!.counts, [7, 3, 1]);
  const again = await loadDataset(config);
  assert.deepEqual(again.split!.testFiles, ds.split!.testFiles);
  assert.deepEqual(again.split!.files, ds.split!.files);
  config.data.splitSeed = 3;
  const other = await loadDataset(config);
  assert.notDeepEqual(other.split!.testFiles, ds.split!.testFiles);
});

test('split.json: written, read back, verified against a rebuild, tampering detected', async (t) => {
  const root = tempDir(t);
  const data = path.join(root, 'data');
  const run = path.join(root, 'run');
  fs.mkdirSync(run);
  writeTree(data, { ...classFiles('cat', 12, 'png'), ...classFiles('dog', 6, 'png'), 'dog/broken.png': 'not a png at all' });
  const config = configWith({
    kind: 'image-folder',
    path: data,
    holdout: 0.25,
    imageSize: 8,
    channels: 3,
    imbalanceFactor: 1,
    maxPerClass: 5,
  });
  const ds = await loadDataset(config);
  const file = writeSplitFile(run, ds)!;
  assert.equal(file, path.join(run, 'split.json'));
  const saved = readSplitFile(run);
  assert.deepEqual(saved.classNames, ds.classNames);
  assert.deepEqual(saved.counts, ds.split!.counts);
  assert.deepEqual(saved.indices.flat(), Array.from(ds.trainIndices!));
  assert.deepEqual(saved.files!.flat(), ds.split!.files);
  assert.deepEqual(await verifySplit(config, run), { ok: true, problems: [], file });
  // Another seed is another split: the check says which classes differ.
  const reseeded = configWith({ ...config.data, splitSeed: 99 });
  const check = await verifySplit(reseeded, run);
  assert.equal(check.ok, false);
  assert.ok(check.problems.length > 0);
  // A hand-edited file is caught.
  const text = fs.readFileSync(file, 'utf8').replace('"splitSeed": 0', '"splitSeed": "zero"');
  fs.writeFileSync(file, text);
  assert.throws(
    () => readSplitFile(run),
    (err: unknown) => err instanceof DataError && err.message === `${file}: field "splitSeed": expected a number`,
  );
});

test('an undecodable image is skipped with a warning naming it; too many refuse the load', async (t) => {
  const root = tempDir(t);
  const train = path.join(root, 'train');
  const testDir = path.join(root, 'test');
  // 7 files per class, so with IF 1 every file is chosen (and decoded).
  writeTree(train, { ...classFiles('cat', 6, 'png'), ...classFiles('dog', 7, 'png'), 'cat/zz-bad.png': 'plain text, not a PNG' });
  writeTree(testDir, { ...classFiles('cat', 2, 'png'), ...classFiles('dog', 2, 'png') });
  const config = configWith({ kind: 'image-folder', path: train, testPath: testDir, imageSize: 8, channels: 3, imbalanceFactor: 1 });
  const bad = path.join(train, 'cat', 'zz-bad.png');
  // Preflight reads each file's first bytes only: it warns about the file the load will skip.
  assert.deepEqual(await preflightData(config), [
    { level: 'warning', where: bad, message: `${bad}: will be skipped: not a PNG or JPEG file (starts with 70 6c 61 69)` },
  ]);
  const warned: string[] = [];
  const ds = await loadDataset(config, { onWarning: (m) => warned.push(m) });
  assert.deepEqual(warned, [`${bad}: skipped: cannot decode (not a PNG or JPEG file (starts with 70 6c 61 69))`]);
  assert.deepEqual(ds.warnings, warned);
  assert.deepEqual(ds.split!.skipped, ['cat/zz-bad.png']);
  // cat: 7 files listed, 6 decodable; dog: 7. 1 bad of 18 read (train and test) is tolerated.
  assert.deepEqual(ds.classNames, ['cat', 'dog']);
  assert.deepEqual(ds.split!.counts, [6, 7]);
  assert.equal(ds.train.count, 13);
  assert.equal(ds.test.count, 4);
  // 3 bad of 18 (> 10%): refused, naming the files.
  writeTree(train, { 'cat/img00.png': solidJpeg(8, 8, [1, 2, 3]).subarray(0, 40), 'cat/img01.png': '' });
  // The truncated JPEG starts like a JPEG: preflight sees 2 bad of 18 (11%) and refuses already.
  const pre = await preflightData(config);
  assert.equal(pre.length, 1);
  assert.match(pre[0]!.message, /^data\.path: 2 of 18 images \(11\.1%\) could not be read, more than 10% allowed: /);
  const err = await errorOf(loadDataset(config));
  assert.equal(err.where, 'data.path');
  assert.match(err.message, /^data\.path: 3 of 18 images \(16\.7%\) could not be read, more than 10% allowed: /);
  assert.ok(
    err.message.includes(bad) && err.message.includes(`${path.join(train, 'cat', 'img01.png')}: cannot decode (empty file)`),
    err.message,
  );
});

test('image folders: bad layouts are refused with the folder and what was expected', async (t) => {
  const root = tempDir(t);
  const cfg = (data: Record<string, unknown>) => configWith({ kind: 'image-folder', imageSize: 8, ...data });
  const issue = async (data: Record<string, unknown>) => {
    const issues = await preflightData(cfg(data));
    assert.equal(issues.length, 1, JSON.stringify(issues));
    return issues[0]!;
  };

  const flat = path.join(root, 'flat');
  writeTree(flat, { 'a.png': solidPng(2, 2, [1, 1, 1]) });
  assert.equal(
    (await issue({ path: flat })).message,
    `data.path: ${flat} has no sub-folders; expected one sub-folder per class holding PNG / JPEG images`,
  );

  const one = path.join(root, 'one');
  writeTree(one, classFiles('cat', 3, 'png'));
  assert.match((await issue({ path: one })).message, /has one class folder \(cat\); expected at least two classes/);

  const empty = path.join(root, 'empty');
  writeTree(empty, { ...classFiles('cat', 3, 'png'), 'dog/readme.txt': 'photos to come', 'dog/a.webp': 'x' });
  const e = await issue({ path: empty });
  assert.equal(e.where, path.join(empty, 'dog'));
  assert.match(
    e.message,
    /dog: class folder has no images; expected PNG or JPEG files \(\.png, \.jpg, \.jpeg\) \(it has 2 other files, e\.g\. /,
  );

  const good = path.join(root, 'good');
  writeTree(good, { ...classFiles('cat', 3, 'png'), ...classFiles('dog', 3, 'png') });
  const h = await issue({ path: good, holdout: 0 });
  assert.equal(h.where, 'data.holdout');
  assert.match(h.message, /^data\.holdout: is 0 and data\.testPath is not set, so there would be no test images/);

  const testDir = path.join(root, 'test');
  writeTree(testDir, { ...classFiles('cat', 1, 'png'), ...classFiles('emu', 1, 'png') });
  const u = await issue({ path: good, testPath: testDir });
  assert.equal(u.where, path.join(testDir, 'emu'));
  assert.match(
    u.message,
    /test class "emu" has no training folder in .*; expected the same class folder names \(training classes: cat, dog\)/,
  );

  const missing = path.join(root, 'nope');
  assert.equal(
    (await issue({ path: missing })).message,
    `data.path: ${missing} does not exist; expected one sub-folder per class holding PNG / JPEG images`,
  );

  const over = await issue({ path: good, maxPerClass: 4 });
  assert.equal(over.where, 'data.maxPerClass');
});

test('a test folder lacking a class is a warning, not an error', async (t) => {
  const root = tempDir(t);
  writeTree(path.join(root, 'train'), { ...classFiles('cat', 3, 'png'), ...classFiles('dog', 3, 'png') });
  writeTree(path.join(root, 'test'), classFiles('cat', 1, 'png'));
  const issues = await preflightData(
    configWith({ kind: 'image-folder', path: path.join(root, 'train'), testPath: path.join(root, 'test'), imbalanceFactor: 1 }),
  );
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.level, 'warning');
  assert.equal(issues[0]!.where, path.join(root, 'test', 'dog'));
  assert.equal(issues[0]!.message, `${path.join(root, 'test', 'dog')}: no test folder for class "dog"; the class is not evaluated`);
});
