// The real trainer (dist/trainer.js, TensorFlow.js in its own Node process), launched by the
// real commands: a tiny synthetic-lt run reaches completed; stop leaves a checkpoint and
// `stopped`; resume completes it; a checkpoint is evaluated; a run made by the CLI appears.
/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { TRAINER_NODE_FLAGS } from '../../../src/core/trainerFlags';
import type { GpacoApi } from '../../../src/extension/api';
import type { NewRunResult } from '../../../src/extension/commands/newRun';
import type { CommandResult } from '../../../src/extension/extension';
import { api, readJson, repoRoot, useRunsDirectory, waitFor, workspaceDir } from '../helpers';

let gpaco: GpacoApi;
const view = (dir: string) => gpaco.runs().find((v) => v.dir === dir);
/** A synthetic-lt run small enough to train in seconds on one core. */
const TINY = [
  'data.classes=4',
  'data.maxPerClass=24',
  'data.imbalanceFactor=4',
  'data.testPerClass=6',
  'data.imageSize=8',
  'model.width=4',
  'model.projectionDim=8',
  'optim.batchSize=16',
  'eval.every=1',
  'checkpoint.every=1',
  'backend=cpu',
];

suite('the real trainer', function () {
  this.timeout(240_000);

  suiteSetup(async () => {
    gpaco = await api();
    gpaco.setTrainerScript(path.join(repoRoot(), 'dist', 'trainer.js'));
    await useRunsDirectory(gpaco, 'runs-real');
  });
  suiteTeardown(async () => {
    for (const v of gpaco.runs()) if (v.status === 'running') await vscode.commands.executeCommand('gpaco.stopRun', v.dir, { force: true });
  });

  test('gpaco.newRun with the synthetic preset trains for real and the tree reaches completed', async () => {
    const r = await vscode.commands.executeCommand<NewRunResult>('gpaco.newRun', {
      preset: 'synthetic-lt',
      name: 'real-tiny',
      overrides: [...TINY, 'optim.epochs=2'],
    });
    assert.ok(r.ok, JSON.stringify(r));
    await waitFor('completed', () => view(r.dir)?.status === 'completed' || view(r.dir)?.status === 'failed', 200_000, 100);
    const v = view(r.dir)!;
    assert.equal(
      v.status,
      'completed',
      `${v.manifest?.error?.message}\n${fs.readFileSync(path.join(r.dir, 'trainer.log'), 'utf8').slice(-2000)}`,
    );
    const item = gpaco.treeItem(r.runId)!;
    assert.match(item.description, /^epoch 2\/2 · top-1 \d+\.\d% · few \d+\.\d%$/);
    assert.equal(item.icon, 'pass');
    const children = gpaco.treeChildren(r.runId);
    assert.ok(children.length >= 1);
    assert.match(children[0]!.description, /^epoch 2 · top-1 \d+\.\d%/);
    assert.ok(fs.existsSync(path.join(r.dir, 'evals', 'epoch-0002.json')));
    const log = fs.readFileSync(path.join(r.dir, 'trainer.log'), 'utf8');
    assert.match(log, new RegExp(`flags: ${TRAINER_NODE_FLAGS.join(' ')}\n`), 'the extension starts the trainer with its Node flags');
  });

  test('optim.workers from the New Run overrides reaches the trainer: two worker threads, two shards', async () => {
    const r = await vscode.commands.executeCommand<NewRunResult>('gpaco.newRun', {
      preset: 'synthetic-lt',
      name: 'real-workers',
      overrides: [...TINY, 'optim.epochs=1', 'optim.workers=2'],
    });
    assert.ok(r.ok, JSON.stringify(r));
    await waitFor('completed', () => view(r.dir)?.status === 'completed' || view(r.dir)?.status === 'failed', 200_000, 100);
    assert.equal(view(r.dir)!.status, 'completed', view(r.dir)!.manifest?.error?.message);
    // The batch of 16 split into two contiguous shards of 8, one per worker thread (docs/run-folder.md).
    const run = readJson<{ parallel?: { workers: number; shards: number; shardSize: number } }>(path.join(r.dir, 'run.json'));
    assert.deepEqual(run.parallel, { workers: 2, shards: 2, shardSize: 8 });
  });

  test('stop leaves a checkpoint and stopped; resume completes the run', async () => {
    const r = await vscode.commands.executeCommand<NewRunResult>('gpaco.newRun', {
      preset: 'synthetic-lt',
      name: 'real-stop',
      overrides: [...TINY, 'optim.epochs=40'],
    });
    assert.ok(r.ok, JSON.stringify(r));
    await waitFor('first epoch done', () => (view(r.dir)?.epoch ?? 0) >= 1 && view(r.dir)?.status === 'running', 200_000, 100);
    const stop = await vscode.commands.executeCommand<CommandResult>('gpaco.stopRun', r.runId);
    assert.ok(stop.ok);
    await waitFor('stopped', () => view(r.dir)?.status === 'stopped', 120_000, 100);
    const v = view(r.dir)!;
    assert.ok(v.checkpoints.length >= 1, 'no checkpoint after stop');
    const stoppedAt = v.checkpoints[v.checkpoints.length - 1]!.epoch;
    assert.ok(stoppedAt < 40);
    // Resume to completion: shorten the remaining work by finishing quickly (few epochs left is not
    // something resume can change), so stop/resume is exercised on a short run.
    const resume = await vscode.commands.executeCommand<CommandResult>('gpaco.resumeRun', r.runId);
    assert.ok(resume.ok, JSON.stringify(resume));
    await waitFor('running again', () => view(r.dir)?.status === 'running' || view(r.dir)?.status === 'completed', 60_000, 100);
    await waitFor('completed', () => view(r.dir)?.status === 'completed' || view(r.dir)?.status === 'failed', 220_000, 200);
    assert.equal(view(r.dir)!.status, 'completed', view(r.dir)!.manifest?.error?.message);
    assert.equal(view(r.dir)!.epoch, 40);
  });

  test('evaluating a checkpoint writes a new evals entry', async () => {
    const done = gpaco.runs().find((v) => v.status === 'completed' && v.checkpoints.length > 0 && v.root.endsWith('runs-real'))!;
    const tag = done.checkpoints[0]!.tag;
    const evalFile = path.join(done.dir, 'evals', `${tag}.json`);
    const before = fs.existsSync(evalFile) ? fs.statSync(evalFile).mtimeMs : 0;
    const r = await vscode.commands.executeCommand<CommandResult>('gpaco.evaluateCheckpoint', done.dir, { tag });
    assert.ok(r.ok, JSON.stringify(r));
    assert.ok(fs.statSync(evalFile).mtimeMs > before);
    assert.equal(readJson<{ tag: string }>(evalFile).tag, tag);
  });

  test('a run written by the CLI into the runs directory appears in the tree', async () => {
    const cli = path.join(repoRoot(), 'dist', 'cli.js');
    assert.ok(fs.existsSync(cli), 'dist/cli.js is not built');
    const root = path.join(workspaceDir(), 'runs-real');
    const args = [
      cli,
      'train',
      '--preset',
      'synthetic-lt',
      '--runs-dir',
      root,
      '--name',
      'from-cli',
      ...TINY.flatMap((s) => ['--set', s]),
      '--set',
      'optim.epochs=1',
    ];
    const child = execFile(process.execPath, args, { cwd: workspaceDir() });
    try {
      const item = await waitFor('the CLI run in the tree', () => gpaco.treeRoots().find((i) => i.label === 'from-cli'), 60_000, 50);
      assert.match(item.contextValue, /^run:(queued|running|completed)/);
      await waitFor(
        'the CLI run completed in the tree',
        () => gpaco.treeRoots().find((i) => i.label === 'from-cli' && i.icon === 'pass'),
        200_000,
        100,
      );
    } finally {
      child.kill('SIGINT');
    }
  });
});
