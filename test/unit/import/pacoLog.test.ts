// The PaCo / GPaCo log parser and `importPacoLog` on logs written in the scripts' formats.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { listRuns, summarizeRun } from '../../../src/core/catalog';
import { countsFromSplitList, parseClassCounts } from '../../../src/core/import/classCounts';
import { readOnlyReason } from '../../../src/core/import/importedRun';
import { parsePacoLog } from '../../../src/core/import/pacoLog';
import { importPacoLog } from '../../../src/core/import/pacoLogImport';
import { ImportError } from '../../../src/core/import/sourceFile';
import { readAllMetrics } from '../../../src/core/metricsLog';
import { latestCheckpoint, readCheckpointIndex, readClassesFile, readRunManifest } from '../../../src/core/runDirectory';
import { buildRunSnapshot } from '../../../src/core/snapshot';
import { tempDir } from '../../../test/shared/tmp';
import { generatePacoLog } from './pacoLogGenerator';

const close = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) < 1e-9);

test('paco_lt.py format: every epoch, evaluation and group line is read with the printed values', () => {
  const g = generatePacoLog({ script: 'lt', epochs: 12, batches: 905, printFreq: 50, testBatches: 79 });
  const p = parsePacoLog(g.text);
  assert.deepEqual(p.problems, []);
  assert.equal(p.recognised, p.lines, 'every line is recognised');
  assert.deepEqual(
    p.epochs.map((e) => e.epoch),
    g.epochs.map((e) => e.epoch),
  );
  for (const [i, want] of g.epochs.entries()) {
    const got = p.epochs[i]!;
    assert.ok(
      close(got.loss, want.loss) && close(got.accuracy, want.accuracy) && close(got.seconds, want.seconds),
      `epoch ${want.epoch}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`,
    );
    assert.equal(got.batches, 905);
  }
  assert.equal(p.evals.length, 12);
  for (const [i, want] of g.evals.entries()) {
    const got = p.evals[i]!;
    for (const k of ['epoch', 'top1', 'top5', 'many', 'medium', 'few'] as const)
      assert.ok(close(got[k], want[k]), `eval ${want.epoch} ${k}: ${got[k]} vs ${want[k]}`);
  }
});

test('paco_cifar.py format (no Time meter, :.4f loss, no group lines): groups are null, not 0', () => {
  const g = generatePacoLog({ script: 'cifar', epochs: 5, batches: 84, printFreq: 40, testBatches: 79 });
  const p = parsePacoLog(g.text);
  assert.deepEqual(p.problems, []);
  assert.deepEqual(
    p.epochs.map((e) => [e.epoch, e.seconds]),
    g.epochs.map((e) => [e.epoch, null]),
  );
  assert.ok(p.epochs.every((e, i) => close(e.loss, g.epochs[i]!.loss)));
  assert.ok(p.evals.every((e) => e.many === null && e.medium === null && e.few === null));
});

