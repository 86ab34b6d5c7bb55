// Bad input and faults: missing / unwritable runs directory, malformed run.json, a config with
// errors, a trainer that crashes on start, a Node that is missing, 200 runs.
/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NewRunResult } from '../../../src/extension/commands/newRun';
import type { GpacoApi } from '../../../src/extension/api';
import { writeFixtureRun, writeFixtureRuns, writeMalformedRun, type FixtureRunSpec } from '../../../test/shared/fixtureRuns';
import { api, figure, fixtureScript, setMachineSetting, useRunsDirectory, waitFor, workspaceDir } from '../helpers';

let gpaco: GpacoApi;
const TINY = ['optim.epochs=3'];

suite('faults', () => {
  suiteSetup(async () => {
    gpaco = await api();
    gpaco.setTrainerScript(fixtureScript('standin-trainer.js'));
  });
  suiteTeardown(async () => {
    await useRunsDirectory(gpaco, 'runs');
  });

  test('a runs directory that does not exist is created by the first run', async () => {
    const root = await useRunsDirectory(gpaco, 'not-yet/runs');
    assert.equal(fs.existsSync(root), false);
    const r = await vscode.commands.executeCommand<NewRunResult>('gpaco.newRun', { preset: 'synthetic-lt', name: 'first', noStart: true });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(path.dirname(r.dir), root);
    assert.ok(fs.existsSync(path.join(r.dir, 'run.json')));
    // The preset's config was written into the workspace, to be edited and versioned.
    assert.equal(r.configPath, path.join(workspaceDir(), 'experiments', 'synthetic-lt.json'));
    await waitFor('the new run in the tree', () => gpaco.treeItem(r.runId)?.label === 'first');
    assert.equal(gpaco.watchedRoots(), 1);
    // Runs made outside the editor now show up too (the root is watched).
    writeFixtureRun(root, { id: 'outside', status: 'completed', order: 99 });
    await waitFor('a run created outside the editor', () => gpaco.treeItem('outside'));
  });

  test('a runs directory that cannot be created gives a clear error and starts nothing', async () => {
    fs.writeFileSync(path.join(workspaceDir(), 'a-file'), 'not a folder');
    const root = await useRunsDirectory(gpaco, 'a-file/runs');
    const before = gpaco.notifications().length;
    const r = await vscode.commands.executeCommand<NewRunResult>('gpaco.newRun', { preset: 'synthetic-lt', overrides: TINY });
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.reason === 'runs-directory');
    assert.match(r.errors[0]!, new RegExp(`${root.replace(/[/.]/g, '\\$&')} cannot be created or written`));
    assert.match(r.errors[0]!, /gpaco\.runsDirectory/);
    assert.ok(
      gpaco
        .notifications()
        .slice(before)
        .some((n) => n.level === 'error' && n.message.includes(root)),
    );
  });

  test('a malformed run.json shows that run as unreadable and the others normally', async () => {
    const root = await useRunsDirectory(gpaco, 'runs-malformed');
    writeFixtureRuns(root, [
      { id: 'good-a', status: 'completed', order: 1 },
      { id: 'good-b', status: 'stopped', order: 2 },
    ]);
    writeMalformedRun(root, 'broken');
    await vscode.commands.executeCommand('gpaco.refresh');
    const broken = await waitFor('the broken run', () => gpaco.treeItem('broken'));
    assert.match(broken.description, /^unreadable: .*run\.json: not valid JSON/);
    assert.equal(broken.contextValue, 'run:unreadable');
    assert.match(broken.tooltip, /run\.json/);
    assert.match(gpaco.treeItem('good-a')!.description, /^epoch 10\/10 · top-1 \d+\.\d% · few \d+\.\d%$/);
    assert.match(gpaco.treeItem('good-b')!.description, /stopped$/);
  });

  test('a config with errors is refused with its field paths; nothing is created', async () => {
    const root = await useRunsDirectory(gpaco, 'runs-badconfig');
    const file = path.join(workspaceDir(), 'experiments', 'bad.gpaco.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{\n  "loss": { "kind": "gpaco", "alpha": -1 },\n  "optim": { "epochs": "ten" },\n  "bogus": true\n}\n');
    const r = await vscode.commands.executeCommand<NewRunResult>('gpaco.newRun', { configPath: file });
    assert.ok(!r.ok && r.reason === 'invalid-config', JSON.stringify(r));
    const text = r.errors.join('\n');
    assert.match(text, /loss\.alpha/);
    assert.match(text, /optim\.epochs/);
    assert.match(text, /bogus/);
    assert.match(text, /bad\.gpaco\.json:\d+:\d+/);
    assert.equal(fs.existsSync(root) ? fs.readdirSync(root).length : 0, 0);
  });

  test('a trainer that crashes on start marks the run failed, with its log one click away', async () => {
    await useRunsDirectory(gpaco, 'runs-crash');
    gpaco.setTrainerScript(fixtureScript('crash-trainer.js'));
    try {
      const r = await vscode.commands.executeCommand<NewRunResult>('gpaco.newRun', {
        preset: 'synthetic-lt',
        name: 'crashy',
        overrides: TINY,
      });
      assert.ok(r.ok, JSON.stringify(r));
      const item = await waitFor('the run to fail', () =>
        gpaco.treeItem(r.runId)?.contextValue === 'run:failed' ? gpaco.treeItem(r.runId) : undefined,
      );
      assert.equal(item.icon, 'error');
      assert.match(item.tooltip, /trainer exited with code 3/);
      const note = await waitFor('a failure notification', () => gpaco.notifications().find((n) => n.dir === r.dir && n.level === 'error'));
      assert.ok(note.actions.includes('Show Log'));
      await vscode.commands.executeCommand('gpaco.showLog', r.runId);
      const doc = await waitFor('the log editor', () => vscode.window.activeTextEditor?.document);
      assert.equal(doc.uri.fsPath, path.join(r.dir, 'trainer.log'));
      assert.match(doc.getText(), /simulated crash on start/);
    } finally {
      gpaco.setTrainerScript(fixtureScript('standin-trainer.js'));
    }
  });

  test('a missing Node gives an error pointing at gpaco.nodePath; the run stays queued', async () => {
    await useRunsDirectory(gpaco, 'runs-nonode');
    await setMachineSetting('nodePath', '/nonexistent/bin/node');
    try {
      const r = await vscode.commands.executeCommand<NewRunResult>('gpaco.newRun', {
        preset: 'synthetic-lt',
        name: 'nonode',
        overrides: TINY,
      });
      assert.ok(r.ok, JSON.stringify(r));
      const note = await waitFor('the Node error', () => gpaco.notifications().find((n) => n.message.includes('/nonexistent/bin/node')));
      assert.match(note.message, /was not found/);
      assert.match(note.message, /gpaco\.nodePath/);
      assert.deepEqual(note.actions, ['Open Setting']);
      assert.equal(gpaco.runs().find((v) => v.dir === r.dir)?.status, 'queued');
    } finally {
      await setMachineSetting('nodePath', undefined);
    }
  });

  test('200 runs: all listed, newest first, and the tree answers quickly', async () => {
    const specs: FixtureRunSpec[] = Array.from({ length: 200 }, (_, i) => ({
      id: `bulk-${String(i).padStart(3, '0')}`,
      status: i % 7 === 0 ? 'failed' : 'completed',
      order: i,
      epochs: 20,
      seed: i,
    }));
    const dir = path.join(workspaceDir(), 'runs-200');
    writeFixtureRuns(dir, specs);
    const t0 = performance.now();
    await useRunsDirectory(gpaco, 'runs-200');
    await waitFor('200 runs', () => gpaco.treeRoots().length === 200, 30_000, 10);
    const loaded = performance.now() - t0;
    const t1 = performance.now();
    const roots = gpaco.treeRoots();
    const children = gpaco.treeChildren('bulk-199');
    const listMs = performance.now() - t1;
    figure('200 runs: setting changed -> all 200 in the tree', `${loaded.toFixed(0)} ms`);
    figure('200 runs: all root items + one run\u2019s children built', `${listMs.toFixed(1)} ms`);
    assert.equal(roots[0]!.label, 'bulk-199');
    assert.equal(roots[199]!.label, 'bulk-000');
    assert.equal(children.length, 10);
  });
});
