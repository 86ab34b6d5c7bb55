// The Runs view and the status bar in a real browser, with the extension installed from its
// .vsix: fixture runs listed with their descriptions, a new run started from the command palette
// (quick pick + name input) training with the packaged trainer, the status bar following it,
// and the tree reaching completed. Screenshot: test-results/extension/runs-view.png.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { percent } from '../../../src/extension/model/presentation';
import { fixtureEvalFigures, statusFixtureSpecs, writeFixtureRuns } from '../../../test/shared/fixtureRuns';
import {
  openViewContainer,
  openWorkbench,
  packagedExtensionsDir,
  repoRoot,
  runCommand,
  startCodeServer,
  statusBarItem,
  stopTrainersUnder,
  treeRow,
  type CodeServer,
  type Workbench,
} from '../harness';

const shots = path.join(repoRoot, 'test-results', 'extension');
let server: CodeServer;
let wb: Workbench;
let ws: string;

before(async () => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-ui-runs-'));
  writeFixtureRuns(path.join(ws, 'runs'), statusFixtureSpecs());
  // A config small enough to train in seconds, picked from the quick pick like a user would.
  const tiny = {
    name: 'ui tiny',
    backend: 'cpu',
    data: { kind: 'synthetic', classes: 4, maxPerClass: 24, imbalanceFactor: 4, testPerClass: 6, imageSize: 8 },
    model: { arch: 'convnet', width: 4, projectionDim: 8 },
    loss: { kind: 'balanced-softmax' },
    optim: { batchSize: 16, epochs: 6, warmupEpochs: 1 },
    eval: { every: 1 },
    checkpoint: { every: 1 },
  };
  fs.mkdirSync(path.join(ws, 'experiments'));
  fs.writeFileSync(path.join(ws, 'experiments', 'tiny.gpaco.json'), JSON.stringify(tiny, null, 2));
  fs.mkdirSync(shots, { recursive: true });
  server = await startCodeServer({ extensionsDir: packagedExtensionsDir() });
  wb = await openWorkbench(server, { folder: ws });
});

after(async () => {
  await wb?.close();
  await server?.stop();
  await stopTrainersUnder(ws);
  fs.rmSync(ws, { recursive: true, force: true });
});

test('the Runs view lists the fixture runs with their descriptions', { timeout: 120_000 }, async () => {
  const { page } = wb;
  await openViewContainer(page, 'GPaCo Lab');
  const row = treeRow(page, 'completed run');
  await row.waitFor({ timeout: 60_000 });
  const fig = fixtureEvalFigures(statusFixtureSpecs()[0]!, 10);
  assert.equal(
    (await row.locator('.label-description').textContent())?.trim(),
    `epoch 10/10 · top-1 ${percent(fig.top1)} · few ${percent(fig.few)}`,
  );
  assert.match((await treeRow(page, 'interrupted run').locator('.label-description').textContent()) ?? '', /interrupted$/);
  // Status icons are codicons on the row.
  assert.equal(await treeRow(page, 'completed run').locator('.codicon-pass').count(), 1);
  assert.equal(await treeRow(page, 'interrupted run').locator('.codicon-warning').count(), 1);
  // Nothing runs; the fixture's queued run (queued by no window) is counted.
  await statusBarItem(page, 'GPaCo 1 queued').waitFor({ timeout: 30_000 });
  assert.equal(await statusBarItem(page, 'sync~spin').count(), 0);
});

test('a new run from the palette trains, the status bar follows it, and the tree reaches completed', { timeout: 240_000 }, async () => {
  const { page } = wb;
  await runCommand(page, 'GPaCo: New Run…');
  const input = page.locator('.quick-input-widget input');
  // Filter first: with eight presets (two-line rows) the config file is below the fold.
  await input.fill('tiny.gpaco');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'experiments/tiny.gpaco.json' }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
  // The optional name.
  await page.locator('.quick-input-widget', { hasText: 'Run name' }).waitFor({ timeout: 30_000 });
  await input.fill('ui run');
  await page.keyboard.press('Enter');

  const row = treeRow(page, 'ui run');
  await row.waitFor({ timeout: 60_000 });
  const bar = statusBarItem(page, /GPaCo \d+\/6/);
  await bar.waitFor({ timeout: 120_000 });
  assert.match((await bar.textContent()) ?? '', /GPaCo \d+\/6/);
  await page.screenshot({ path: path.join(shots, 'runs-view-running.png') });
  await row.locator('.codicon-pass').waitFor({ timeout: 180_000 });
  assert.match((await row.locator('.label-description').textContent()) ?? '', /^epoch 6\/6 · top-1 \d+\.\d% · few \d+\.\d%$/);
  // Completed: the status bar is back to the queued count; a notification offers the dashboard and the log.
  await statusBarItem(page, 'GPaCo 1 queued').waitFor({ timeout: 30_000 });
  const toast = page.locator('.notification-toast', { hasText: 'completed' }).first();
  await toast.waitFor({ timeout: 30_000 });
  assert.equal(await toast.locator('.monaco-button', { hasText: 'Show Log' }).count(), 1);
  await page.screenshot({ path: path.join(shots, 'runs-view.png') });
  // Its checkpoints are children.
  await row.locator('.monaco-tl-twistie').click();
  await treeRow(page, 'epoch-0006').waitFor({ timeout: 30_000 });
});
