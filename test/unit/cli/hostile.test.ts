// The CLI against hostile run folders and arguments (real `node dist/cli.js` child processes):
// devices behind symlinks, terminal escape sequences in run files, prototype keys in --set,
// numbers out of range and partial files.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { buildEvalFile } from '../../../src/core/evalMath';
import { MetricsWriter } from '../../../src/core/metricsLog';
import { createRunDirectory, runPaths, updateRunManifest, writeClassesFile, writeEvalFile } from '../../../src/core/runDirectory';
import { terminalSafe } from '../../../src/cli/render/terminalText';
import { lastLines } from '../../../src/cli/trainerProcess';
import { presetConfig } from '../core/fixtures';
import { tempDir } from '../../../test/shared/tmp';
import { cli } from './harness';

const hasDevZero = fs.existsSync('/dev/zero');
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

test('gpaco ls and train --config do not hang on files linked to /dev/zero', { skip: !hasDevZero && 'no /dev/zero' }, async (t) => {
  const cwd = tempDir(t);
  const root = path.join(cwd, 'runs');
  const good = createRunDirectory(root, { config: presetConfig(), name: 'good', now: new Date(2025, 0, 1, 9) });
  const bad = createRunDirectory(root, { config: presetConfig(), name: 'zero', now: new Date(2025, 0, 1, 10) });
  fs.rmSync(runPaths(bad.dir).run);
  fs.symlinkSync('/dev/zero', runPaths(bad.dir).run);
  const ls = await cli(['ls'], { cwd });
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, new RegExp(`^${bad.id} +\\? +unreadable`, 'm'));
  assert.match(ls.stdout, new RegExp(`^${good.id} +good +queued`, 'm'));
  assert.match(ls.stderr, new RegExp(`${bad.id}: unreadable: .*run\\.json: not a regular file \\(a character device\\)`));

  fs.symlinkSync('/dev/zero', path.join(cwd, 'exp.json'));
  const train = await cli(['train', '--config', 'exp.json'], { cwd });
  assert.equal(train.code, 2);
  assert.match(train.stderr, /exp\.json: cannot read: not a regular file \(a character device\)/);
});

