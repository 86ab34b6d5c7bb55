// Launcher, queue, stop / resume, delete refusal and the status bar, driven through the real
// commands, with a stand-in trainer process (test/shared/trainers/standin-trainer.js) that follows
// the process side of the contract without TensorFlow.js (the real trainer: 4-trainer.test.ts).
/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GpacoApi } from '../../../src/extension/api';
import type { NewRunResult } from '../../../src/extension/commands/newRun';
import type { CommandResult } from '../../../src/extension/extension';
import { api, fixtureScript, readJson, setMachineSetting, useRunsDirectory, waitFor } from '../helpers';

let gpaco: GpacoApi;
const status = (dir: string) => gpaco.runs().find((v) => v.dir === dir)?.status;

async function newRun(name: string, epochs: number): Promise<{ runId: string; dir: string }> {
  const r = await vscode.commands.executeCommand<NewRunResult>('gpaco.newRun', {
    preset: 'synthetic-lt',
    name,
    overrides: [`optim.epochs=${epochs}`],
  });
  assert.ok(r.ok, JSON.stringify(r));
  return r;
}

suite('launching with the local launcher', () => {
  suiteSetup(async () => {
    gpaco = await api();
    gpaco.setTrainerScript(fixtureScript('standin-trainer.js'));
    await useRunsDirectory(gpaco, 'runs-launch');
    await setMachineSetting('maxConcurrentRuns', 1);
  });
  suiteTeardown(async () => {
    for (const v of gpaco.runs()) if (v.status === 'running') await vscode.commands.executeCommand('gpaco.stopRun', v.dir, { force: true });
    await setMachineSetting('maxConcurrentRuns', undefined);
  });

  test('at most gpaco.maxConcurrentRuns run; the rest wait queued and start in order', async () => {
    const a = await newRun('queue-a', 8);
    const b = await newRun('queue-b', 4);
    await waitFor('a running', () => status(a.dir) === 'running');
    assert.equal(status(b.dir), 'queued');
    assert.match(gpaco.treeItem(b.runId)!.description, /^queued/);
    const bar = await waitFor('status bar with a queued run', () =>
      gpaco.statusBar().text.includes('1 queued') ? gpaco.statusBar() : undefined,
    );
    assert.match(bar.text, /^\$\(sync~spin\) GPaCo \d+\/8/);
    await waitFor('a completed', () => status(a.dir) === 'completed', 30_000);
    await waitFor('b started after a', () => status(b.dir) === 'running' || status(b.dir) === 'completed');
    const ma = readJson<{ endedAt: string }>(path.join(a.dir, 'run.json'));
    const mb = readJson<{ startedAt: string }>(path.join(b.dir, 'run.json'));
    assert.ok(mb.startedAt >= ma.endedAt, `${mb.startedAt} < ${ma.endedAt}`);
    await waitFor('b completed', () => status(b.dir) === 'completed', 30_000);
    const done = await waitFor('completion notification', () => gpaco.notifications().find((n) => n.dir === a.dir && n.level === 'info'));
    assert.match(done.message, /completed: top-1/);
    assert.deepEqual(done.actions, ['Open Dashboard', 'Show Log']);
    assert.equal(gpaco.statusBar().visible, false);
  });

  test('the tree follows a running run live; a running run cannot be deleted; stop leaves a checkpoint and stopped; resume completes it', async () => {
    const r = await newRun('long', 400);
    await waitFor('running', () => status(r.dir) === 'running');
    const item = await waitFor('epoch 2 in the tree', () =>
      /^epoch ([2-9]|\d\d+)\/400 · top-1/.test(gpaco.treeItem(r.runId)?.description ?? '') ? gpaco.treeItem(r.runId) : undefined,
    );
    assert.equal(item.icon, 'sync~spin');
    assert.equal(item.contextValue.startsWith('run:running'), true);
    assert.match(gpaco.statusBar().text, /^\$\(sync~spin\) GPaCo \d+\/400 · \d+\.\d%$/);

    const del = await vscode.commands.executeCommand<CommandResult>('gpaco.deleteRun', r.runId, { confirm: false });
    assert.ok(!del.ok && del.reason === 'running');
    assert.ok(fs.existsSync(r.dir));

    const stop = await vscode.commands.executeCommand<CommandResult>('gpaco.stopRun', r.runId);
    assert.ok(stop.ok);
    await waitFor('stopped', () => status(r.dir) === 'stopped');
    const stoppedAt = readJson<{ progress: { epoch: number } }>(path.join(r.dir, 'run.json')).progress.epoch;
    const ckpts = await waitFor('a checkpoint', () => gpaco.treeChildren(r.runId).length > 0 && gpaco.treeChildren(r.runId));
    assert.equal(ckpts[0]!.label, `epoch-${String(stoppedAt).padStart(4, '0')}`);
    assert.match(gpaco.treeItem(r.runId)!.contextValue, /^run:stopped:ckpt$/);

    const resume = await vscode.commands.executeCommand<CommandResult>('gpaco.resumeRun', r.runId);
    assert.ok(resume.ok, JSON.stringify(resume));
    await waitFor('running again', () => status(r.dir) === 'running');
    await waitFor(`epoch past ${stoppedAt}`, () => (gpaco.runs().find((v) => v.dir === r.dir)?.epoch ?? 0) > stoppedAt);
    await vscode.commands.executeCommand('gpaco.stopRun', r.runId, { force: true });
    await waitFor('killed run no longer running', () => status(r.dir) !== 'running');
  });

  test('a stopped run can then be deleted (after confirmation is waived)', async () => {
    const r = await newRun('to-delete', 2);
    await waitFor('completed', () => status(r.dir) === 'completed', 30_000);
    const del = await vscode.commands.executeCommand<CommandResult>('gpaco.deleteRun', r.runId, { confirm: false });
    assert.ok(del.ok);
    assert.equal(fs.existsSync(r.dir), false);
    await waitFor('gone from the tree', () => gpaco.treeItem(r.runId) === undefined);
  });

  test('a running run whose process dies shows as interrupted and can be resumed', async () => {
    const r = await newRun('killed', 400);
    await waitFor('checkpointed', () => (gpaco.runs().find((v) => v.dir === r.dir)?.checkpoints.length ?? 0) > 0);
    const pid = readJson<{ pid: number }>(path.join(r.dir, 'run.json')).pid;
    process.kill(pid, 'SIGKILL');
    // The launcher sees its child die; a trainer of another window would be found by the liveness check.
    await waitFor('interrupted', () => status(r.dir) === 'interrupted');
    const item = gpaco.treeItem(r.runId)!;
    assert.equal(item.contextValue, 'run:interrupted:ckpt');
    assert.equal(item.icon, 'warning');
    const resume = await vscode.commands.executeCommand<CommandResult>('gpaco.resumeRun', r.runId);
    assert.ok(resume.ok);
    await waitFor('running again', () => status(r.dir) === 'running');
    await vscode.commands.executeCommand('gpaco.stopRun', r.runId);
    await waitFor('stopped', () => status(r.dir) === 'stopped');
  });
});
