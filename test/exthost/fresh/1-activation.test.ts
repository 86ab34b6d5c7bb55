// Activation in a workspace without runs: lazy, light (no TensorFlow.js), an empty tree.
/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extension, figure, workspaceDir } from '../helpers';

suite('activation without runs', () => {
  test('is lazy: nothing activates the extension in a workspace without runs', () => {
    assert.equal(extension().isActive, false);
  });

  test('activates quickly, without TensorFlow.js, with an empty tree and no status bar item', async () => {
    const t0 = performance.now();
    const gpaco = await extension().activate();
    const wall = performance.now() - t0;
    figure('activation (extension.activate(), incl. loading the bundle)', `${wall.toFixed(1)} ms`);
    const b = gpaco.activationBreakdown;
    figure(
      'activation (our code: module evaluation + activate())',
      `${(b.moduleEvaluationMs + b.activateMs).toFixed(1)} ms (modules ${b.moduleEvaluationMs.toFixed(1)} ms, activate() ${b.activateMs.toFixed(1)} ms; extension host in between ${b.hostGapMs.toFixed(1)} ms)`,
    );
    assert.ok(gpaco.activationMs > 0 && gpaco.activationMs < wall + 1);
    // TensorFlow.js is neither bundled into the extension nor loaded into the host.
    const bundle = fs.readFileSync(path.join(extension().extensionPath, 'dist', 'extension.js'), 'utf8');
    assert.equal(bundle.includes('@tensorflow/tfjs'), false);
    assert.deepEqual(
      Object.keys(require.cache).filter((k) => k.includes('@tensorflow')),
      [],
    );
    assert.equal((globalThis as { tf?: unknown }).tf, undefined);
    assert.deepEqual(gpaco.roots(), [path.join(workspaceDir(), 'runs')]);
    assert.deepEqual(gpaco.treeRoots(), []);
    assert.equal(gpaco.statusBar().visible, false);
    // The runs directory does not exist yet: nothing is watched (and it is not created).
    assert.equal(fs.existsSync(path.join(workspaceDir(), 'runs')), false);
    assert.equal(gpaco.watchedRoots(), 0);
  });

  test('contributes the Runs view, its commands and the config schema', async () => {
    const pkg = extension().packageJSON as {
      contributes: { commands: { command: string }[]; views: Record<string, { id: string }[]>; jsonValidation: { url: string }[] };
      extensionKind: string[];
    };
    const ids = pkg.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(ids, [
      'gpaco.compareRuns',
      'gpaco.deleteRun',
      'gpaco.editNote',
      'gpaco.editTags',
      'gpaco.evaluateCheckpoint',
      'gpaco.newRun',
      'gpaco.newSweep',
      'gpaco.openDashboard',
      'gpaco.openExperiments',
      'gpaco.refresh',
      'gpaco.resumeRun',
      'gpaco.showLog',
      'gpaco.startRun',
      'gpaco.stopRun',
    ]);
    const vscode = await import('vscode');
    const registered = await vscode.commands.getCommands(true);
    for (const id of ids) assert.ok(registered.includes(id), `${id} is not registered`);
    assert.deepEqual(pkg.extensionKind, ['workspace']);
    assert.equal(pkg.contributes.views.gpaco?.[0]?.id, 'gpaco.runs');
  });
});
