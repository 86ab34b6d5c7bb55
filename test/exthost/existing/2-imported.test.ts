// An imported run (gpaco import paco-log) in a real VS Code: it appears in the Runs view with
// its origin and without Resume / Evaluate menus, and every command that would train, resume or
// evaluate it refuses, saying where it came from, leaving its folder as it was.
/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { importPacoLog } from '../../../src/core/import/pacoLogImport';
import type { GpacoApi } from '../../../src/extension/api';
import type { CommandResult } from '../../../src/extension/extension';
import { generatePacoLog } from '../../unit/import/pacoLogGenerator';
import { extension, waitFor, workspaceDir } from '../helpers';

/** Every file of a folder with its bytes, to see that nothing was written. */
function snapshotFolder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out[path.relative(dir, path.join(e.parentPath, e.name))] = fs.readFileSync(path.join(e.parentPath, e.name), 'base64');
  }
  return out;
}

suite('an imported run', () => {
  let gpaco: GpacoApi;
  let dir: string;
  let log: string;

  suiteSetup(async () => {
    await waitFor('activation', () => extension().isActive, 30_000, 50);
    gpaco = extension().exports;
    const src = fs.mkdtempSync(path.join(workspaceDir(), 'imported-src-'));
    log = path.join(src, 'gpaco_r50.log');
    fs.writeFileSync(log, generatePacoLog({ script: 'lt', epochs: 5, batches: 100, printFreq: 50, testBatches: 10 }).text);
    fs.writeFileSync(path.join(src, 'moco_ckpt.pth.tar'), Buffer.alloc(64));
    dir = importPacoLog({ logFile: log, runsDir: path.join(workspaceDir(), 'runs'), name: 'imported run' }).dir;
  });

  suiteTeardown(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (log) fs.rmSync(path.dirname(log), { recursive: true, force: true });
  });

  test('shows in the Runs view with its origin, its external checkpoint and no Resume / Evaluate context', async () => {
    const id = path.basename(dir);
    const item = await waitFor('the imported run', () => gpaco.treeItem(id));
    assert.equal(item.contextValue, 'run:completed:imported');
    assert.match(item.tooltip, new RegExp(`imported from .*gpaco_r50\\.log \\(paco-log; read-only\\)`));
    const kids = gpaco.treeChildren(id);
    assert.deepEqual(
      kids.map((k) => [k.label, k.contextValue]),
      [['moco_ckpt.pth.tar', 'checkpoint:external']],
    );
    assert.match(kids[0]!.description, /external file, not evaluable here/);
  });

  test('Start, Resume and Evaluate refuse it with where it came from; nothing is written', async () => {
    const before = snapshotFolder(dir);
    const calls: [string, unknown[], RegExp][] = [
      ['gpaco.resumeRun', [dir], /cannot be resumed: it was imported from .*gpaco_r50\.log and is read-only/],
      ['gpaco.startRun', [dir], /cannot be started: it was imported from/],
      ['gpaco.evaluateCheckpoint', [{ kind: 'checkpoint', dir, tag: 'moco_ckpt.pth.tar' }], /cannot be evaluated: it was imported from/],
    ];
    for (const [command, args, message] of calls) {
      const r = await vscode.commands.executeCommand<CommandResult>(command, ...args);
      assert.equal(r.ok, false, command);
      assert.ok(!r.ok && r.reason === 'read-only' && message.test(r.message), `${command}: ${JSON.stringify(r)}`);
    }
    assert.ok(
      gpaco.notifications().some((n) => /cannot be resumed: it was imported from/.test(n.message)),
      'the refusal is shown to the user',
    );
    assert.deepEqual(snapshotFolder(dir), before);
    assert.equal(fs.existsSync(log), true);
  });
});
