// gpaco train / resume / eval against test/shared/trainers/fake-trainer.js, a stand-in that speaks
// the run-directory contract: spawning without a shell, trainer.log, following the files,
// signal forwarding, and the exit code for each way a trainer can end. (End-to-end runs with
// the real trainer live in test/trainer/.)
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { listRuns } from '../../../src/core/catalog';
import { gpacoConfig } from '../../../src/core/contract';
import { readAllMetrics } from '../../../src/core/metricsLog';
import { readRunManifest, runPaths } from '../../../src/core/runDirectory';
import { TRAINER_NODE_FLAGS } from '../../../src/core/trainerFlags';
import { tempDir } from '../../../test/shared/tmp';
import { cli, fakeTrainer, startCli, waitFor } from './harness';

const fake = (mode: string) => ({ GPACO_TRAINER: fakeTrainer, FAKE_TRAINER_MODE: mode });
const quick = ['--preset', 'synthetic-lt', '--set', 'optim.epochs=4'];

function onlyRun(cwd: string): string {
  const runs = fs.readdirSync(path.join(cwd, 'runs'));
  assert.equal(runs.length, 1);
  return path.join(cwd, 'runs', runs[0]!);
}

test('train follows a run to completion: plain lines per epoch and eval, final accuracies, exit 0', async (t) => {
  const cwd = tempDir(t);
  const r = await cli(['train', ...quick, '--name', 'First Try'], { cwd, env: fake('complete') });
  assert.equal(r.code, 0, r.stderr);
  const dir = onlyRun(cwd);
  assert.match(path.basename(dir), /^\d{8}-\d{6}-first-try$/);
  const out = r.stdout;
  assert.match(out, /^run \d{8}-\d{6}-first-try$/m);
  for (let e = 1; e <= 4; e++) assert.match(out, new RegExp(`^epoch ${e}/4  loss `, 'm'));
  assert.equal(out.match(/^eval epoch-\d{4} /gm)?.length, 2, 'evals at epochs 2 and 4');
  assert.ok(!out.includes('\x1b['), 'no terminal control codes when stdout is not a terminal');
  assert.match(out, /^completed 4\/4 epochs$/m);
  assert.match(out, /^ {2}top-1 60\.0% {3}top-5 100\.0%$/m);
  assert.match(out, /^ {2}many 90\.0% \(1 class\) {3}medium 55\.0% \(2 classes\) {3}few 40\.0% \(1 class\)$/m);
  assert.ok(out.trimEnd().endsWith(`run directory: ${dir}`));
  const m = readRunManifest(dir);
  assert.equal(m.status, 'completed');
  assert.equal(m.name, 'First Try');
  assert.equal(gpacoConfig(m)?.optim.epochs, 4, 'the --set override reached config.json');
  assert.deepEqual(m.launch, { kind: 'local' });
  const flags = TRAINER_NODE_FLAGS.join(' ');
  assert.match(fs.readFileSync(runPaths(dir).log, 'utf8'), new RegExp(`flags: ${flags}\n`), 'the trainer runs with its Node flags');
  assert.deepEqual((JSON.parse(fs.readFileSync(runPaths(dir).config, 'utf8')) as { optim: { epochs: number } }).optim.epochs, 4);
});

test('a failing trainer: its error and log tail are printed, exit 1', async (t) => {
  const cwd = tempDir(t);
  const r = await cli(['train', ...quick], { cwd, env: fake('fail') });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /run failed: boom in the loss/);
  assert.match(r.stderr, /last lines of .*trainer\.log:\n(?: {2}.*\n)* {2}Error: boom in the loss/);
});

test('a trainer that exits without recording an outcome is marked failed, exit 1', async (t) => {
  const cwd = tempDir(t);
  const r = await cli(['train', ...quick], { cwd, env: fake('crash') });
  assert.equal(r.code, 1);
  const m = readRunManifest(onlyRun(cwd));
  assert.equal(m.status, 'failed');
  assert.equal(m.exitCode, 3);
  assert.match(m.error!.message, /exited with code 3 without recording an outcome/);
  assert.match(r.stderr, /RangeError: out of memory \(simulated\)/);
});

test('a trainer refusing its data exits 2 and so does the CLI', async (t) => {
  const cwd = tempDir(t);
  const r = await cli(['train', ...quick], { cwd, env: fake('bad-data') });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /run failed: data\.path: no IDX files/);
});

