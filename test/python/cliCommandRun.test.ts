// `gpaco train --config experiments/pytorch-example.gpaco.json`: the CLI starts the PyTorch
// example (a command trainer) with real PyTorch, follows it from the run folder, and records
// its end; Ctrl-C reaches the script's stop_requested(); a missing program fails at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readAllMetrics } from '../../src/core/metricsLog';
import { listEvalTags, readEvalFile, readRunManifest, runPaths } from '../../src/core/runDirectory';
import { buildRunSnapshot } from '../../src/core/snapshot';
import { findPython } from '../../test/shared/python';
import { cli, repoRoot, startCli, waitFor } from '../unit/cli/harness';
import { tempDir } from '../../test/shared/tmp';

const CONFIG = path.join(repoRoot, 'experiments', 'pytorch-example.gpaco.json');

/** The example, small: synthetic data, a narrow net; this machine's Python with torch. */
function exampleArgs(runs: string, epochs: number): string[] {
  return [
    'train',
    '--config',
    CONFIG,
    '--runs-dir',
    runs,
    '--set',
    `trainer.argv=${JSON.stringify([findPython(), 'examples/pytorch/train.py', '--threads', '1'])}`,
    '--set',
    'data.kind=synthetic',
    '--set',
    'data.maxPerClass=150',
    '--set',
    'data.testPerClass=40',
    '--set',
    'model.width=8',
    '--set',
    `optim.epochs=${epochs}`,
    '--set',
    'optim.warmupEpochs=0',
  ];
}

function onlyRun(runs: string): string {
  const ids = fs.readdirSync(runs);
  assert.equal(ids.length, 1, ids.join(', '));
  return path.join(runs, ids[0]!);
}

test('gpaco train --config runs the PyTorch example for 2 epochs; the dashboard numbers are its eval files', async (t) => {
  const cwd = tempDir(t);
  const runs = path.join(cwd, 'runs');
  const r = await cli(exampleArgs(runs, 2), { cwd });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^ {2}command \S*python3? examples\/pytorch\/train\.py --threads 1$/m);
  assert.match(r.stdout, /^completed 2\/2 epochs$/m);
  assert.doesNotMatch(r.stdout, /gpaco resume/);
  const dir = onlyRun(runs);
  const m = readRunManifest(dir);
  assert.equal(m.status, 'completed');
  assert.equal(m.exitCode, 0);
  assert.match(m.backend ?? '', /^pytorch-(cpu|cuda)$/);
  assert.deepEqual(m.progress.epoch, 2);
  assert.match(fs.readFileSync(runPaths(dir).log, 'utf8'), /epoch 2\/2 {2}loss/);
  assert.deepEqual(listEvalTags(dir), ['epoch-0001', 'epoch-0002']);
  const last = readEvalFile(dir, 'epoch-0002');
  const snap = buildRunSnapshot(dir);
  assert.deepEqual(snap.warnings, []);
  assert.equal(snap.selectedTag, 'epoch-0002');
  assert.deepEqual(
    [snap.evals.top1.at(-1), snap.evals.many.at(-1), snap.evals.medium.at(-1), snap.evals.few.at(-1)],
    [last.top1, last.groupAccuracy.many, last.groupAccuracy.medium, last.groupAccuracy.few],
  );
  assert.equal(snap.selected?.top1, last.top1);
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  assert.match(r.stdout, new RegExp(`top-1 ${pct(last.top1).replace('.', '\\.')}`));
  assert.equal(snap.checkpoints.filter((c) => c.hasCheckpoint).length, 2);
});

test('Ctrl-C reaches the PyTorch script through its process group: it finishes the epoch and the run is stopped', async (t) => {
  const cwd = tempDir(t);
  const runs = path.join(cwd, 'runs');
  const run = startCli(exampleArgs(runs, 500), { cwd });
  t.after(() => run.child.kill('SIGKILL'));
  const dir = await waitFor(
    () => {
      const ids = fs.existsSync(runs) ? fs.readdirSync(runs) : [];
      const d = ids[0] && path.join(runs, ids[0]);
      return d && fs.existsSync(runPaths(d).metrics) && readAllMetrics(runPaths(d).metrics).some((rec) => rec.kind === 'step')
        ? d
        : undefined;
    },
    120_000,
    'the example to take its first step',
  );
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const m = readRunManifest(dir);
  assert.equal(m.status, 'stopped');
  assert.ok(m.progress.epoch >= 1 && m.progress.epoch < 500, `stopped early (epoch ${m.progress.epoch})`);
  assert.match(r.stdout, new RegExp(`^stopped at epoch ${m.progress.epoch}/500$`, 'm'));
  assert.match(fs.readFileSync(runPaths(dir).log, 'utf8'), /stop requested: stopping after epoch \d+/);
});

test('a command that does not exist fails the run at once: cannot start ARGV[0]: ENOENT', async (t) => {
  const cwd = tempDir(t);
  const runs = path.join(cwd, 'runs');
  const r = await cli(['train', '--config', CONFIG, '--runs-dir', runs, '--set', 'trainer.argv=["gpaco-no-such-python","train.py"]'], {
    cwd,
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^run failed: cannot start gpaco-no-such-python: ENOENT$/m);
  const m = readRunManifest(onlyRun(runs));
  assert.equal(m.status, 'failed');
  assert.equal(m.error?.message, 'cannot start gpaco-no-such-python: ENOENT');
});
