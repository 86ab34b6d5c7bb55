import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  RunFileError,
  createRunDirectory,
  latestCheckpoint,
  listEvalTags,
  readCheckpointIndex,
  readClassesFile,
  readEvalFile,
  readRunConfig,
  readRunManifest,
  runPaths,
  slugify,
  updateRunManifest,
  writeCheckpointIndex,
  writeClassesFile,
  writeEvalFile,
} from '../../../src/core/runDirectory';
import { EVAL_SCHEMA } from '../../../src/core/contract';
import { sparseFromDense } from '../../../src/core/evalEncoding';
import { checkpointEntry, classesFile, evalFile, makeCheckpointFolder, presetConfig } from './fixtures';
import { tempDir } from '../../../test/shared/tmp';

const NOW = new Date(2025, 2, 4, 5, 6, 7); // local time 2025-03-04 05:06:07

test('createRunDirectory writes config.json and a queued run.json', (t) => {
  const root = path.join(tempDir(t), 'runs'); // created on demand
  const config = presetConfig();
  const { id, dir } = createRunDirectory(root, { config, name: 'My Run #1', now: NOW, launch: { kind: 'local' } });
  assert.equal(id, '20250304-050607-my-run-1');
  assert.equal(dir, path.join(root, id));
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')), config);
  const m = readRunManifest(dir);
  assert.equal(m.schema, 'gpaco-run/1');
  assert.equal(m.id, id);
  assert.equal(m.name, 'My Run #1');
  assert.equal(m.status, 'queued');
  assert.equal(m.pid, null);
  assert.equal(m.host, os.hostname());
  assert.equal(m.createdAt, NOW.toISOString());
  assert.deepEqual(m.progress, { epoch: 0, epochs: config.optim.epochs });
  assert.deepEqual(m.launch, { kind: 'local' });
  assert.deepEqual(m.config, config);
  assert.deepEqual(readRunConfig(dir), config);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['config.json', 'run.json']);
});

test('runs made in the same second get distinct ids; the name defaults to config.name', (t) => {
  const root = tempDir(t);
  const config = presetConfig();
  const a = createRunDirectory(root, { config, now: NOW });
  const b = createRunDirectory(root, { config, now: NOW });
  const c = createRunDirectory(root, { config, now: NOW });
  assert.equal(a.id, '20250304-050607-synthetic-lt');
  assert.equal(b.id, `${a.id}-2`);
  assert.equal(c.id, `${a.id}-3`);
  assert.equal(readRunManifest(a.dir).name, 'synthetic-lt');
});

test('an explicit id is used as is and never overwrites an existing run', (t) => {
  const root = tempDir(t);
  const config = presetConfig();
  const { id } = createRunDirectory(root, { config, id: 'sweep-a-001', sweepId: 'sweep-a' });
  assert.equal(id, 'sweep-a-001');
  assert.equal(readRunManifest(path.join(root, id)).sweepId, 'sweep-a');
  assert.throws(() => createRunDirectory(root, { config, id: 'sweep-a-001' }), /EEXIST/);
  assert.throws(() => createRunDirectory(root, { config, id: '../escape' }), /invalid run id/);
});

test('slugify keeps ids safe', () => {
  assert.equal(slugify('Ünïcode  GPaCo / α=0.01'), 'unicode-gpaco-0-01');
  assert.equal(slugify('***'), 'run');
  assert.ok(slugify('x'.repeat(100)).length <= 40);
});

test('updateRunManifest merges fields and progress and keeps unknown fields', (t) => {
  const { dir } = createRunDirectory(tempDir(t), { config: presetConfig(), now: NOW });
  const file = runPaths(dir).run;
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), futureField: 42 }));
  const m = updateRunManifest(dir, { status: 'running', pid: 1234, progress: { epoch: 3 } });
  assert.equal(m.status, 'running');
  assert.equal(m.pid, 1234);
  assert.equal(m.progress.epoch, 3);
  assert.equal(m.progress.epochs, 12);
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { futureField: unknown; progress: { epoch: unknown } };
  assert.equal(raw.futureField, 42);
  assert.equal(raw.progress.epoch, 3);
});

test('readRunManifest names the file and the field that is wrong', (t) => {
  const { dir } = createRunDirectory(tempDir(t), { config: presetConfig(), now: NOW });
  const file = runPaths(dir).run;
  const good = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(file, '{"schema": "gpaco-run/1", "id": ');
  assert.throws(
    () => readRunManifest(dir),
    (e: unknown) => e instanceof RunFileError && e.file === file && /not valid JSON/.test(e.message),
  );
  fs.writeFileSync(file, JSON.stringify({ ...good, status: 'exploded' }));
  assert.throws(() => readRunManifest(dir), /field "status" must be one of queued, running/);
  fs.writeFileSync(file, JSON.stringify({ ...good, progress: { epoch: 'x', epochs: 3 } }));
  assert.throws(() => readRunManifest(dir), /field "progress.epoch" must be a whole number/);
  fs.rmSync(file);
  assert.throws(() => readRunManifest(dir), /cannot read/);
});

