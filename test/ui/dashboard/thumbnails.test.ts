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
  await page
    .locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: /^thumbs$/ }) })
    .first()
    .click();
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
  assert.match(
    (await view.locator('[data-field=status]').textContent()) ?? '',
    new RegExp(`Images 1–${expected.length} of ${expected.length}`),
  );
  for (let k = 0; k < expected.length; k++) {
    const fig = figures.nth(k);
    assert.equal(Number(await fig.getAttribute('data-index')), expected[k]);
    assert.match((await fig.locator('figcaption').textContent()) ?? '', /owl → cat/);
    const rgba = await fig.locator('canvas').evaluate((c) => {
      const cv = c as unknown as {
        width: number;
        height: number;
        getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
      };
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
  await frame
    .locator('[data-testid=thumbnails-view] [data-field=title]', { hasText: /True dog, predicted dog/ })
    .waitFor({ timeout: 15_000 });
  await frame.locator('[data-testid=thumbnails-view] [data-field=status]', { hasText: /of 8$/ }).waitFor({ timeout: 15_000 });
  assert.equal(await frame.locator('[data-testid=thumbnails-view] figure.thumb').count(), 8);
});

test('the top confused pairs list matches the evaluation; a click on a pair shows its images', { timeout: 120_000 }, async () => {
  const frame = webviewFrame(wb.page);
  const table = frame.locator('table[data-testid=confused-pairs]');
  const rows = table.locator('tbody tr[data-true]');
  // Expected from the fixture itself: every off-diagonal (true, pred) with its count and share.
  const counts = new Map<string, number>();
  for (const im of run.test)
    if (im.label !== im.pred) counts.set(`${im.label}:${im.pred}`, (counts.get(`${im.label}:${im.pred}`) ?? 0) + 1);
  const expected = [...counts].map(([k, n]) => ({ t: Number(k.split(':')[0]), p: Number(k.split(':')[1]), n })).sort((a, b) => b.n - a.n);
  assert.equal(await rows.count(), expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const row = rows.nth(i);
    assert.deepEqual([Number(await row.getAttribute('data-true')), Number(await row.getAttribute('data-pred'))], [e.t, e.p]);
    assert.equal(await row.locator('[data-field=count]').textContent(), String(e.n));
    assert.equal(await row.locator('[data-field=share]').textContent(), `${((100 * e.n) / 8).toFixed(1)}%`);
  }
  // Filter by the true class's group: dog is the only medium class (20 training images) and it
  // has no confusions; the few classes (cow 8, owl 4) have both pairs.
  const setGroup = (g: string) =>
    frame.locator('[data-testid=pairs-group]').evaluate((el, value) => {
      const sel = el as unknown as { value: string; dispatchEvent(e: unknown): boolean };
      sel.value = value;
      sel.dispatchEvent(new (globalThis as unknown as { Event: new (t: string) => unknown }).Event('change'));
    }, g);
  await setGroup('medium');
  await table.locator('tbody td.note', { hasText: 'No confusions.' }).waitFor({ timeout: 10_000 });
  await setGroup('few');
  await rows.nth(1).waitFor({ timeout: 10_000 });
  assert.equal(await rows.count(), 2);
  await table.locator('tbody tr[data-true="2"][data-pred="1"]').click();
  await frame
    .locator('[data-testid=thumbnails-view] [data-field=title]', { hasText: /True cow, predicted dog/ })
    .waitFor({ timeout: 15_000 });
  await frame.locator('[data-testid=thumbnails-view] [data-field=status]', { hasText: /of 2$/ }).waitFor({ timeout: 15_000 });
  const shown = frame.locator('[data-testid=thumbnails-view] figure.thumb');
  assert.deepEqual(
    await shown.evaluateAll((els) => els.map((e) => Number((e as unknown as { dataset: { index: string } }).dataset.index))),
    run.test.flatMap((im, i) => (im.label === 2 && im.pred === 1 ? [i] : [])),
  );
});

test('the per-class table: training count, group, accuracy, most confused with; search', { timeout: 60_000 }, async () => {
  const frame = webviewFrame(wb.page);
  const table = frame.locator('[data-testid=class-table]');
  const rows = table.locator('.class-row');
  assert.equal(await rows.count(), 4);
  const owl = table.locator('.class-row[data-class="3"]');
  assert.equal(await owl.locator('[data-field=train]').textContent(), '4');
  assert.equal(await owl.locator('[data-field=group]').textContent(), 'few');
  assert.equal(await owl.locator('[data-field=accuracy]').textContent(), '37.5%');
  assert.equal(await owl.locator('[data-field=confused]').textContent(), 'cat (5)');
  assert.equal(await table.locator('.class-row[data-class="0"] [data-field=confused]').textContent(), '–');
  await frame.locator('[data-testid=class-search]').fill('co');
  await frame.locator('[data-field=class-count]', { hasText: '1 of 4 classes' }).waitFor({ timeout: 10_000 });
  assert.deepEqual(await rows.evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { class: string } }).dataset.class)), ['2']);
});
