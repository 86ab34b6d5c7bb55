// A workspace that already has runs (test/shared/fixtureRuns.ts statusFixtureSpecs): the
// extension activates by itself (workspaceContains), lists them with the right labels, icons,
// descriptions and children, follows appended metrics, and opens logs, dashboards and diffs.
/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GpacoApi } from '../../../src/extension/api';
import type { CommandResult } from '../../../src/extension/extension';
import { percent } from '../../../src/extension/model/presentation';
import { appendMetric, fixtureEvalFigures, statusFixtureSpecs, writeFixtureRun } from '../../../test/shared/fixtureRuns';
import { extension, waitFor, workspaceDir } from '../helpers';

let gpaco: GpacoApi;
const root = () => path.join(workspaceDir(), 'runs');

suite('a workspace with runs', () => {
  test('activates by itself (workspaceContains runs/*/run.json)', async () => {
    await waitFor('activation without being asked', () => extension().isActive, 30_000, 50);
    gpaco = extension().exports;
    await waitFor('the fixture runs', () => gpaco.treeRoots().length === statusFixtureSpecs().length);
  });

  test('lists every run newest first with its status icon, description and context', () => {
    const items = gpaco.treeRoots();
    assert.deepEqual(
      items.map((i) => i.label),
      ['queued run', 'interrupted run', 'stopped run', 'failed run', 'completed run'],
    );
    const by = (label: string) => items.find((i) => i.label === label)!;
    const completed = statusFixtureSpecs()[0]!;
    const fig = fixtureEvalFigures(completed, 10);
    assert.equal(by('completed run').description, `epoch 10/10 · top-1 ${percent(fig.top1)} · few ${percent(fig.few)}`);
    assert.equal(by('completed run').icon, 'pass');
    assert.equal(by('completed run').contextValue, 'run:completed:ckpt');
    assert.equal(by('failed run').icon, 'error');
    assert.match(by('failed run').tooltip, /out of memory/);
    assert.match(by('stopped run').description, /^epoch 4\/10 · .* · stopped$/);
    // A `running` run whose pid is dead is interrupted, and resumable.
    assert.equal(by('interrupted run').icon, 'warning');
    assert.equal(by('interrupted run').contextValue, 'run:interrupted:ckpt');
    assert.match(by('interrupted run').description, /interrupted$/);
    assert.equal(by('queued run').icon, 'clock');
    assert.equal(by('queued run').contextValue, 'run:queued');
    assert.match(by('completed run').tooltip, /synthetic \(10 classes\)/);
    assert.match(by('completed run').tooltip, /backend: cpu/);
  });

  test('checkpoints are children with their evaluation summary, newest first', () => {
    const spec = statusFixtureSpecs()[0]!;
    const kids = gpaco.treeChildren('fx-completed');
    assert.deepEqual(
      kids.map((k) => k.label),
      ['epoch-0010', 'epoch-0008', 'epoch-0006', 'epoch-0004', 'epoch-0002'],
    );
    const f = fixtureEvalFigures(spec, 8);
    assert.equal(
      kids[1]!.description.startsWith(
        `epoch 8 · top-1 ${percent(f.top1)} · many ${percent(f.many)} · medium ${percent(f.medium)} · few ${percent(f.few)}`,
      ),
      true,
    );
    assert.equal(kids[0]!.contextValue, 'checkpoint');
    assert.deepEqual(gpaco.treeChildren('fx-queued'), []);
  });

  test('an appended metrics line shows up in the tree item', async () => {
    const dir = path.join(root(), 'fx-stopped');
    appendMetric(dir, {
      kind: 'epoch',
      epoch: 5,
      loss: 0.5,
      accuracy: 0.5,
      lr: 0.01,
      seconds: 1,
      imagesPerSecond: 1,
      time: new Date().toISOString(),
    });
    appendMetric(dir, {
      kind: 'eval',
      epoch: 5,
      tag: 'epoch-0005',
      top1: 0.777,
      top5: 0.9,
      many: 0.8,
      medium: 0.7,
      few: 0.654,
      file: 'evals/epoch-0005.json',
      time: new Date().toISOString(),
    });
    await waitFor('the new figures', () => gpaco.treeItem('fx-stopped')?.description === 'epoch 5/10 · top-1 77.7% · few 65.4% · stopped');
  });

  test('a run created outside the editor appears; a removed one disappears', async () => {
    writeFixtureRun(root(), { id: 'fx-external', name: 'external run', status: 'completed', order: 50 });
    await waitFor('the external run', () => gpaco.treeRoots()[0]?.label === 'external run');
    fs.rmSync(path.join(root(), 'fx-external'), { recursive: true });
    await waitFor('the external run gone', () => gpaco.treeItem('fx-external') === undefined);
  });

  test('show log opens trainer.log; open dashboard and compare open their panels', async () => {
    let r = await vscode.commands.executeCommand<CommandResult>('gpaco.showLog', 'fx-completed');
    assert.ok(r.ok);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, path.join(root(), 'fx-completed', 'trainer.log'));
    r = await vscode.commands.executeCommand<CommandResult>('gpaco.openDashboard', 'fx-completed');
    assert.ok(r.ok);
    r = await vscode.commands.executeCommand<CommandResult>('gpaco.compareRuns', ['fx-completed', 'fx-stopped']);
    assert.ok(r.ok);
    const tab = await waitFor('a compare tab', () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputTextDiff || t.input instanceof vscode.TabInputWebview),
    );
    assert.ok(tab);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('a run can be deleted (confirmation waived), the others stay', async () => {
    const r = await vscode.commands.executeCommand<CommandResult>('gpaco.deleteRun', 'fx-failed', { confirm: false });
    assert.ok(r.ok);
    assert.equal(fs.existsSync(path.join(root(), 'fx-failed')), false);
    assert.equal(gpaco.treeItem('fx-failed'), undefined);
    assert.ok(gpaco.treeItem('fx-completed'));
  });
});
