// Split-list data sets (data.kind "list") on JPEG lists generated here with jpeg-js.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { prepareConfig, refusalLines } from '../../../src/core/config/pipeline';
import { validateConfig } from '../../../src/core/config/validate';
import { loadDataset, preflightData, verifySplit, writeSplitFile } from '../../../src/data/index';
import { classCounts } from '../../../src/data/longTailSplit';
import { openListSource, parseListText } from '../../../src/data/splitList';
import { tempDir } from '../../../test/shared/tmp';
import { errorOf, solidJpeg, writeTree } from './writers';

/** Class c's colour: tells the classes apart after decoding. */
const colourOf = (c: number): [number, number, number] => [(c * 37) % 256, (c * 91) % 256, (c * 13 + 60) % 256];

interface ListSet {
  root: string;
  train: string;
  test: string;
  trainCounts: number[];
}

/** `classes` classes with trainCount(c) training images each and `testPer` test images. */
function writeListSet(dir: string, classes: number, trainCount: (c: number) => number, testPer: number): ListSet {
  const root = path.join(dir, 'images');
  const files: Record<string, Uint8Array> = {};
  const trainLines: string[] = [];
  const testLines: string[] = [];
  const trainCounts: number[] = [];
  for (let c = 0; c < classes; c++) {
    // 16 colours (jpeg-js takes tens of ms per encode; 1,000 distinct images would take 20 s).
    const jpg = solidJpeg(8, 6, colourOf(c % 16));
    trainCounts.push(trainCount(c));
    for (let k = 0; k < trainCount(c); k++) {
      // Past 20 images a class's lines name its first 20 files again (the large-class lists only
      // go through preflight, which reads a sample).
      files[`train/n${c}/img_${k % 20}.jpg`] = jpg;
      trainLines.push(`train/n${c}/img_${k % 20}.jpg ${c}`);
    }
    for (let k = 0; k < testPer; k++) {
      files[`val/n${c}/img_${k}.jpg`] = jpg;
      testLines.push(`val/n${c}/img_${k}.jpg ${c}`);
    }
  }
  writeTree(root, files);
  // Shuffled line order (as the released lists are): the reader must not assume grouping.
  trainLines.reverse();
  const train = path.join(dir, 'LT_train.txt');
  const test = path.join(dir, 'LT_test.txt');
  fs.writeFileSync(train, `${trainLines.join('\n')}\n`);
  fs.writeFileSync(test, `${testLines.join('\n')}\n`);
  return { root, train, test, trainCounts };
}

function listConfig(set: ListSet, extra: Record<string, unknown> = {}) {
  const r = validateConfig({
    data: { kind: 'list', root: set.root, train: set.train, test: set.test, imageSize: 8, channels: 3, ...extra },
  });
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  return r.config;
}

test('a 1,000-class split list: preflight parses, samples and reports the counts per group', async (t) => {
  const dir = tempDir(t);
  // 1,000 classes: 150 images for the first 10 (head; the files repeat: only a sample is read), 1 for the rest.
  const set = writeListSet(dir, 1000, (c) => (c < 10 ? 150 : 1), 1);
  const config = listConfig(set);
  const issues = await preflightData(config);
  assert.deepEqual(
    issues.filter((i) => i.level === 'error'),
    [],
  );
  const info = issues.find((i) => i.level === 'info');
  assert.ok(info, 'counts per group are reported before anything starts');
  assert.match(
    info.message,
    /2490 training images in 1000 classes \(largest 150, smallest 1, imbalance 150\.0\): many 10 classes \/ 1500 images, medium 0 classes \/ 0 images, few 990 classes \/ 990 images; test 1000 images/,
  );
  const source = openListSource(config.data);
  assert.equal(source.classNames.length, 1000);
  assert.deepEqual(classCounts(source.train.labels, 1000), set.trainCounts, 'labels keep the list numbering');
});