test('classes.json round-trips; missing is undefined; inconsistent lengths are refused', (t) => {
  const { dir } = createRunDirectory(tempDir(t), { config: presetConfig(), now: NOW });
  assert.equal(readClassesFile(dir), undefined);
  const classes = classesFile([300, 50, 6], ['many', 'medium', 'few']);
  writeClassesFile(dir, classes);
  assert.deepEqual(readClassesFile(dir), classes);
  fs.writeFileSync(runPaths(dir).classes, JSON.stringify({ ...classes, trainCounts: [1, 2] }));
  assert.throws(() => readClassesFile(dir), /same length \(3\)/);
});

test('eval files round-trip and are listed in epoch order, temp files ignored', (t) => {
  const { dir } = createRunDirectory(tempDir(t), { config: presetConfig(), now: NOW });
  assert.deepEqual(listEvalTags(dir), []);
  const e10 = evalFile('epoch-0010', 10, [
    [3, 1],
    [0, 4],
  ]);
  writeEvalFile(dir, e10);
  writeEvalFile(
    dir,
    evalFile('epoch-0002', 2, [
      [1, 3],
      [2, 2],
    ]),
  );
  fs.writeFileSync(path.join(runPaths(dir).evals, '.epoch-0012.json.99.1.tmp'), '{');
  assert.deepEqual(listEvalTags(dir), ['epoch-0002', 'epoch-0010']);
  // A v1 file reads as the v2 in-memory form: same figures, sparse confusion.
  assert.deepEqual(readEvalFile(dir, 'epoch-0010'), { ...e10, schema: EVAL_SCHEMA, confusion: sparseFromDense(e10.confusion) });
  fs.writeFileSync(runPaths(dir).evalFile('epoch-0002'), JSON.stringify({ ...e10, confusion: [[1]] }));
  assert.throws(() => readEvalFile(dir, 'epoch-0002'), /confusion must be 2 x 2/);
});

test('the checkpoint index keeps only entries whose folder is complete', (t) => {
  const { dir } = createRunDirectory(tempDir(t), { config: presetConfig(), now: NOW });
  assert.deepEqual(readCheckpointIndex(dir), { checkpoints: [] });
  assert.equal(latestCheckpoint(dir), undefined);
  makeCheckpointFolder(dir, 'epoch-0002', true);
  makeCheckpointFolder(dir, 'epoch-0004', true);
  // Killed while writing epoch 6: its index entry exists but its manifest was never written.
  makeCheckpointFolder(dir, 'epoch-0006', false);
  // Killed after writing epoch 8's folder but before the index was updated: not listed.
  makeCheckpointFolder(dir, 'epoch-0008', true);
  writeCheckpointIndex(dir, {
    checkpoints: [
      checkpointEntry('epoch-0004', 4, { best: true }),
      checkpointEntry('epoch-0002', 2),
      checkpointEntry('epoch-0006', 6),
      checkpointEntry('epoch-0003', 3), // folder deleted by hand
      { ...checkpointEntry('evil', 9), path: '../../etc' },
    ],
  });
  const tags = readCheckpointIndex(dir).checkpoints.map((c) => c.tag);
  assert.deepEqual(tags, ['epoch-0002', 'epoch-0004']);
  assert.equal(latestCheckpoint(dir)?.tag, 'epoch-0004');
  assert.equal(latestCheckpoint(dir)?.best, true);
});

test('checkpoint index entries tolerate unknown and missing optional fields', (t) => {
  const { dir } = createRunDirectory(tempDir(t), { config: presetConfig(), now: NOW });
  makeCheckpointFolder(dir, 'epoch-0001', true);
  fs.mkdirSync(runPaths(dir).checkpoints, { recursive: true });
  fs.writeFileSync(
    runPaths(dir).checkpointIndex,
    JSON.stringify({ checkpoints: [{ tag: 'epoch-0001', epoch: 1, extra: true }, { nope: 1 }] }),
  );
  const [entry, ...rest] = readCheckpointIndex(dir).checkpoints;
  assert.equal(rest.length, 0);
  assert.equal(entry?.path, 'checkpoints/epoch-0001');
  assert.equal(entry?.top1, null);
  assert.equal(entry?.best, false);
  fs.writeFileSync(runPaths(dir).checkpointIndex, '{"checkpoints": 3}');
  assert.throws(() => readCheckpointIndex(dir), /"checkpoints" must be an array/);
});
