// The dashboard at iNaturalist's scale, through `gpaco report` in Debian's Chromium: an 8,142-class
// fixture with 24,426 test images draws its confusion matrix (exactly the pixels holding a
// non-zero cell are coloured; hovering the largest confusion reads its count), and the top
// confused pairs list is the fixture's largest off-diagonal cells. scalePanel.test.ts does the
// same in the VS Code panel.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { headToTailOrder } from '../../../src/core/evalMath';
import { readEvalFile } from '../../../src/core/runDirectory';
import { makeFixtureRun } from '../../../test/shared/dashboardRuns';
import { launchBrowser, repoRoot } from '../harness';
import { matrixCanvas, matrixState, pixel } from './matrixProbe';
import { checkLargeMatrix } from './runChecks';

let root: string;
let browser: Browser;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-ui-scale-'));
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test("an 8,142-class evaluation draws, and its confused pairs are the fixture's", { timeout: 180_000 }, async () => {
  const runs = path.join(root, 'runs');
  const run = makeFixtureRun(runs, { classes: 8142, id: 'inat', name: 'inat', epochs: 1, testPerClass: 3 });
  const out = path.join(root, 'inat.html');
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'report', 'inat', '--runs-dir', runs, '--out', out], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`file://${out}`);
    await page.locator('body[data-state=ready]').waitFor({ timeout: 60_000 });
    const canvas = matrixCanvas(page);
    const s = await matrixState(canvas);
    assert.equal(s.size, 8142);
    const data = await canvas.evaluate((el) => ({ ...(el as unknown as { dataset: Record<string, string> }).dataset }));
    console.log(`[scale] 8,142 classes: decode ${data.decodeMs} ms, first draw ${data.drawMs} ms (report in Chromium, shared machine)`);
    // The top-left corner is the head classes' diagonal: mostly right, so not the zero colour.
    const head = await pixel(canvas, s.view.left + 1, s.view.top + 1);
    assert.notDeepEqual(head, [255, 255, 255], 'the head of the matrix is drawn');
    await checkLargeMatrix(page, run, 'epoch-0001', (dy) => page.mouse.wheel(0, dy));

    const ev = readEvalFile(run.dir, 'epoch-0001');
    const order = headToTailOrder(run.classes.trainCounts);
    const off: number[] = [];
    for (let k = 0; k < ev.confusion.cells.length; k += 3)
      if (ev.confusion.cells[k] !== ev.confusion.cells[k + 1]) off.push(ev.confusion.cells[k + 2]!);
    off.sort((a, b) => b - a);
    const rows = page.locator('table[data-testid=confused-pairs] tbody tr[data-true]');
    const n = await rows.count();
    assert.equal(n, Math.min(200, off.length));
    const counts = await rows.locator('[data-field=count]').allTextContents();
    assert.deepEqual(counts.map(Number), off.slice(0, n));
    // The first pair names a real cell of the fixture with that count.
    const t = Number(await rows.first().getAttribute('data-true'));
    const p = Number(await rows.first().getAttribute('data-pred'));
    const cells = ev.confusion.cells;
    let found = 0;
    for (let k = 0; k < cells.length; k += 3) if (cells[k] === t && cells[k + 1] === p) found = cells[k + 2]!;
    assert.equal(found, off[0]);
    assert.ok(order.includes(t) && order.includes(p));
    // The per-class table keeps only its visible rows in the page.
    assert.ok((await page.locator('[data-testid=class-table] .class-row').count()) < 40, 'virtualised rows');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
