// A real tiny training run of dist/trainer.js, and every file of the run-directory contract it
// leaves behind; then `eval --checkpoint` reproduces the training-time evaluation exactly (the
// reloaded checkpoint predicts what the network predicted before saving).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_SCHEMA, EVAL_SCHEMA, type CheckpointIndex, type ClassesFile, type EvalFile, type RunManifest } from '../../src/core/contract';
import { decodePredictions, denseFromSparse, sparseConfusionOf } from '../../src/core/evalEncoding';
import { assignShotGroups } from '../../src/core/evalMath';
import { longTailCounts } from '../../src/core/longTail';
import { parseMetricRecord } from '../../src/core/metricsLog';
import { runPaths } from '../../src/core/runDirectory';
import { TRAINER_NODE_FLAGS } from '../../src/core/trainerFlags';
import type { CheckpointManifest } from '../../src/trainer/checkpoint';
import { makeRun, metrics, readJson, runTrainer, tinyConfig } from './harness';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

test('a tiny run writes every file of the contract, and eval --checkpoint reproduces its evaluation', async (t) => {
  const config = tinyConfig();
  const dir = makeRun(t, config);
  const p = runPaths(dir);
  const configBefore = fs.readFileSync(p.config, 'utf8');
  const exit = await runTrainer(['run', dir]);
  assert.equal(exit.code, 0, exit.log);

  // run.json
  const run = readJson<RunManifest>(p.run);
  assert.equal(run.schema, RUN_SCHEMA);
  assert.equal(run.status, 'completed');
  assert.equal(run.exitCode, 0);
  assert.equal(run.error, null);
  assert.equal(run.backend, 'wasm');
  assert.equal(run.backendInfo?.name, 'wasm');
  assert.match(run.backendInfo?.detail ?? '', /^wasm \(/);
  assert.ok(typeof run.pid === 'number' && run.pid > 0);
  assert.ok(run.host.length > 0);
  assert.match(run.startedAt ?? '', ISO);
  assert.match(run.endedAt ?? '', ISO);
  assert.ok(run.endedAt! >= run.startedAt!);
  assert.equal(run.progress.epoch, 3);
  assert.equal(run.progress.epochs, 3);
  assert.deepEqual(run.config, config);

  // config.json is never rewritten
  assert.equal(fs.readFileSync(p.config, 'utf8'), configBefore);

  // classes.json
  const classes = readJson<ClassesFile>(p.classes);
  const trainCounts = longTailCounts(48, 12, 4);
  assert.equal(classes.names.length, 4);
  assert.deepEqual(classes.trainCounts, trainCounts);
  assert.deepEqual(classes.testCounts, [8, 8, 8, 8]);
  assert.deepEqual(classes.groups.rule, { kind: 'shots', many: 30, few: 8 });
  assert.deepEqual(classes.groups.assignment, assignShotGroups(trainCounts, { kind: 'shots', many: 30, few: 8 }));
  assert.deepEqual(new Set(classes.groups.assignment), new Set(['many', 'medium', 'few']));

  // metrics.jsonl: every line one valid record; epochs 1..3 once each; evals at 2 and 3
  const lines = fs.readFileSync(p.metrics, 'utf8').split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  const records = lines.map((l) => parseMetricRecord(JSON.parse(l)));
  assert.ok(
    records.every((r) => r !== undefined),
    'every line parses as a record',
  );
  const recs = records;
  assert.ok(recs.every((r) => ISO.test(r.time)));
  assert.deepEqual(
    recs.filter((r) => r.kind === 'epoch').map((r) => r.epoch),
    [1, 2, 3],
  );
  const steps = recs.filter((r) => r.kind === 'step');
  assert.ok(steps.length > 0);
  for (const s of steps) assert.ok(s.kind === 'step' && Number.isFinite(s.loss) && s.lr > 0 && s.step > 0);
  assert.deepEqual(
    steps.map((s) => s.step),
    [...steps.map((s) => s.step)].sort((a, b) => a - b),
    'steps increase',
  );
  for (const r of recs) {
    if (r.kind !== 'epoch') continue;
    const { accuracy, seconds, imagesPerSecond, lr } = r;
    assert.ok(accuracy !== null && seconds !== null && imagesPerSecond !== null && lr !== null, 'our trainer records every epoch field');
    assert.ok(r.loss > 0 && accuracy >= 0 && accuracy <= 1 && seconds > 0 && imagesPerSecond > 0 && lr > 0);
  }
  const evals = recs.filter((r) => r.kind === 'eval');
  assert.deepEqual(
    evals.map((r) => r.kind === 'eval' && r.tag),
    ['epoch-0002', 'epoch-0003'],
  );
  assert.deepEqual(
    recs.filter((r) => r.kind === 'checkpoint').map((r) => r.epoch),
    [1, 2, 3],
  );
  assert.ok(recs.some((r) => r.kind === 'event' && /backend wasm/.test(r.message)));
  assert.ok(recs.some((r) => r.kind === 'event' && r.message === 'completed'));

  // evals/<tag>.json
  for (const er of evals) {
    if (er.kind !== 'eval') continue;
    const ev = readJson<EvalFile>(path.join(dir, er.file ?? 'missing-eval-file'));
    assert.equal(ev.schema, EVAL_SCHEMA);
    assert.equal(ev.tag, er.tag);
    assert.equal(ev.epoch, er.epoch);
    assert.equal(ev.n, 32);
    assert.equal(ev.confusion.layout, 'sparse');
    const dense = denseFromSparse(ev.confusion);
    assert.equal(dense.length, 4);
    assert.deepEqual(
      dense.map((row) => row.reduce((a, b) => a + b, 0)),
      [8, 8, 8, 8],
    );
    const diag = dense.reduce((s, row, i) => s + row[i]!, 0);
    assert.equal(ev.top1, diag / 32);
    assert.equal(er.top1, ev.top1);
    assert.deepEqual(
      ev.perClassAccuracy,
      dense.map((row, i) => row[i]! / 8),
    );
    // The per-image predictions are the confusion matrix, image by image, in test-set order.
    const pred = decodePredictions(ev.predictions!, 4);
    assert.equal(pred.n, 32);
    assert.deepEqual(sparseConfusionOf(pred.true, pred.top1, 4), ev.confusion);
    assert.equal(ev.predictions!.true.length, Math.ceil((32 * 2) / 3) * 4, 'two bytes an image, base64');
    assert.ok(ev.top5 >= ev.top1);
    assert.deepEqual(Object.keys(ev.groupAccuracy).sort(), ['few', 'many', 'medium']);
    assert.equal(er.many, ev.groupAccuracy.many);
  }

  // checkpoints/index.json and the folders: latest (3) on the grid, keep-last 2 of {2, 3}, best flagged once
  const index = readJson<CheckpointIndex>(p.checkpointIndex);
  assert.deepEqual(
    index.checkpoints.map((c) => c.tag),
    ['epoch-0002', 'epoch-0003'],
  );
  assert.equal(index.checkpoints.filter((c) => c.best).length, 1);
  const best = index.checkpoints.reduce((a, b) => (b.top1! > a.top1! ? b : a));
  assert.ok(best.best);
  const folders = fs
    .readdirSync(p.checkpoints)
    .filter((f) => !f.endsWith('.json'))
    .sort();
  assert.deepEqual(folders, ['epoch-0002', 'epoch-0003'], 'epoch 1 was pruned');
  for (const c of index.checkpoints) {
    const m = readJson<CheckpointManifest>(path.join(dir, c.path, 'manifest.json'));
    assert.equal(m.tag, c.tag);
    assert.equal(m.epoch, c.epoch);
    assert.equal(m.step, c.step);
    assert.equal(fs.statSync(path.join(dir, c.path, m.weightsFile)).size, m.bytes);
    assert.ok(m.tensors.some((e) => e.name.startsWith('net/')) && m.tensors.some((e) => e.name.startsWith('opt/net/')));
    assert.ok(
      m.tensors.some((e) => /runningMean/.test(e.name)),
      'BN statistics are saved',
    );
    assert.equal(m.trainer.rng.shuffle.length, 4);
    assert.equal(c.top1, readJson<EvalFile>(p.evalFile(c.tag)).top1);
  }

  // trainer.log: the banner
  assert.match(exit.log, new RegExp(`node v\\d+\\S*, flags: ${TRAINER_NODE_FLAGS.join(' ')}\n`));
  assert.match(exit.log, /backend order \(auto\): tensorflow-gpu -> webgpu -> tensorflow -> wasm/);
  assert.match(exit.log, /tensorflow-gpu: skipped, @tensorflow\/tfjs-node-gpu is not installed/);
  assert.match(exit.log, /data: synthetic \(4 classes, 12x12x1/);
  assert.match(exit.log, /model: convnet \([\d,]+ parameters/);

  // eval --checkpoint: the reloaded weights give the very same confusion matrix
  const trained = readJson<EvalFile>(p.evalFile('epoch-0003'));
  fs.rmSync(p.evalFile('epoch-0003'));
  const ev = await runTrainer(['eval', dir, '--checkpoint', 'epoch-0003']);
  assert.equal(ev.code, 0, ev.log);
  const again = readJson<EvalFile>(p.evalFile('epoch-0003'));
  assert.deepEqual(again.confusion, trained.confusion);
  assert.deepEqual(again.predictions, trained.predictions);
  assert.equal(again.top1, trained.top1);
  assert.equal(again.checkpoint, 'epoch-0003');
  assert.equal(metrics(dir).filter((r) => r.kind === 'eval' && r.tag === 'epoch-0003').length, 2);
  assert.equal(readJson<RunManifest>(p.run).status, 'completed', 'eval does not touch the run status');
  const missing = await runTrainer(['eval', dir, '--checkpoint', 'epoch-0042']);
  assert.equal(missing.code, 2);
  assert.match(missing.log, /checkpoint epoch-0042: cannot read/);
});
