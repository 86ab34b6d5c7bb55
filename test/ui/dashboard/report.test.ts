// UI tests of the standalone report (`gpaco report`) in Debian's Chromium: quick and
// deterministic, no VS Code needed. Fixture runs with 10, 100 and 1000 classes; the numbers,
// the canvas pixels and the hover read-out are checked against the fixture files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { confusionCell } from '../../../src/core/evalEncoding';
import { headToTailOrder } from '../../../src/core/evalMath';
import { readClassesFile, readEvalFile, runPaths } from '../../../src/core/runDirectory';
import { runReadability } from '../../../src/core/readability';
import { makeFixtureRun, type FixtureRun } from '../../../test/shared/dashboardRuns';
import { launchBrowser, repoRoot } from '../harness';
import { matrixCanvas, matrixState, waitForData, type ElementLike } from './matrixProbe';
import { checkGroups, checkMatrix } from './runChecks';

const shots = path.join(repoRoot, 'test-results', 'dashboard');
let root: string;
let browser: Browser;
const runs: Record<string, FixtureRun> = {};

function report(ids: string[], out: string): string {
  const file = path.join(root, out);
  const r = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'dist', 'cli.js'), 'report', ...ids, '--runs-dir', path.join(root, 'runs'), '--out', file],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, `gpaco report failed: ${r.stderr}`);
  assert.match(r.stdout, /wrote .*\.html/);
  return file;
}

