// Faults of a real trainer process: exact resume after a stop mid-epoch (same weights as an
// uninterrupted run), SIGINT (finish the step, checkpoint, `stopped`, exit 0), SIGKILL mid-epoch
// (the last checkpoint loads; resume numbers epochs without gaps or repeats), a checkpoint folder
// without manifest, backends that fail to load, a bad config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CheckpointIndex, RunManifest } from '../../src/core/contract';
import { isProcessAlive } from '../../src/core/catalog';
import { runPaths } from '../../src/core/runDirectory';
import { epochNumbers, makeRun, metrics, readJson, runTrainer, startTrainer, tinyConfig, waitFor } from './harness';
import { tempDir } from '../../test/shared/tmp';
import { balancedLabels, writeIdxSet } from '../unit/data/writers';

const manifestOf = (dir: string) => readJson<RunManifest>(runPaths(dir).run);

test('stop mid-epoch, then resume: the same weights as the uninterrupted run, epochs 1..3 once each', async (t) => {
  const config = tinyConfig();
  const a = makeRun(t, config);
  const b = makeRun(t, config);
  const ra = await runTrainer(['run', a]);
  assert.equal(ra.code, 0, ra.log);
  // 81 training images / batch 16 = 5 steps per epoch: stop after step 7 = epoch 2, step 2
  const stopped = await runTrainer(['run', b], { GPACO_STOP_AFTER_STEPS: '7' });
  assert.equal(stopped.code, 0, stopped.log);
  assert.equal(manifestOf(b).status, 'stopped');
  const idx = readJson<CheckpointIndex>(runPaths(b).checkpointIndex);
  const latest = idx.checkpoints[idx.checkpoints.length - 1]!;
  assert.equal(latest.tag, 'epoch-0001-step-0000007');
  assert.equal(latest.epoch, 1);
  assert.deepEqual(epochNumbers(b), [1]);
  const resumed = await runTrainer(['run', b, '--resume']);
  assert.equal(resumed.code, 0, resumed.log);
  assert.match(resumed.log, /resumed from checkpoint epoch-0001-step-0000007 \(epoch 1, step 7\)/);
  assert.equal(manifestOf(b).status, 'completed');
  assert.deepEqual(epochNumbers(b), [1, 2, 3]);
  const wa = fs.readFileSync(path.join(a, 'checkpoints/epoch-0003/weights.bin'));
  const wb = fs.readFileSync(path.join(b, 'checkpoints/epoch-0003/weights.bin'));
  assert.ok(wa.equals(wb), 'weights, BN statistics and momentum buffers are bit-identical');
  assert.deepEqual(readJson(runPaths(a).evalFile('epoch-0003')), readJson(runPaths(b).evalFile('epoch-0003')));
  // the partial epoch's loss was carried over: the epoch records agree too
  const lossOf = (d: string) => metrics(d).flatMap((r) => (r.kind === 'epoch' ? [r.loss] : []));
  assert.deepEqual(
    lossOf(b).map((x) => x.toFixed(5)),
    lossOf(a).map((x) => x.toFixed(5)),
  );
  // the stop checkpoint was pruned once a later one existed
  assert.ok(!fs.existsSync(path.join(b, 'checkpoints', latest.tag)));
});

test('SIGINT: the step finishes, a checkpoint is written, status stopped, exit 0', async (t) => {
  const dir = makeRun(t, tinyConfig({ optim: { epochs: 200 } }));
  const { child, done } = startTrainer(['run', dir]);
  await waitFor('the first step record', () => fs.existsSync(runPaths(dir).metrics) && metrics(dir).some((r) => r.kind === 'step'));
  child.kill('SIGINT');
  const exit = await done;
  assert.equal(exit.code, 0, exit.log);
  assert.match(exit.log, /SIGINT: finishing the current step/);
  const run = manifestOf(dir);
  assert.equal(run.status, 'stopped');
  assert.equal(run.exitCode, 0);
  const idx = readJson<CheckpointIndex>(runPaths(dir).checkpointIndex);
  const last = idx.checkpoints[idx.checkpoints.length - 1]!;
  assert.ok(fs.existsSync(path.join(dir, last.path, 'manifest.json')));
  assert.ok(run.progress.epoch < 200);
  assert.ok(metrics(dir).some((r) => r.kind === 'event' && /^stopped; checkpoint /.test(r.message)));
});

test('SIGKILL mid-epoch: the last checkpoint loads and resume finishes without gaps or repeats; a folder without manifest is ignored', async (t) => {
  const dir = makeRun(t, tinyConfig({ data: { maxPerClass: 120 }, optim: { epochs: 4, batchSize: 8 } }));
  const { child, done } = startTrainer(['run', dir]);
  await waitFor('a step of epoch 2 after checkpoint 1', () => {
    if (!fs.existsSync(path.join(dir, 'checkpoints/epoch-0001/manifest.json'))) return false;
    return metrics(dir).some((r) => r.kind === 'step' && r.epoch === 2);
  });
  child.kill('SIGKILL');
  const exit = await done;
  assert.equal(exit.signal, 'SIGKILL');
  const run = manifestOf(dir);
  assert.equal(run.status, 'running', 'nobody could mark it');
  assert.equal(isProcessAlive(run.pid!), false);
  const before = epochNumbers(dir);
  assert.ok(before.length >= 1 && before.length < 4);
  // a checkpoint folder a kill left without its manifest must not be taken for one
  fs.mkdirSync(path.join(dir, 'checkpoints/epoch-0099'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'checkpoints/epoch-0099/weights.bin'), Buffer.alloc(64));
  const resumed = await runTrainer(['run', dir, '--resume']);
  assert.equal(resumed.code, 0, resumed.log);
  assert.match(resumed.log, /ignoring checkpoint folder epoch-0099: no manifest\.json/);
  // from the last epoch-end checkpoint (a kill between its manifest and its records is repaired)
  const from = /resumed from checkpoint epoch-(\d{4}) /.exec(resumed.log);
  assert.ok(from && [before.length, before.length + 1].includes(Number(from[1])), resumed.log);
  assert.deepEqual(epochNumbers(dir), [1, 2, 3, 4]);
  assert.equal(manifestOf(dir).status, 'completed');
  assert.equal(manifestOf(dir).progress.epoch, 4);
});

