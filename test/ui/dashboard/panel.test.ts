// The dashboard panels in a real VS Code (code-server + Chromium), with the extension installed
// from its .vsix: fixture runs of 10, 100 and 1000 classes show the fixture's numbers, cell
// colours and hover read-out; an appended evaluation updates the open panel; a malformed
// message from the webview changes nothing; the compare panel lists exactly the differing
// config keys; the panel comes back after a reload; screenshots in light and dark themes.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { readEvalFile } from '../../../src/core/runDirectory';
import { appendEpoch, makeFixtureRun, type FixtureRun } from '../../../test/shared/dashboardRuns';
import {
  openViewContainer,
  openWorkbench,
  packagedExtensionsDir,
  repoRoot,
  runCommand,
  startCodeServer,
  treeRow,
  webviewFrame,
  type CodeServer,
  type Workbench,
} from '../harness';
import { matrixCanvas, waitForData, type ElementLike } from './matrixProbe';
import { checkGroups, checkMatrix } from './runChecks';
import { closeEditors, openDashboard } from './openPanel';

const shots = path.join(repoRoot, 'test-results', 'dashboard');
let server: CodeServer;
let wb: Workbench;
let ws: string;
const runs: Record<string, FixtureRun> = {};

/** Switches the colour theme the way a user does (palette, theme picker). */
async function setTheme(page: Page, theme: string): Promise<void> {
  // Not runCommand: its first row containing the title can be "Browse Color Themes in Marketplace".
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget input').fill('>Preferences: Color Theme');
  await page
    .locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: /^Preferences: Color Theme$/ }) })
    .first()
    .click();
  // The theme picker replaces the palette: wait for it before typing.
  const input = page.locator('.quick-input-widget input[placeholder*="Color Theme" i]');
  await input.waitFor({ timeout: 30_000 }).catch(async (err) => {
    await page.screenshot({ path: path.join(shots, 'theme-picker-failure.png') });
    throw err;
  });
  await input.fill(theme);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: theme }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
}

/** Posts a message as the webview would (through the webview host frame's channel to the extension). */
async function postFromWebview(page: Page, message: unknown): Promise<void> {
  await page
    .frameLocator('iframe.webview.ready')
    .first()
    .locator('#active-frame')
    .evaluate(
      (_el, m) =>
        (globalThis as unknown as { __vscode_post_message__(c: string, d: unknown): void }).__vscode_post_message__('onmessage', {
          message: m,
        }),
      message,
    );
}

before(async () => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-ui-dash-'));
  const root = path.join(ws, 'runs');
  runs.r10 = makeFixtureRun(root, { classes: 10, id: 'r10', name: 'dash-ten' });
  runs.r10ce = makeFixtureRun(root, {
    classes: 10,
    id: 'r10ce',
    name: 'dash-ten-ce',
    seed: 5,
    edit: (c) => ((c.loss.kind = 'ce'), (c.optim.lr = 0.123)),
  });
  runs.r100 = makeFixtureRun(root, { classes: 100, id: 'r100', name: 'dash-hundred' });
  runs.r1000 = makeFixtureRun(root, { classes: 1000, id: 'r1000', name: 'dash-thousand', epochs: 2 });
  fs.mkdirSync(shots, { recursive: true });
  server = await startCodeServer({ extensionsDir: packagedExtensionsDir(), settings: { 'workbench.colorTheme': 'Default Light Modern' } });
  wb = await openWorkbench(server, { folder: ws, viewport: { width: 1400, height: 1000 } });
  // The palette lists the extension's commands only once its contributions are registered:
  // the Runs view in the activity bar says they are.
  await openViewContainer(wb.page, 'GPaCo Lab');
  await treeRow(wb.page, 'dash-ten').waitFor({ timeout: 60_000 });
});

after(async () => {
  await wb?.close();
  await server?.stop();
  fs.rmSync(ws, { recursive: true, force: true });
});

for (const [id, name, tag] of [
  ['r10', 'dash-ten', 'epoch-0003'],
  ['r100', 'dash-hundred', 'epoch-0003'],
  ['r1000', 'dash-thousand', 'epoch-0002'],
] as const) {
  test(`the dashboard of ${name} shows the fixture's numbers, colours and hover read-out`, { timeout: 120_000 }, async () => {
    const { page } = wb;
    const frame = await openDashboard(page, name);
    await checkGroups(frame, runs[id]!, tag);
    await checkMatrix(frame, runs[id]!, tag, (k) => page.keyboard.press(k));
    await closeEditors(page);
  });
}