test('a split list loads whole: its own profile, labels as listed, test in list order, pixels', async (t) => {
  const dir = tempDir(t);
  const set = writeListSet(dir, 12, (c) => 12 - c, 2);
  const config = listConfig(set);
  const ds = await loadDataset(config);
  assert.equal(ds.classNames.length, 12);
  assert.equal(ds.train.count, 78, 'nothing is subsampled');
  assert.equal(ds.test.count, 24);
  assert.deepEqual(classCounts(ds.train.labels, 12), set.trainCounts);
  assert.deepEqual(Array.from(ds.test.labels.subarray(0, 5)), [0, 0, 1, 1, 2], 'test images in list order');
  // Pixels: test image 7 is class 3's colour (JPEG keeps flat colours within a few levels).
  const px = Array.from(ds.test.images.subarray(7 * 8 * 8 * 3, 7 * 8 * 8 * 3 + 3));
  colourOf(3).forEach((v, k) => assert.ok(Math.abs(px[k]! - v) <= 3, `channel ${k}: ${px[k]} vs ${v}`));
  assert.equal(ds.split!.kind, 'list');
  assert.equal(ds.split!.maxPerClass, 12);
  assert.equal(ds.split!.files, undefined, 'the list file itself is the record of a list split');

  // split.json round-trips through verifySplit.
  const runDir = path.join(dir, 'run');
  fs.mkdirSync(runDir);
  writeSplitFile(runDir, ds);
  const check = await verifySplit(config, runDir);
  assert.deepEqual(check.problems, []);
});

test('imbalanceFactor and maxPerClass are refused for a list, with why; list fields for other kinds', (t) => {
  const set = writeListSet(tempDir(t), 3, () => 2, 1);
  const base = { kind: 'list', root: set.root, train: set.train, test: set.test };
  const r = validateConfig({ data: { ...base, imbalanceFactor: 10, maxPerClass: 5 } });
  assert.ok(!r.ok);
  assert.deepEqual(
    r.errors.map((e) => e.path),
    ['data.imbalanceFactor', 'data.maxPerClass'],
  );
  assert.match(r.errors[0]!.message, /the training list is already the long-tailed split/);
  const missing = validateConfig({ data: { kind: 'list', root: set.root } });
  assert.ok(!missing.ok);
  assert.deepEqual(
    missing.errors.map((e) => e.path),
    ['data.train', 'data.test'],
  );
  const wrongKind = validateConfig({ data: { kind: 'image-folder', path: set.root, train: set.train } });
  assert.ok(!wrongKind.ok);
  assert.match(wrongKind.errors[0]!.message, /only used with data.kind "list"/);
  const gone = validateConfig({ data: { ...base, test: path.join(set.root, 'nope.txt') } });
  assert.ok(!gone.ok);
  assert.match(gone.errors[0]!.message, /does not exist: .*nope\.txt/);
});

test('bad lines are reported with file:line; labels out of range; missing sampled files', async (t) => {
  const dir = tempDir(t);
  const set = writeListSet(dir, 3, () => 3, 1);
  fs.appendFileSync(
    set.train,
    ['# a comment', '', 'no-label-here', 'train/n0/img_0.jpg x1', '../outside.jpg 1', '/abs/path.jpg 2'].join('\n'),
  );
  const names = path.join(dir, 'names.txt');
  fs.writeFileSync(names, 'cat\ndog\ncow\n');
  fs.appendFileSync(set.test, 'val/n0/img_0.jpg 7\n');
  const issues = await preflightData(listConfig(set, { classNames: names }));
  const errors = issues.filter((i) => i.level === 'error').map((i) => i.message);
  const line = (file: string, text: string) => fs.readFileSync(file, 'utf8').split('\n').indexOf(text) + 1;
  assert.ok(
    errors.includes(`${set.train}:${line(set.train, 'no-label-here')}: expected "relative/path label" (got "no-label-here")`),
    errors.join('\n'),
  );
  assert.ok(errors.includes(`${set.train}:${line(set.train, 'train/n0/img_0.jpg x1')}: label "x1" is not a non-negative integer`));
  assert.ok(errors.some((e) => e.startsWith(`${set.train}:${line(set.train, '../outside.jpg 1')}: `) && /stay inside data.root/.test(e)));
  assert.ok(errors.some((e) => e.startsWith(`${set.train}:${line(set.train, '/abs/path.jpg 2')}: `) && /must be relative/.test(e)));
  assert.ok(errors.includes(`${set.test}:${line(set.test, 'val/n0/img_0.jpg 7')}: label 7 is out of range 0..2 (3 names in ${names})`));
  assert.equal(errors.length, 5);
  const where = issues.find((i) => i.message.includes('x1'))!.where;
  assert.equal(where, `${set.train}:${line(set.train, 'train/n0/img_0.jpg x1')}`);

  // The load refuses the same lists, naming the first bad lines.
  const err = await errorOf(loadDataset(listConfig(set, { classNames: names })));
  assert.match(err.message, /5 problems in the lists: .*no-label-here/);

  // A listed file that is missing is found by the sample (the first entry is always checked).
  const set2 = writeListSet(path.join(dir, 'b'), 3, () => 2, 1);
  const firstTest = fs.readFileSync(set2.test, 'utf8').split('\n')[0]!.split(' ')[0]!;
  fs.rmSync(path.join(set2.root, firstTest));
  const missing = (await preflightData(listConfig(set2))).filter((i) => i.level === 'error');
  assert.equal(missing.length, 1);
  assert.equal(missing[0]!.message, `${set2.test}:1: ${path.join(set2.root, firstTest)} does not exist`);
});