test('run refuses a run that has checkpoints unless --resume (exit 2)', async (t) => {
  const dir = makeRun(t, tinyConfig({ optim: { epochs: 1 } }));
  assert.equal((await runTrainer(['run', dir])).code, 0);
  const again = await runTrainer(['run', dir]);
  assert.equal(again.code, 2);
  assert.match(again.log, /already has checkpoints \(latest epoch-0001\); resume it with --resume/);
  // a folder that is not a run at all
  const notRun = path.join(path.dirname(dir), 'not-a-run');
  fs.mkdirSync(notRun);
  const bad = await runTrainer(['run', notRun]);
  assert.equal(bad.code, 2);
  assert.match(bad.log, /not-a-run\/run\.json: cannot read/);
});

test('a backend that fails to load: the next is tried and the reason logged; a named one that cannot load fails the run', async (t) => {
  const dir = makeRun(t, tinyConfig({ optim: { epochs: 1 } }));
  const exit = await runTrainer(['run', dir], { GPACO_FAIL_BACKENDS: 'wasm' });
  assert.equal(exit.code, 0, exit.log);
  assert.match(exit.log, /wasm: skipped, forced failure/);
  assert.equal(manifestOf(dir).backend, 'cpu');
  assert.ok(metrics(dir).some((r) => r.kind === 'event' && /skipped .*wasm \(forced failure/.test(r.message)));

  const named = makeRun(t, tinyConfig({ optim: { epochs: 1 } }));
  const failed = await runTrainer(['run', named, '--backend', 'tensorflow']);
  assert.equal(failed.code, 1);
  const run = manifestOf(named);
  assert.equal(run.status, 'failed');
  assert.equal(run.exitCode, 1);
  assert.match(
    run.error?.message ?? '',
    /backend "tensorflow" could not be loaded: tensorflow: skipped, @tensorflow\/tfjs-node is not installed/,
  );
  assert.ok(metrics(named).some((r) => r.kind === 'event' && r.level === 'error'));
});

test('an invalid config.json: exit 2, run marked failed with the field path', async (t) => {
  const dir = makeRun(t, tinyConfig());
  const cfg = readJson<Record<string, Record<string, unknown>>>(runPaths(dir).config);
  cfg.loss!.alpha = -1;
  fs.writeFileSync(runPaths(dir).config, JSON.stringify(cfg));
  const exit = await runTrainer(['run', dir]);
  assert.equal(exit.code, 2);
  const run = manifestOf(dir);
  assert.equal(run.status, 'failed');
  assert.match(run.error?.message ?? '', /loss\.alpha/);
  assert.ok(!fs.existsSync(runPaths(dir).checkpoints));
});

test('resume refuses when the training data changed under the run (split.json no longer matches)', async (t) => {
  const dataDir = tempDir(t, 'gpaco-data-');
  const labels = balancedLabels(10, 8); // MNIST has ten classes
  writeIdxSet(dataDir, { train: { labels }, test: { labels: balancedLabels(10, 2) }, gzip: false, rows: 12, cols: 12 });
  const config = tinyConfig({
    data: { kind: 'mnist', path: dataDir, maxPerClass: 8, imbalanceFactor: 4 },
    eval: { every: 1, manyThreshold: 6, fewThreshold: 3 },
  });
  const dir = makeRun(t, config);
  const stopped = await runTrainer(['run', dir], { GPACO_STOP_AFTER_STEPS: '2' });
  assert.equal(stopped.code, 0, stopped.log);
  assert.ok(fs.existsSync(path.join(dir, 'split.json')));
  const splitBefore = fs.readFileSync(path.join(dir, 'split.json'), 'utf8');
  // Same files, other labels: the same seed now picks other images.
  writeIdxSet(dataDir, {
    train: { labels: [...labels].reverse() },
    test: { labels: balancedLabels(10, 2) },
    gzip: false,
    rows: 12,
    cols: 12,
  });
  const resumed = await runTrainer(['run', dir, '--resume']);
  assert.equal(resumed.code, 2, resumed.log);
  assert.match(resumed.log, /training data changed since this run started/);
  assert.equal(fs.readFileSync(path.join(dir, 'split.json'), 'utf8'), splitBefore, 'the recorded split is kept');
  assert.equal(manifestOf(dir).status, 'failed');
  // With the original data back, the same run resumes and completes.
  writeIdxSet(dataDir, { train: { labels }, test: { labels: balancedLabels(10, 2) }, gzip: false, rows: 12, cols: 12 });
  const again = await runTrainer(['run', dir, '--resume']);
  assert.equal(again.code, 0, again.log);
  assert.equal(manifestOf(dir).status, 'completed');
});