test('an appended evaluation updates the open panel; malformed messages change nothing', { timeout: 120_000 }, async () => {
  const { page } = wb;
  const frame = await openDashboard(page, 'dash-ten');
  const canvas = matrixCanvas(frame);
  await waitForData(canvas, 'revision', (v) => v?.startsWith('epoch-0003:') === true);

  const started = Date.now();
  appendEpoch(runs.r10!.dir, runs.r10!.classes, 4);
  await waitForData(canvas, 'revision', (v) => v?.startsWith('epoch-0004:') === true, 15_000);
  console.log(`[dashboard] appended evaluation shown after ${Date.now() - started} ms`);
  await checkGroups(frame, runs.r10!, 'epoch-0004');
  assert.equal(await frame.locator('table[data-testid=checkpoints] tbody tr[data-tag]').count(), 4);
  assert.equal(await frame.locator('[data-field=epoch]').textContent(), 'epoch 4 / 10');

  // Malformed or out-of-bounds messages, sent down the webview's own channel: all ignored.
  const before = await frame.locator('.run-view').evaluate((el) => ({ ...(el as unknown as ElementLike).dataset }));
  for (const m of [
    { type: 'select', runId: 'r10', tag: '../../../etc/passwd' },
    { type: 'select', runId: 'r10ce', tag: 'epoch-0001' },
    { type: 'select', runId: 'r10', tag: 'epoch-0099' },
    { type: 'evaluate', runId: 'r10', tag: '/tmp/x' },
    { type: 'evaluate', runId: 'r10', tag: 'epoch-0099' },
    { type: 'export', format: 'csv', fileName: '/tmp/gpaco-evil.csv', data: 'x' },
    { type: 'launch', command: 'rm -rf /' },
    'ready',
    null,
  ]) {
    await postFromWebview(page, m);
  }
  await page.waitForTimeout(500);
  assert.deepEqual(
    await frame.locator('.run-view').evaluate((el) => ({ ...(el as unknown as ElementLike).dataset })),
    before,
    'the panel did not change',
  );
  assert.equal(fs.existsSync('/tmp/gpaco-evil.csv'), false);
  // The same channel with a valid message does act: the rejections above were real.
  await postFromWebview(page, { type: 'select', runId: 'r10', tag: 'epoch-0001' });
  await waitForData(canvas, 'revision', (v) => v?.startsWith('epoch-0001:') === true);
  await checkGroups(frame, runs.r10!, 'epoch-0001');
  await postFromWebview(page, { type: 'select', runId: 'r10', tag: null });
  await waitForData(canvas, 'revision', (v) => v?.startsWith('epoch-0004:') === true);
});

test('the panel comes back after a window reload', { timeout: 120_000 }, async () => {
  const { page } = wb;
  // As a user reloads: the workbench stores its editors and the webview's state on the way out
  // (a bare page reload can beat the storage flush and restore nothing).
  const reloaded = page.waitForEvent('load', { timeout: 60_000 });
  await runCommand(page, 'Developer: Reload Window');
  await reloaded;
  await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  const frame = webviewFrame(page);
  await frame.locator('body[data-state=ready]').waitFor({ timeout: 60_000 });
  assert.equal(await frame.locator('h1.run-name').textContent(), 'dash-ten');
  // Drawn again from the run's files, following the latest evaluation as before the reload.
  await waitForData(matrixCanvas(frame), 'revision', (v) => v?.startsWith('epoch-0004:') === true);
  await closeEditors(page);
});

test('the compare panel lists exactly the differing config keys', { timeout: 120_000 }, async () => {
  const { page } = wb;
  await runCommand(page, 'GPaCo: Compare Runs');
  const input = page.locator('.quick-input-widget input');
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 30_000 });
  await input.fill('dash-ten');
  await page.locator('.quick-input-list .monaco-list-row').nth(1).waitFor();
  // Tick both filtered runs, then OK.
  for (const name of ['dash-ten', 'dash-ten-ce']) {
    await page
      .locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${name}$`) }) })
      .first()
      .click();
  }
  await page.keyboard.press('Enter');
  const frame = webviewFrame(page);
  await frame.locator('.compare-view').waitFor({ timeout: 30_000 });
  await frame.locator('table[data-testid=config-diff] tbody tr').first().waitFor({ timeout: 30_000 });
  const keys = await frame
    .locator('table[data-testid=config-diff] tbody tr')
    .evaluateAll((rows) => rows.map((r) => (r as unknown as ElementLike).dataset.key));
  assert.deepEqual(keys, ['loss.kind', 'optim.lr']);
  const a = readEvalFile(runs.r10ce!.dir, 'epoch-0003');
  const runIds = await frame
    .locator('table[data-testid=finals] tbody tr')
    .evaluateAll((rows) => rows.map((r) => (r as unknown as ElementLike).dataset.run));
  assert.equal(runIds.length, 2);
  const row = frame.locator(`table[data-testid=finals] tr[data-run=r10ce] [data-field=top1]`);
  assert.equal(await row.textContent(), `${(a.top1 * 100).toFixed(1)}%`);
  await page.screenshot({ path: path.join(shots, 'vscode-compare-light.png') });
  await closeEditors(page);
});

test('screenshots in the light, dark and high-contrast themes', { timeout: 120_000 }, async () => {
  const { page } = wb;
  // A tall window, so one screenshot holds the header, curves, shot groups and the matrix.
  await page.setViewportSize({ width: 1400, height: 1900 });
  const frame = await openDashboard(page, 'dash-hundred');
  await waitForData(matrixCanvas(frame), 'revision', (v) => v !== undefined);
  const themes = [
    ['Light Modern', 'light', (z: string) => z === '#ffffff'],
    ['Dark Modern', 'dark', (z: string) => z === '#1f1f1f'],
    ['Dark High Contrast', 'hc', (z: string) => z === '#000000'],
  ] as const;
  for (const [theme, tag, zeroOk] of themes) {
    await setTheme(page, theme);
    // The webview follows the theme: the matrix's zero colour becomes the new editor background.
    const zero = await waitForData(matrixCanvas(frame), 'colorZero', (v) => v !== undefined && zeroOk(v), 20_000);
    assert.ok(zero);
    await page.waitForTimeout(300);
    await frame.locator('.run-header').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, `vscode-dashboard-${tag}.png`) });
  }
  await setTheme(page, 'Light Modern');
  await page.setViewportSize({ width: 1400, height: 1000 });
});
