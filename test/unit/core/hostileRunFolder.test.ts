// Run folders as a hostile repository would ship them: symlinks to devices, FIFOs, oversized
// files, tags that climb out of the folder, numbers out of range. Every reader must give its
// own "unreadable" result at once, never hang, and the scan must go on with the other runs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { listRuns, summarizeRun } from '../../../src/core/catalog';
import { readConfigFile } from '../../../src/core/config/pipeline';
import { findLastMetric, MetricsTail } from '../../../src/core/metricsLog';
import {
  createRunDirectory,
  readCheckpointIndex,
  readClassesFile,
  readEvalFile,
  runPaths,
  updateRunManifest,
  writeCheckpointIndex,
  writeEvalFile,
} from '../../../src/core/runDirectory';
import { RUN_FILE_CAPS, RunFileError, readRunFile } from '../../../src/core/runFile';
import { evalClassesMismatch, parseEvalFile, pathInside } from '../../../src/core/runSchema';
import { readContent, streamContent } from '../../../src/data/content';
import { DataError } from '../../../src/data/types';
import { checkpointEntry, classesFile, evalFile, makeCheckpointFolder, presetConfig } from './fixtures';
import { tempDir } from '../../../test/shared/tmp';

const hasDevZero = fs.existsSync('/dev/zero');

function mkfifo(file: string): boolean {
  return spawnSync('mkfifo', [file]).status === 0;
}

function makeRun(root: string, name: string, now = new Date(2025, 0, 1, 9, 0, 0)) {
  return createRunDirectory(root, { config: presetConfig(), name, now });
}

function replaceWithDevZero(file: string): void {
  fs.rmSync(file, { force: true });
  fs.symlinkSync('/dev/zero', file);
}

test('a run.json linked to /dev/zero is unreadable at once, and the scan goes on', { skip: !hasDevZero && 'no /dev/zero' }, (t) => {
  const root = tempDir(t);
  const good = makeRun(root, 'good', new Date(2025, 0, 1, 9));
  const bad = makeRun(root, 'zero', new Date(2025, 0, 1, 10));
  replaceWithDevZero(runPaths(bad.dir).run);
  const t0 = performance.now();
  const runs = listRuns(root);
  assert.ok(performance.now() - t0 < 5000, 'the scan returns promptly');
  assert.deepEqual(
    runs.map((r) => [r.id, r.status]),
    [
      [bad.id, 'unreadable'],
      [good.id, 'queued'],
    ],
  );
  assert.match(runs[0]!.problems.join('\n'), /run\.json: not a regular file \(a character device\)/);
});

test(
  'classes.json, checkpoints/index.json, evals/*.json and metrics.jsonl linked to /dev/zero are refused',
  { skip: !hasDevZero && 'no /dev/zero' },
  (t) => {
    const root = tempDir(t);
    const { dir } = makeRun(root, 'parts');
    const paths = runPaths(dir);
    replaceWithDevZero(paths.classes);
    fs.mkdirSync(paths.checkpoints, { recursive: true });
    replaceWithDevZero(paths.checkpointIndex);
    fs.mkdirSync(paths.evals, { recursive: true });
    replaceWithDevZero(paths.evalFile('epoch-0001'));
    replaceWithDevZero(paths.metrics);
    assert.throws(
      () => readClassesFile(dir),
      (e: unknown) => e instanceof RunFileError && e.problem === 'not-regular',
    );
    assert.throws(() => readCheckpointIndex(dir), /index\.json: not a regular file/);
    assert.throws(() => readEvalFile(dir, 'epoch-0001'), /epoch-0001\.json: not a regular file/);
    assert.throws(() => new MetricsTail(paths.metrics).read(), /metrics\.jsonl: not a regular file/);
    const s = summarizeRun(dir);
    assert.equal(s.status, 'queued', 'run.json itself is fine: the run is partly readable');
    assert.match(s.problems.join('\n'), /index\.json: not a regular file/);
    assert.match(s.problems.join('\n'), /metrics\.jsonl: not a regular file/);
  },
);

