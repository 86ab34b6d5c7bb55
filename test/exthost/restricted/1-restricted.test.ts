// Restricted Mode (workspace trust on, folder not trusted): runs are listed read-only, and
// every command that would run code says why it refuses.
/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NewRunResult } from '../../../src/extension/commands/newRun';
import type { CommandResult } from '../../../src/extension/extension';
import { api, waitFor, workspaceDir } from '../helpers';

suite('restricted mode', () => {
  test('the workspace is untrusted and the extension still lists its runs', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    const gpaco = await api();
    await waitFor('runs listed', () => gpaco.treeRoots().length === 2);
    assert.match(gpaco.viewMessage(), /Restricted Mode/);
  });

  test('new run, resume, evaluate and delete are refused with the reason; nothing is written', async () => {
    const gpaco = await api();
    const before = fs.readdirSync(path.join(workspaceDir(), 'runs')).sort();
    const r = await vscode.commands.executeCommand<NewRunResult>('gpaco.newRun', { preset: 'synthetic-lt', name: 'nope' });
    assert.ok(!r.ok && r.reason === 'untrusted');
    assert.match(r.errors[0]!, /Restricted Mode/);
    assert.match(r.errors[0]!, /run code/);
    for (const [cmd, arg] of [
      ['gpaco.resumeRun', 'fx-failed'],
      ['gpaco.evaluateCheckpoint', 'fx-completed'],
      ['gpaco.deleteRun', 'fx-completed'],
    ] as const) {
      const res = await vscode.commands.executeCommand<CommandResult>(cmd, arg, { confirm: false, tag: 'epoch-0002' });
      assert.ok(!res.ok && res.reason === 'untrusted', `${cmd}: ${JSON.stringify(res)}`);
    }
    assert.deepEqual(fs.readdirSync(path.join(workspaceDir(), 'runs')).sort(), before);
    assert.equal(fs.existsSync(path.join(workspaceDir(), 'experiments')), false);
    assert.ok(gpaco.notifications().some((n) => n.message.includes('Restricted Mode')));
  });

  test('a command run (trainer.kind "command") from a workspace config is refused: the command never starts', async () => {
    const marker = path.join(workspaceDir(), '..', `gpaco-restricted-command-${process.pid}`);
    const config = path.join(workspaceDir(), 'evil.gpaco.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        trainer: { kind: 'command', argv: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')`] },
      }),
    );
    try {
      const before = fs.readdirSync(path.join(workspaceDir(), 'runs')).sort();
      const r = await vscode.commands.executeCommand<NewRunResult>('gpaco.newRun', { configPath: config, name: 'evil' });
      assert.ok(!r.ok && r.reason === 'untrusted', JSON.stringify(r));
      const viaUri = await vscode.commands.executeCommand<NewRunResult>('gpaco.startRun', vscode.Uri.file(config));
      assert.ok(!viaUri.ok && viaUri.reason === 'untrusted', JSON.stringify(viaUri));
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(fs.existsSync(marker), false, 'the command ran');
      assert.deepEqual(fs.readdirSync(path.join(workspaceDir(), 'runs')).sort(), before);
    } finally {
      fs.rmSync(config, { force: true });
      fs.rmSync(marker, { force: true });
    }
  });

  test('gpaco.nodePath and gpaco.nativeModulesPath are machine-scoped (never read from the workspace)', () => {
    // The runner wrote both into this workspace's .vscode/settings.json; VS Code ignores them.
    const cfg = vscode.workspace.getConfiguration('gpaco');
    assert.match(fs.readFileSync(path.join(workspaceDir(), '.vscode', 'settings.json'), 'utf8'), /evil/);
    assert.equal(cfg.get('nodePath'), '');
    assert.equal(cfg.get('nativeModulesPath'), '');
    const pkg = vscode.extensions.getExtension('gpaco-lab.gpaco-lab')!.packageJSON as {
      contributes: { configuration: { properties: Record<string, { scope: string }> } };
    };
    assert.equal(pkg.contributes.configuration.properties['gpaco.nodePath']!.scope, 'machine');
    assert.equal(pkg.contributes.configuration.properties['gpaco.nativeModulesPath']!.scope, 'machine');
  });
});
