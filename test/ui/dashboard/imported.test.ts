// An imported run (gpaco import paco-log) in the dashboard, through `gpaco report` in Debian's
// Chromium: the header says where it came from, the curves have the log's figures, and instead
// of an empty confusion-matrix panel a note says why there is none; external checkpoints are
// listed with their size and no Evaluate action.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { generatePacoLog } from '../../unit/import/pacoLogGenerator';
import { launchBrowser, repoRoot } from '../harness';

let root: string;
let browser: Browser;

const gpaco = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), ...args], { encoding: 'utf8', cwd: root });

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-ui-imported-'));
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('an imported PaCo log: origin in the header, curves, a note instead of the confusion matrix', async () => {
  const src = path.join(root, 'src');
  fs.mkdirSync(src);
  const log = path.join(src, 'places_gpaco.log');
  const g = generatePacoLog({ script: 'lt', epochs: 6, batches: 100, printFreq: 50, testBatches: 10 });
  fs.writeFileSync(log, g.text);
  fs.writeFileSync(path.join(src, 'moco_ckpt.pth.tar'), Buffer.alloc(2048));
  const imp = gpaco('import', 'paco-log', log, '--name', 'places');
  assert.equal(imp.status, 0, imp.stderr);
  const out = path.join(root, 'report.html');
  const rep = gpaco('report', 'places', '--out', out);
  assert.equal(rep.status, 0, rep.stderr);

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`file://${out}`);
    await page.locator('body[data-state=ready]').waitFor({ timeout: 20_000 });
    const meta = await page.locator('.meta').first().textContent();
    assert.match(meta ?? '', new RegExp(`imported from ${log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(paco-log; read-only\\)`));
    const note = page.locator('p.pending[data-reason=imported]');
    assert.equal(await note.isVisible(), true, 'the note is shown');
    assert.match(
      (await note.textContent()) ?? '',
      /No confusion matrix .* imported from .*places_gpaco\.log \(paco-log\), which records only top-1, top-5 and many \/ medium \/ few/,
    );
    // The last evaluation's top-1 is in the checkpoint row of the external file, as the log printed it.
    const row = page.locator('table[data-testid=checkpoints] tr[data-tag="moco_ckpt.pth.tar"]');
    assert.equal(await row.locator('[data-field=top1]').textContent(), `${(g.evals.at(-1)!.top1 * 100).toFixed(1)}%`);
    assert.match((await row.textContent()) ?? '', /2\.0 KB \(external\)/);
    assert.equal(await row.locator('[data-action=evaluate]').count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