test('FIFOs in a run folder never block a reader', (t) => {
  const root = tempDir(t);
  const { dir } = makeRun(root, 'fifo');
  const paths = runPaths(dir);
  fs.rmSync(paths.run);
  if (!mkfifo(paths.run) || !mkfifo(paths.metrics)) return t.skip('mkfifo is not available');
  const s = summarizeRun(dir);
  assert.equal(s.status, 'unreadable');
  assert.match(s.problems.join('\n'), /run\.json: not a regular file \(a FIFO\)/);
  assert.throws(() => findLastMetric(paths.metrics, 'eval'), /a FIFO/);
  const log = path.join(dir, 'trainer.log');
  assert.ok(mkfifo(log));
  assert.throws(() => readRunFile('tail', log), /a FIFO/);
});

test("files over their kind's cap are refused with the sizes, not read", (t) => {
  const root = tempDir(t);
  const { dir } = makeRun(root, 'big');
  const file = runPaths(dir).run;
  // A sparse file: its size is over the cap without writing the bytes.
  const fd = fs.openSync(file, 'r+');
  fs.ftruncateSync(fd, RUN_FILE_CAPS.run + 1);
  fs.closeSync(fd);
  const s = summarizeRun(dir);
  assert.equal(s.status, 'unreadable');
  assert.match(s.problems[0]!, /run\.json: too large \(4\.0 MB; at most 4\.0 MB for this file\)/);
});

test('a config file linked to /dev/zero or a FIFO is a clear error', { skip: !hasDevZero && 'no /dev/zero' }, (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'exp.json');
  fs.symlinkSync('/dev/zero', file);
  const r = readConfigFile(file);
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.issues[0]!.message : '', /cannot read: not a regular file \(a character device\)/);
});

test("the trainer's data readers refuse devices and FIFOs", { skip: !hasDevZero && 'no /dev/zero' }, async (t) => {
  const dir = tempDir(t);
  const zero = path.join(dir, 'train-labels-idx1-ubyte');
  fs.symlinkSync('/dev/zero', zero);
  assert.throws(
    () => readContent(zero),
    (e: unknown) => e instanceof DataError && /not a regular file \(a character device\)/.test(e.message),
  );
  await assert.rejects(
    streamContent(zero, () => undefined),
    /not a regular file/,
  );
  const fifo = path.join(dir, 'data_batch_1.bin');
  if (mkfifo(fifo))
    await assert.rejects(
      streamContent(fifo, () => undefined),
      /a FIFO/,
    );
});

test('a checkpoint tag or path from index.json can never leave the run folder', (t) => {
  const root = tempDir(t);
  const a = makeRun(root, 'a');
  const b = makeRun(root, 'b', new Date(2025, 0, 1, 10));
  makeCheckpointFolder(b.dir, 'epoch-0002', true);
  makeCheckpointFolder(a.dir, 'epoch-0001', true);
  writeCheckpointIndex(a.dir, {
    checkpoints: [
      checkpointEntry('epoch-0001', 1),
      checkpointEntry(`../../${b.id}/checkpoints/epoch-0002`, 2),
      checkpointEntry('epoch-0003', 3, { path: `../${b.id}/checkpoints/epoch-0002` }),
    ],
  });
  assert.deepEqual(
    readCheckpointIndex(a.dir).checkpoints.map((c) => c.tag),
    ['epoch-0001'],
  );
  // Every path made from a tag checks it.
  assert.throws(() => runPaths(a.dir).evalFile(`../../${b.id}/checkpoints/epoch-0002`), /invalid tag/);
  assert.throws(() => runPaths(a.dir).checkpointDir('..'), /invalid tag/);
  assert.throws(() => writeEvalFile(a.dir, evalFile('../escape', 1, [[1]])), /invalid tag/);
  assert.equal(fs.existsSync(path.join(root, 'escape.json')), false);
  assert.equal(pathInside(a.dir, '../x'), undefined);
  assert.equal(pathInside(a.dir, 'checkpoints/../../x'), undefined);
  assert.equal(pathInside(a.dir, 'checkpoints/epoch-0001'), path.join(a.dir, 'checkpoints', 'epoch-0001'));
});