test('a --resume restart: the later lines win, and the restart is reported with its line', () => {
  const g = generatePacoLog({
    script: 'lt',
    epochs: 8,
    batches: 300,
    printFreq: 50,
    testBatches: 20,
    restarts: [{ epoch: 5, atBatch: 150 }],
  });
  const p = parsePacoLog(g.text);
  assert.deepEqual(p.problems, []);
  assert.deepEqual(p.resumes, [{ line: g.restartLines[0]!, epoch: 6 }]);
  assert.deepEqual(
    p.epochs.map((e) => e.epoch),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
  const e6 = p.epochs.find((e) => e.epoch === 6)!;
  assert.ok(close(e6.loss, g.epochs.find((e) => e.epoch === 6)!.loss), 'epoch 6 holds the completed second try, not the killed first one');
});

test('unparsable lines are counted and reported with their line numbers, never dropped silently', () => {
  const g = generatePacoLog({ script: 'lt', epochs: 3, batches: 100, printFreq: 50, testBatches: 10, junkAfter: [2, 9] });
  const text = `${g.text}Epoch: [3][ 0/100]\tTime  0.2\n` + 'Many_acc: 0.1, Medium_acc: 0.2 Low_acc: 0.3\n' + 'Epoch: [3][50/10';
  const p = parsePacoLog(text);
  const lines = text.split('\n').length;
  assert.equal(p.lines, lines, 'a last line without its newline counts');
  assert.deepEqual(
    p.problems.map((x) => x.line),
    [...g.junkLines, lines - 2, lines - 1, lines],
  );
  assert.match(p.problems[0]!.reason, /not a line of a PaCo/);
  assert.match(p.problems.at(-3)!.reason, /unreadable meter/);
  assert.match(p.problems.at(-2)!.reason, /without a " \* Acc@1" line/);
  assert.match(p.problems.at(-1)!.reason, /unreadable progress line/);
  assert.equal(p.recognised + p.problems.length, p.lines);
});

test('class counts: split list lines with line-numbered problems; counts files as JSON or numbers', () => {
  const split = countsFromSplitList('train/a/1.jpg 0\ntrain/a/2.jpg 0\ntrain/with space/3.jpg 2\nbroken-line\n\n');
  assert.deepEqual(split.counts, [2, 0, 1]);
  assert.deepEqual(
    split.problems.map((p) => [p.line, p.reason]),
    [[4, 'expected "path label"']],
  );
  assert.deepEqual(parseClassCounts('[500, 200, 3]').counts, [500, 200, 3]);
  assert.deepEqual(parseClassCounts('500\n200 3\n').counts, [500, 200, 3]);
  assert.deepEqual(
    parseClassCounts('500\nx\n').problems.map((p) => p.line),
    [2],
  );
  assert.equal(parseClassCounts('[1, -2]').problems.length, 1);
});

test('importPacoLog: a read-only run with curves, group figures, external checkpoints and class groups', (t) => {
  const root = tempDir(t);
  const src = path.join(root, 'ImageNet_LT', 'gpaco_r50');
  fs.mkdirSync(src, { recursive: true });
  const g = generatePacoLog({
    script: 'lt',
    epochs: 10,
    batches: 200,
    printFreq: 50,
    testBatches: 20,
    restarts: [{ epoch: 4, atBatch: 100 }],
    junkAfter: [3],
  });
  const log = path.join(src, 'gpaco_r50.log');
  fs.writeFileSync(log, g.text);
  for (const [name, size] of [
    ['moco_ckpt.pth.tar', 1000],
    ['moco_ckpt.best.pth.tar', 900],
    ['moco_ckpt_0004.pth.tar', 800],
    ['other.pth.tar', 5],
  ] as const) {
    fs.writeFileSync(path.join(src, name), Buffer.alloc(size));
  }
  // 3 classes: 150 (many), 50 (medium), 5 (few) training images.
  const listLines = [
    ...Array<string>(150).fill('a.jpg 0'),
    ...Array<string>(50).fill('b.jpg 1'),
    ...Array<string>(5).fill('c.jpg 2'),
    'oops',
  ];
  const list = path.join(root, 'train.txt');
  fs.writeFileSync(list, `${listLines.join('\n')}\n`);

  const runs = path.join(root, 'runs');
  const r = importPacoLog({ logFile: log, runsDir: runs, split: list });
  assert.deepEqual(r.problems, [
    `${log}:${g.junkLines[0]}: not a line of a PaCo / GPaCo log: "Traceback (most recent call last): junk after line 3"`,
    `${list}:206: expected "path label": "oops"`,
  ]);

  const m = readRunManifest(r.dir);
  assert.equal(m.status, 'completed');
  assert.equal(m.imported?.kind, 'paco-log');
  assert.equal(m.imported?.source, log);
  assert.equal(m.imported?.skipped, 2);
  assert.deepEqual(m.progress, { epoch: 10, epochs: 10 });
  assert.match(readOnlyReason(m, 'be resumed') ?? '', /imported from .*gpaco_r50\.log and is read-only/);
  assert.match(fs.readFileSync(path.join(r.dir, 'trainer.log'), 'utf8'), /resumed at epoch 5 .*\n[^]*skipped .*junk after line 3/);

  const classes = readClassesFile(r.dir)!;
  assert.deepEqual(classes.trainCounts, [150, 50, 5]);
  assert.deepEqual(classes.groups.assignment, ['many', 'medium', 'few']);

  const recs = readAllMetrics(path.join(r.dir, 'metrics.jsonl'));
  const evals = recs.filter((x) => x.kind === 'eval');
  assert.equal(evals.length, 10);
  assert.ok(
    evals.every((e, i) => e.kind === 'eval' && close(e.top1, g.evals[i]!.top1) && close(e.few, g.evals[i]!.few) && e.file === undefined),
  );
  const epochs = recs.filter((x) => x.kind === 'epoch');
  assert.ok(
    epochs.every((e) => e.kind === 'epoch' && e.lr === null && e.imagesPerSecond === null),
    'the log has no learning rate: null, not a made-up number',
  );

  const cps = readCheckpointIndex(r.dir).checkpoints;
  const best = g.evals.reduce((b, e) => (e.top1 > b.top1 ? e : b));
  assert.deepEqual(
    cps.map((c) => [c.tag, c.epoch, c.bytes, c.external, c.best, c.file]).sort(),
    [
      ['moco_ckpt.best.pth.tar', best.epoch, 900, true, true, path.join(src, 'moco_ckpt.best.pth.tar')],
      ['moco_ckpt.pth.tar', 10, 1000, true, false, path.join(src, 'moco_ckpt.pth.tar')],
      ['moco_ckpt_0004.pth.tar', 4, 800, true, false, path.join(src, 'moco_ckpt_0004.pth.tar')],
    ].sort(),
  );
  assert.equal(latestCheckpoint(r.dir), undefined, 'an external checkpoint is never one to resume from');

  const s = summarizeRun(r.dir);
  assert.equal(s.status, 'completed');
  assert.ok(s.latestEval && close(s.latestEval.top1, g.evals.at(-1)!.top1));
  assert.equal(listRuns(runs).length, 1);

  const snap = buildRunSnapshot(r.dir);
  assert.equal(snap.selected, null, 'no evaluation file: no confusion matrix');
  assert.equal(snap.curves.epoch.length, 10);
  assert.ok(snap.curves.lr.every((v) => v === null));
  assert.equal(snap.evals.few.length, 10);
  assert.equal(snap.run.canResume, false);
});

test('importPacoLog refuses a file that is not a PaCo log, creating nothing', (t) => {
  const root = tempDir(t);
  const file = path.join(root, 'notes.txt');
  fs.writeFileSync(file, 'hello\nworld\n');
  assert.throws(
    () => importPacoLog({ logFile: file, runsDir: path.join(root, 'runs') }),
    (err: Error) =>
      err instanceof ImportError && /no line of a PaCo \/ GPaCo log found in 2 line\(s\) \(line 1: not a line/.test(err.message),
  );
  assert.throws(
    () => importPacoLog({ logFile: path.join(root, 'missing.log'), runsDir: path.join(root, 'runs') }),
    (err: Error) => err instanceof ImportError && /missing\.log: cannot read: ENOENT/.test(err.message),
  );
  assert.equal(fs.existsSync(path.join(root, 'runs')), false);
});

test('a 400-epoch log (ImageNet-LT sized, two restarts) is imported whole; the time is printed as a figure', (t) => {
  const g = generatePacoLog({
    script: 'lt',
    epochs: 400,
    batches: 905,
    printFreq: 50,
    testBatches: 79,
    restarts: [
      { epoch: 120, atBatch: 400 },
      { epoch: 301, atBatch: 850 },
    ],
  });
  const root = tempDir(t);
  const log = path.join(root, 'run.log');
  fs.writeFileSync(log, g.text);
  const t0 = performance.now();
  const r = importPacoLog({ logFile: log, runsDir: path.join(root, 'runs') });
  const ms = performance.now() - t0;
  assert.equal(r.parse.epochs.length, 400);
  assert.equal(r.parse.evals.length, 400);
  assert.equal(r.parse.resumes.length, 2);
  assert.deepEqual(r.problems, []);
  t.diagnostic(
    `400-epoch log: ${r.parse.lines} lines, ${(Buffer.byteLength(g.text) / 1e6).toFixed(1)} MB, imported in ${ms.toFixed(0)} ms (${r.records} records)`,
  );
});