test('terminal escape sequences from run files never reach the terminal', async (t) => {
  const cwd = tempDir(t);
  const root = path.join(cwd, 'runs');
  const evil = '\u001b]52;c;cHduZWQ=\u0007\u001b[2A\u009b31mfake\r';
  const run = createRunDirectory(root, { config: presetConfig(), name: `name${evil}`, now: new Date(2025, 0, 1, 9) });
  updateRunManifest(run.dir, {
    status: 'failed',
    host: `host${evil}`,
    backend: `wasm${evil}`,
    error: { message: `boom${evil}\nsecond line` },
    exitCode: 1,
  });
  const names = ['a', `cls${evil}`];
  writeClassesFile(run.dir, {
    names,
    trainCounts: [10, 1],
    testCounts: [1, 1],
    groups: { rule: { kind: 'shots', many: 5, few: 2 }, assignment: ['many', 'few'] },
  });
  writeEvalFile(
    run.dir,
    buildEvalFile({ tag: 'epoch-0001', epoch: 1, numClasses: 2, labels: [0, 1], scores: [1, 0, 0, 1], assignment: ['many', 'few'] }),
  );
  for (const args of [['ls'], ['show', run.id]]) {
    const r = await cli(args, { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, CONTROL, `gpaco ${args[0]} printed a control character`);
  }
  const show = await cli(['show', run.id], { cwd });
  assert.match(show.stdout, /name\uFFFD\]52;c;cHduZWQ=\uFFFD\uFFFD\[2A\uFFFD31mfake/);
  assert.match(show.stdout, /boom.*\nsecond line/, 'a newline inside a field stays');
  assert.equal(terminalSafe('a\tb\nc\u001bd\u0085'), 'a\tb\nc\uFFFDd\uFFFD');
});

test('--set __proto__.x / constructor.prototype.x are refused and pollute nothing', async (t) => {
  const cwd = tempDir(t);
  for (const set of ['__proto__.polluted=1', 'loss.constructor.prototype.polluted=1', 'prototype=1']) {
    const r = await cli(['train', '--preset', 'synthetic-lt', '--set', set], { cwd });
    assert.equal(r.code, 2, set);
    assert.match(r.stderr, /is not a config field/, set);
  }
  fs.writeFileSync(path.join(cwd, 'proto.json'), '{ "__proto__": { "polluted": 1 }, "optim": { "epochs": 1 } }');
  const file = await cli(['train', '--config', 'proto.json'], { cwd });
  assert.equal(file.code, 2);
  assert.match(file.stderr, /proto\.json:1:\d+: __proto__: unknown field/);
  assert.equal(fs.existsSync(path.join(cwd, 'runs')), false);
});

test('show: a partial config and a confusion matrix of the wrong size are named, not a crash or a silent drop', async (t) => {
  const cwd = tempDir(t);
  const root = path.join(cwd, 'runs');
  const run = createRunDirectory(root, { config: presetConfig(), name: 'mismatch', now: new Date(2025, 0, 1, 9) });
  writeClassesFile(run.dir, {
    names: ['a', 'b', 'c'],
    trainCounts: [10, 5, 1],
    testCounts: [1, 1, 1],
    groups: { rule: { kind: 'shots', many: 5, few: 2 }, assignment: ['many', 'medium', 'few'] },
  });
  writeEvalFile(
    run.dir,
    buildEvalFile({ tag: 'epoch-0001', epoch: 1, numClasses: 2, labels: [0, 1], scores: [1, 0, 0, 1], assignment: ['many', 'few'] }),
  );
  const r = await cli(['show', run.id], { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^files +partly readable: .*epoch-0001\.json: the confusion matrix is 2 x 2 but classes\.json has 3 classes/m);
  assert.match(r.stderr, /problem: .*the confusion matrix is 2 x 2/);

  const partial = createRunDirectory(root, { config: presetConfig(), name: 'partial', now: new Date(2025, 0, 1, 10) });
  const m = JSON.parse(fs.readFileSync(runPaths(partial.dir).run, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(runPaths(partial.dir).run, JSON.stringify({ ...m, config: { ...(m.config as object), model: {} }, endedAt: 12 }));
  const s = await cli(['show', partial.id], { cwd });
  assert.equal(s.code, 0, s.stderr);
  assert.doesNotMatch(s.stdout + s.stderr, /Cannot read properties/);
  assert.match(s.stdout, /^status +unreadable$/m);
  assert.match(s.stdout, /^files +unreadable: .*run\.json: field "/m);
  const ls = await cli(['ls'], { cwd });
  assert.match(ls.stdout, new RegExp(`^${partial.id} +\\? +unreadable`, 'm'));
});

test('ls: accuracies out of range in metrics.jsonl are not printed as percentages', async (t) => {
  const cwd = tempDir(t);
  const run = createRunDirectory(path.join(cwd, 'runs'), { config: presetConfig(), name: 'neg', now: new Date(2025, 0, 1, 9) });
  const w = new MetricsWriter(runPaths(run.dir).metrics);
  fs.appendFileSync(
    runPaths(run.dir).metrics,
    `${JSON.stringify({ kind: 'eval', epoch: 1, tag: 'epoch-0001', top1: -3, top5: 1e308, many: 0, medium: 0, few: 1e308, file: 'evals/epoch-0001.json', time: 'x' })}\n`,
  );
  w.close();
  const ls = await cli(['ls'], { cwd });
  assert.doesNotMatch(ls.stdout, /-300\.0%|e\+/);
  assert.match(ls.stdout, new RegExp(`^${run.id} +neg +queued +0/\\d+ +- +-`, 'm'));
});

test("a failed trainer's log tail shows the cause, not the stack trace (the trace stays in trainer.log)", (t) => {
  const file = path.join(tempDir(t), 'trainer.log');
  fs.writeFileSync(
    file,
    '[10:00:00] failed: ENOTEMPTY: directory not empty, rmdir checkpoints/epoch-0001\nError: ENOTEMPTY\n    at Object.rmdirSync (node:fs:1:1)\n    at writeCheckpoint (/x/trainer.js:2:2)\n',
  );
  assert.deepEqual(lastLines(file, 12), [
    '[10:00:00] failed: ENOTEMPTY: directory not empty, rmdir checkpoints/epoch-0001',
    'Error: ENOTEMPTY',
  ]);
  assert.match(fs.readFileSync(file, 'utf8'), /at writeCheckpoint/);
});

test('an unexpected error is one line with the cause and the run folder; the trace goes to its trainer.log', async (t) => {
  const cwd = tempDir(t);
  const run = createRunDirectory(path.join(cwd, 'runs'), { config: presetConfig(), name: 'x' });
  // A file where the export's output folder should be: mkdir fails with EEXIST, which no command expects.
  fs.writeFileSync(path.join(cwd, 'taken'), 'x');
  const r = await cli(['export', 'tensorboard', run.id, '--out', 'taken'], { cwd });
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0]!,
    /^gpaco export: EEXIST: file already exists, mkdir .*taken.* \(run folder .*runs\/[^ ]+; trace in its trainer\.log\)$/,
  );
  assert.ok(lines[0]!.includes(run.dir), lines[0]);
  const log = fs.readFileSync(runPaths(run.dir).log, 'utf8');
  assert.match(log, /gpaco export failed:\nError: EEXIST: file already exists/);
  assert.match(log, /\n\s+at /, 'the stack trace is in trainer.log');
});
