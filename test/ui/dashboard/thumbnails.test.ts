// The images behind a confusion, in a real VS Code (code-server + Chromium, the extension from
// its .vsix): a click on a confusion cell shows that cell's test images, and each thumbnail's
// pixels are those of its source PNG; the class buttons switch to the class's mistakes. A
// screenshot of the view goes to test-results/ (and docs/ for the README).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { IMAGE_SIZE, makeImageListRun, type ImageListRun } from '../../../test/shared/imageListRun';
import { openViewContainer, openWorkbench, packagedExtensionsDir, repoRoot, runCommand, startCodeServer, treeRow, webviewFrame, type CodeServer, type Workbench } from '../harness';
import { cellCentre, matrixCanvas, matrixState, waitForData } from './matrixProbe';

const shots = path.join(repoRoot, 'test-results', 'dashboard');
let server: CodeServer;
let wb: Workbench;
let ws: string;
let run: ImageListRun;

before(async () => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-ui-thumbs-'));
  const data = path.join(ws, 'data');
  fs.mkdirSync(data);
  run = makeImageListRun(path.join(ws, 'runs'), data, 'thumbs');
  fs.mkdirSync(shots, { recursive: true });
  server = await startCodeServer({ extensionsDir: packagedExtensionsDir(), settings: { 'workbench.colorTheme': 'Default Light Modern' } });
  wb = await openWorkbench(server, { folder: ws, viewport: { width: 1400, height: 1000 } });
  await openViewContainer(wb.page, 'GPaCo Lab');
  await treeRow(wb.page, 'thumbs').waitFor({ timeout: 60_000 });
});

after(async () => {
  await wb?.close();
  await server?.stop();
  fs.rmSync(ws, { recursive: true, force: true });
});

test('a click on a confusion cell shows its test images, pixel for pixel', { timeout: 180_000 }, async () => {
  const { page } = wb;
  await runCommand(page, 'GPaCo: Open Dashboard');
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 30_000 });
  await page.locator('.quick-input-widget input').fill('thumbs');
  await page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: /^thumbs$/ }) }).first().click();
  const frame = webviewFrame(page);
  await frame.locator('body[data-state=ready]').waitFor({ timeout: 30_000 });
  const canvas = matrixCanvas(frame);
  await waitForData(canvas, 'revision', (v) => v?.startsWith('epoch-0001:') === true);
  const s = await matrixState(canvas);
  // Display order is head to tail = label order here (training counts 40, 20, 8, 4): row 3 = owl.
  const p = cellCentre(s, 3, 0);
  await canvas.click({ position: p });
  const view = frame.locator('[data-testid=thumbnails-view][data-state=ready]');
  await view.waitFor({ timeout: 30_000 });
  assert.match((await view.locator('[data-field=title]').textContent()) ?? '', /True owl, predicted cat/);
  const expected = run.test.flatMap((im, i) => (im.label === 3 && im.pred === 0 ? [i] : []));
  const figures = view.locator('figure.thumb');
  assert.equal(await figures.count(), expected.length);
  assert.match((await view.locator('[data-field=status]').textContent()) ?? '', new RegExp(`Images 1–${expected.length} of ${expected.length}`));
  for (let k = 0; k < expected.length; k++) {
    const fig = figures.nth(k);
    assert.equal(Number(await fig.getAttribute('data-index')), expected[k]);
    assert.match((await fig.locator('figcaption').textContent()) ?? '', /owl → cat/);
    const rgba = await fig.locator('canvas').evaluate((c) => {
      const cv = c as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } };
      return Array.from(cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data);
    });
    const src = run.test[expected[k]!]!.pixels;
    assert.equal(rgba.length, IMAGE_SIZE * IMAGE_SIZE * 4);
    for (let i = 0; i < IMAGE_SIZE * IMAGE_SIZE; i++) {
      for (let c = 0; c < 3; c++) assert.equal(rgba[i * 4 + c], src[i * 3 + c], `thumbnail ${k} pixel ${i} channel ${c}`);
    }
  }
  await view.screenshot({ path: path.join(shots, 'thumbnails.png') });
  await view.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(shots, 'thumbnails-panel.png') });

  // The class buttons: owl's mistakes are the same 5 images here; "wrongly predicted as cat" adds none other.
  await view.locator('[data-action=mistakes]').click();
  await frame.locator('[data-testid=thumbnails-view] [data-field=title]', { hasText: /Mistakes of owl/ }).waitFor({ timeout: 15_000 });
  await frame.locator('[data-testid=thumbnails-view] [data-field=status]', { hasText: /of 5$/ }).waitFor({ timeout: 15_000 });
  // Another cell: dog images predicted as dog (the diagonal).
  await canvas.click({ position: cellCentre(s, 1, 1) });
  await frame.locator('[data-testid=thumbnails-view] [data-field=title]', { hasText: /True dog, predicted dog/ }).waitFor({ timeout: 15_000 });
  await frame.locator('[data-testid=thumbnails-view] [data-field=status]', { hasText: /of 8$/ }).waitFor({ timeout: 15_000 });
  assert.equal(await frame.locator('[data-testid=thumbnails-view] figure.thumb').count(), 8);
});