async function open(file: string, colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  // No network at all: any request other than the file itself (or data:/blob:) is a failure.
  page.on('request', (r) => {
    if (!/^(file|data|blob):/.test(r.url())) errors.push(`network request ${r.url()}`);
  });
  await page.goto(`file://${file}`);
  await page.locator('body[data-state=ready]').waitFor({ timeout: 20_000 });
  return { page, errors };
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-ui-report-'));
  const runsDir = path.join(root, 'runs');
  runs.r10 = makeFixtureRun(runsDir, { classes: 10, id: 'r10', name: 'ten' });
  runs.r10ce = makeFixtureRun(runsDir, {
    classes: 10,
    id: 'r10ce',
    name: 'ten-ce',
    seed: 5,
    edit: (c) => ((c.loss.kind = 'ce'), (c.optim.lr = 0.123)),
  });
  runs.r100 = makeFixtureRun(runsDir, { classes: 100, id: 'r100', name: 'hundred' });
  runs.r1000 = makeFixtureRun(runsDir, { classes: 1000, id: 'r1000', name: 'thousand', epochs: 2 });
  fs.mkdirSync(shots, { recursive: true });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

for (const [id, classes] of [
  ['r10', 10],
  ['r100', 100],
  ['r1000', 1000],
] as const) {
  describe(`report of a ${classes}-class run`, () => {
    it('shows the fixture’s numbers, cell colours and hover read-out', async () => {
      const run = runs[id]!;
      const { page, errors } = await open(report([id], `${id}.html`));
      try {
        const tag = classes === 1000 ? 'epoch-0002' : 'epoch-0003';
        await checkGroups(page, run, tag);
        assert.equal(await page.locator('table[data-testid=checkpoints] tbody tr[data-tag]').count(), classes === 1000 ? 2 : 3);
        await checkMatrix(page, run, tag, (k) => page.keyboard.press(k));
        if (classes === 100) {
          await page.screenshot({ path: path.join(shots, 'report-100-light.png'), fullPage: true });
        }
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
      }
    });
  });
}

describe('report interactions', () => {
  it('a partly readable run says so in its header, in the words of every other view', async () => {
    const bad = makeFixtureRun(path.join(root, 'runs'), { classes: 10, id: 'rbad', name: 'damaged' });
    fs.writeFileSync(path.join(runPaths(bad.dir).checkpoints, 'index.json'), '{"checkpoints": [');
    const line = runReadability(bad.dir);
    assert.match(line ?? '', /^partly readable: .*index\.json/);
    const { page, errors } = await open(report(['rbad'], 'bad.html'));
    const shown = page.locator('[data-field=readability]');
    assert.equal(await shown.isVisible(), true);
    assert.equal((await shown.textContent())?.trim(), line);
    await page.close();
    const healthy = await open(report(['r10'], 'healthy.html'));
    assert.equal(await healthy.page.locator('[data-field=readability]').isVisible(), false);
    await healthy.page.close();
    assert.deepEqual([...errors, ...healthy.errors], []);
  });
  it('selecting an older evaluation shows its matrix and groups', async () => {
    const { page, errors } = await open(report(['r10'], 'r10-select.html'));
    try {
      const canvas = matrixCanvas(page);
      const before = (await matrixState(canvas)).revision;
      await page.locator('table[data-testid=checkpoints] tr[data-tag=epoch-0001] [data-action=view]').click();
      await waitForData(canvas, 'revision', (v) => v !== before);
      const ev = readEvalFile(runs.r10!.dir, 'epoch-0001');
      assert.equal(
        await page.locator('table[data-testid=groups] tr[data-group=few] [data-field=accuracy]').textContent(),
        `${(ev.groupAccuracy.few * 100).toFixed(1)}%`,
      );
      assert.equal(await page.locator('table[data-testid=checkpoints] tr[aria-selected=true]').getAttribute('data-tag'), 'epoch-0001');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('exports per-class accuracy and the confusion matrix as CSV', async () => {
    const { page } = await open(report(['r10'], 'r10-csv.html'));
    try {
      const cls = readClassesFile(runs.r10!.dir)!;
      const ev = readEvalFile(runs.r10!.dir, 'epoch-0003');
      const order = headToTailOrder(cls.trainCounts);
      const read = async (selector: string) => {
        const [download] = await Promise.all([page.waitForEvent('download'), page.locator(selector).click()]);
        return { name: download.suggestedFilename(), text: fs.readFileSync(await download.path(), 'utf8') };
      };
      const perClass = await read('[data-export=per-class-csv]');
      assert.match(perClass.name, /\.csv$/);
      const lines = perClass.text.trim().split('\n');
      assert.equal(lines[0], 'class,label,group,train_images,test_images,accuracy');
      assert.equal(lines.length, 11);
      assert.equal(
        lines[1],
        [
          cls.names[order[0]!],
          order[0],
          cls.groups.assignment[order[0]!],
          cls.trainCounts[order[0]!],
          cls.testCounts[order[0]!],
          ev.perClassAccuracy[order[0]!],
        ].join(','),
      );
      const confusion = await read('[data-export=confusion-csv]');
      const rows = confusion.text
        .trim()
        .split('\n')
        .map((l) => l.split(','));
      assert.equal(rows.length, 11);
      assert.deepEqual(
        rows[0]!.slice(1),
        order.map((i) => cls.names[i]),
      );
      for (let i = 0; i < 10; i++)
        assert.deepEqual(
          rows[i + 1]!.slice(1).map(Number),
          order.map((j) => confusionCell(ev.confusion, order[i]!, j)),
        );
    } finally {
      await page.close();
    }
  });

  it('compares two runs: exactly the differing config keys, metric differences, confusion difference', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const { page, errors } = await open(report(['r10', 'r10ce'], `compare-${scheme}.html`), scheme);
      try {
        await page.locator('vscode-tab-header[data-compare]').click();
        const keys = await page
          .locator('table[data-testid=config-diff] tbody tr')
          .evaluateAll((rows) => rows.map((r) => (r as unknown as ElementLike).dataset.key));
        assert.deepEqual(keys, ['loss.kind', 'optim.lr']);
        const a = readEvalFile(runs.r10!.dir, 'epoch-0003');
        const b = readEvalFile(runs.r10ce!.dir, 'epoch-0003');
        const delta = page.locator('table[data-testid=finals] tr[data-run=r10ce] [data-field=few-delta]');
        const d = (b.groupAccuracy.few - a.groupAccuracy.few) * 100;
        assert.equal(await delta.textContent(), `${d > 0 ? '+' : d < 0 ? '' : '±'}${d.toFixed(1)} pp`);
        const canvas = page.locator('.compare-view canvas.matrix-base');
        await canvas.waitFor();
        const state = await canvas.evaluate((el) => (el as unknown as ElementLike).dataset.kind);
        assert.equal(state, 'difference');
        await page.screenshot({ path: path.join(shots, `report-compare-${scheme}.png`), fullPage: true });
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
      }
    }
  });

  it('reads well in the dark scheme (report fallback palette)', async () => {
    const { page, errors } = await open(report(['r100'], 'r100-dark.html'), 'dark');
    try {
      const s = await matrixState(matrixCanvas(page));
      // The empty cells take the page background: dark.
      assert.ok(
        s.zero.every((v) => v < 80),
        `dark background ${JSON.stringify(s.zero)}`,
      );
      await page.screenshot({ path: path.join(shots, 'report-100-dark.png'), fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
});