test('a trainer killed by SIGKILL leaves an interrupted run that resume finishes without gaps or repeats', async (t) => {
  const cwd = tempDir(t);
  const r = await cli(['train', ...quick, '--set', 'checkpoint.every=1'], { cwd, env: fake('kill-self') });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /the trainer was killed by SIGKILL during epoch 2\/4/);
  const dir = onlyRun(cwd);
  const id = path.basename(dir);
  assert.match(r.stderr, new RegExp(`continue from epoch-0001 with: gpaco resume ${id}`));
  assert.equal(readRunManifest(dir).status, 'running', 'run.json is left as the trainer wrote it');
  assert.equal(listRuns(path.join(cwd, 'runs'))[0]!.status, 'interrupted');
  const ls = await cli(['ls'], { cwd });
  assert.match(ls.stdout, new RegExp(`^${id} +synthetic-lt +interrupted +1/4`, 'm'));

  const resumed = await cli(['resume', id], { cwd, env: fake('complete') });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /resuming run .* \(interrupted\) from epoch-0001 \(epoch 1\/4\)/);
  assert.doesNotMatch(resumed.stdout, /^epoch 1\/4/m, 'records from before the resume are not printed again');
  assert.match(resumed.stdout, /^epoch 2\/4 /m);
  assert.match(resumed.stdout, /^completed 4\/4 epochs$/m);
  const epochs = readAllMetrics(runPaths(dir).metrics).flatMap((rec) => (rec.kind === 'epoch' ? [rec.epoch] : []));
  assert.deepEqual(epochs, [1, 2, 3, 4]);
  const again = await cli(['resume', id], { cwd, env: fake('complete') });
  assert.equal(again.code, 2);
  assert.match(again.stderr, /has already completed/);
});

test('SIGINT to the CLI is forwarded once; the trainer checkpoints and stops; exit 0', async (t) => {
  const cwd = tempDir(t);
  const run = startCli(['train', ...quick], { cwd, env: fake('wait-signal') });
  t.after(() => run.child.kill('SIGKILL'));
  const dir = await waitFor(
    () => {
      const runs = fs.existsSync(path.join(cwd, 'runs')) ? fs.readdirSync(path.join(cwd, 'runs')) : [];
      const d = runs[0] && path.join(cwd, 'runs', runs[0]);
      return d && fs.existsSync(path.join(d, 'ready')) ? d : undefined;
    },
    15000,
    'the trainer to finish its first epoch',
  );
  // Give the CLI a poll to show epoch 1 before stopping.
  await waitFor(() => /^epoch 1\/4 /m.test(run.stdout()), 5000, 'epoch 1 on stdout');
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    fs.readFileSync(path.join(dir, 'signals.txt'), 'utf8').trim().split('\n'),
    ['SIGINT'],
    'exactly one SIGINT reached the trainer',
  );
  assert.match(r.stdout, /SIGINT: asking the trainer to finish its step, save a checkpoint and stop/);
  assert.match(r.stdout, new RegExp(`stopped at epoch 1/4; continue with: gpaco resume ${path.basename(dir)}`));
  assert.equal(readRunManifest(dir).status, 'stopped');
});

test('train --detach returns at once and the run finishes on its own', async (t) => {
  const cwd = tempDir(t);
  const r = await cli(['train', ...quick, '--detach'], { cwd, env: fake('complete') });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /started in the background \(pid \d+\); watch it with: gpaco show /);
  const dir = onlyRun(cwd);
  await waitFor(() => readRunManifest(dir).status === 'completed', 15000, 'the detached run to complete');
});

test('eval runs the trainer on a checkpoint and prints the evaluation', async (t) => {
  const cwd = tempDir(t);
  assert.equal((await cli(['train', ...quick], { cwd, env: fake('complete') })).code, 0);
  const dir = onlyRun(cwd);
  fs.rmSync(runPaths(dir).evalFile('epoch-0002'));
  const r = await cli(['eval', path.basename(dir), '--checkpoint', 'epoch-0002'], { cwd, env: fake('complete') });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^evaluating .* at epoch-0002 \.\.\.$/m);
  assert.match(r.stdout, /^evaluation epoch-0002 \(epoch 2\):$/m);
  assert.match(r.stdout, /^ {2}many 90\.0% \(1 class\) {3}medium 55\.0% \(2 classes\) {3}few 20\.0% \(1 class\)$/m);
  assert.match(fs.readFileSync(runPaths(dir).log, 'utf8'), /evaluating epoch-0002/, 'the trainer output went to trainer.log');
  const latest = await cli(['eval', dir], { cwd: '/', env: fake('complete') });
  assert.equal(latest.code, 0, latest.stderr);
  assert.match(latest.stdout, /at epoch-0004/);
});