test('corrupt JPEGs in a list are skipped and counted under the image-folder rule', async (t) => {
  const dir = tempDir(t);
  const set = writeListSet(dir, 4, () => 10, 5);
  // One training and one test image become garbage with a JPEG signature: decoded, they fail.
  const trainLine = fs.readFileSync(set.train, 'utf8').split('\n')[3]!.split(' ')[0]!;
  const testLine = fs.readFileSync(set.test, 'utf8').split('\n')[2]!.split(' ')[0]!;
  for (const rel of [trainLine, testLine]) fs.writeFileSync(path.join(set.root, rel), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]));
  const warnings: string[] = [];
  const ds = await loadDataset(listConfig(set), { onWarning: (w) => warnings.push(w) });
  assert.equal(ds.train.count, 39);
  assert.equal(ds.test.count, 19);
  assert.equal(warnings.length, 2);
  assert.ok(warnings.every((w) => /skipped: cannot decode/.test(w)));
  assert.deepEqual(ds.split!.skipped, [trainLine]);
  assert.deepEqual(ds.split!.testSkipped, [testLine], 'a viewer can map evaluation image i back to its file');
  // More than 10% bad: refused, as image folders are.
  for (const l of fs.readFileSync(set.train, 'utf8').split('\n').slice(0, 8)) {
    if (l) fs.writeFileSync(path.join(set.root, l.split(' ')[0]!), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 9]));
  }
  const err = await errorOf(loadDataset(listConfig(set)));
  assert.match(err.message, /could not be read, more than 10% allowed/);
});

test('list lines: path with spaces, CRLF, comments', () => {
  const p = parseListText('a b/c d.jpg 3\r\n# x\r\n\r\ne.png 0\r\n', 'L');
  assert.deepEqual(p.paths, ['a b/c d.jpg', 'e.png']);
  assert.deepEqual(Array.from(p.labels), [3, 0]);
  assert.deepEqual(Array.from(p.lines), [1, 4]);
  assert.deepEqual(p.problems, []);
});

test('the config pipeline refuses bad lists before anything starts and passes the counts on as notes', async (t) => {
  const dir = tempDir(t);
  const set = writeListSet(dir, 4, (c) => 30 - 7 * c, 2);
  const file = path.join(dir, 'lt.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ data: { kind: 'list', root: 'images', train: 'LT_train.txt', test: 'LT_test.txt', imageSize: 8, channels: 3 } }),
  );
  const ok = await prepareConfig({ source: { kind: 'file', path: file }, cwd: dir, preflight: preflightData });
  assert.ok(ok.ok);
  assert.equal(ok.config.data.root, set.root, 'relative to the config file');
  assert.deepEqual(ok.warnings, []);
  assert.equal(ok.notes.length, 1);
  assert.match(
    ok.notes[0]!,
    /78 training images in 4 classes \(largest 30, smallest 9, imbalance 3\.3\): many 0 classes \/ 0 images, medium 2 classes \/ 53 images, few 2 classes \/ 25 images; test 8 images/,
  );
  fs.appendFileSync(set.test, 'val/n0/img_0.jpg 9\n');
  const bad = await prepareConfig({ source: { kind: 'file', path: file }, cwd: dir, preflight: preflightData });
  assert.ok(!bad.ok);
  assert.match(refusalLines(bad).join('\n'), new RegExp(`${set.test.replace(/[.]/g, '\\.')}:9: label 9 is out of range 0\\.\\.3`));
});