test('numbers and times out of range make the file unreadable, naming the field', (t) => {
  const root = tempDir(t);
  const { dir } = makeRun(root, 'numbers');
  const write = (patch: Record<string, unknown>) => {
    const file = runPaths(dir).run;
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(file, JSON.stringify({ ...m, ...patch }));
    return summarizeRun(dir);
  };
  let s = write({ endedAt: 12 });
  assert.equal(s.status, 'unreadable');
  assert.match(s.problems[0]!, /field "endedAt" must be an ISO time string or null \(got 12\)/);
  s = write({ endedAt: null, progress: { epoch: -3, epochs: 10 } });
  assert.match(s.problems[0]!, /field "progress\.epoch" must be a whole number/);
  s = write({ progress: { epoch: 1, epochs: 1e308 } });
  assert.match(s.problems[0]!, /field "progress\.epochs"/);
  s = write({ progress: { epoch: 1, epochs: 10 }, pid: -1 });
  assert.match(s.problems[0]!, /field "pid" must be a process id or null/);
  // A partial config (valid JSON, fields missing): unreadable with the field, never a TypeError later.
  s = write({ pid: null, config: { ...presetConfig(), model: {} } });
  assert.equal(s.status, 'unreadable');
  assert.match(s.problems[0]!, /field "config\.model\.arch" must be a string \(got nothing\)/);
  // Another program's config (none or only some of our sections) is foreign, not broken.
  s = write({ config: { data: { kind: 'synthetic' }, lr: 0.1 } });
  assert.equal(s.status, 'queued');

  // Eval files: accuracies are fractions, counts whole numbers >= 0.
  const good = evalFile('epoch-0001', 1, [
    [2, 0],
    [1, 1],
  ]);
  writeEvalFile(dir, good);
  assert.equal(readEvalFile(dir, 'epoch-0001').top1, good.top1);
  for (const [patch, field] of [
    [{ top1: -3 }, 'top1'],
    [{ top5: 1e308 }, 'top5'],
    [{ n: -1 }, 'n'],
    [{ groupAccuracy: { many: 0.5, medium: 2, few: 0 } }, 'groupAccuracy.medium'],
  ] as const) {
    fs.writeFileSync(runPaths(dir).evalFile('epoch-0001'), JSON.stringify({ ...good, ...patch }));
    assert.throws(() => readEvalFile(dir, 'epoch-0001'), new RegExp(`field "${field.replace('.', '\\.')}"`), field);
  }
  fs.writeFileSync(
    runPaths(dir).evalFile('epoch-0001'),
    JSON.stringify({
      ...good,
      confusion: [
        [2, -1],
        [1, 1],
      ],
    }),
  );
  assert.throws(() => readEvalFile(dir, 'epoch-0001'), /confusion\[0\]\[1\] must be a non-negative integer/);
  // A metrics eval record out of range is not a record (ls would print TOP-1 -300.0%).
  fs.appendFileSync(
    runPaths(dir).metrics,
    `${JSON.stringify({ kind: 'eval', epoch: 1, tag: 'epoch-0001', top1: -3, top5: 0.5, many: 0.1, medium: 0.1, few: 0.1, file: 'x', time: 't' })}\n`,
  );
  assert.equal(findLastMetric(runPaths(dir).metrics, 'eval'), undefined);
});

test('a confusion matrix whose size disagrees with classes.json is named as a problem', () => {
  const e = parseEvalFile(
    evalFile('epoch-0001', 1, [
      [1, 0],
      [0, 1],
    ]),
    'evals/epoch-0001.json',
  );
  const c = classesFile([10, 5, 1], ['many', 'medium', 'few']);
  assert.equal(
    evalClassesMismatch(e, c, 'evals/epoch-0001.json'),
    'evals/epoch-0001.json: the confusion matrix is 2 x 2 but classes.json has 3 classes',
  );
  assert.equal(evalClassesMismatch(e, classesFile([10, 1], ['many', 'few']), 'f'), undefined);
});

test('updateRunManifest keeps a valid run.json valid (the writer and the reader agree)', (t) => {
  const { dir } = makeRun(tempDir(t), 'writer');
  const m = updateRunManifest(dir, { status: 'running', pid: process.pid, startedAt: new Date().toISOString() });
  assert.equal(summarizeRun(dir).manifest?.pid, m.pid);
});
