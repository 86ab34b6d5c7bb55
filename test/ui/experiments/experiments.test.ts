// The Experiments panel in a real VS Code (code-server + Chromium, the extension installed from
// its .vsix) over the 1,000-run fixture sweep (test/fixtures/experiments): every number checked
// on screen is computed here from the fixture's plan. Covers the row count and virtualisation,
// sorting by few-shot accuracy, grouping by everything but the seed (mean ± sample std), a group's
// accuracy and loss bands and config column in the compare panel (canvas pixels), parallel coordinates (one polyline per selected row),
// a tag added from the table (meta.json, the Runs tree, `gpaco ls --tag`), and a live evaluation.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { writeSweepFixture, type PlannedRun } from '../../fixtures/experiments/generate';
import { pollUntil } from '../../../test/shared/poll';
import {
  openViewContainer,
  openWorkbench,
  packagedExtensionsDir,
  repoRoot,
  runCommand,
  startCodeServer,
  treeRow,
  type CodeServer,
  type Workbench,
} from '../harness';
import type { ElementLike } from '../dashboard/matrixProbe';
import { assertBandFilled, chartFigure, drawnBands } from '../dashboard/bandProbe';

const shots = path.join(repoRoot, 'test-results', 'experiments');
const RUNS = 1000;
let server: CodeServer;
let wb: Workbench;
let ws: string;
let root: string;
let plan: PlannedRun[];

interface CanvasLike extends ElementLike {
  width: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
}

const pct1 = (v: number) => (v * 100).toFixed(1);
const last = (r: PlannedRun) => r.evals[r.evals.length - 1];
/** Mean and sample std, written out here so the check does not use the code under test. */
function meanStd(xs: number[]): { mean: number; std: number | null } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return { mean, std: null };
  return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) };
}

/** The webview (of several open ones) that contains `selector`. */
async function frameWith(page: Page, selector: string, timeoutMs = 30_000): Promise<FrameLocator> {
  return pollUntil(
    `a webview with ${selector}`,
    async () => {
      const n = await page.locator('iframe.webview.ready').count();
      for (let i = 0; i < n; i++) {
        const f = page.frameLocator('iframe.webview.ready').nth(i).frameLocator('#active-frame');
        if ((await f.locator(selector).count()) > 0) return f;
      }
      return undefined;
    },
    timeoutMs,
    200,
  );
}

/** The Experiments panel, brought to the front (GPaCo: Open Experiments reveals the open one). */
async function table(page: Page): Promise<FrameLocator> {
  const open = await frameWith(page, '.experiments', 5_000).catch(() => undefined);
  if (!open || !(await open.locator('body[data-state=ready]').isVisible())) await runCommand(page, 'GPaCo: Open Experiments');
  const f = await frameWith(page, '.experiments');
  await f.locator('body[data-state=ready]').waitFor({ timeout: 30_000 });
  return f;
}

/** Waits until the table's count line matches. */
async function waitCount(f: FrameLocator, re: RegExp): Promise<string> {
  return pollUntil(
    `count ${re}`,
    async () => {
      const t = (await f.locator('[data-testid=count]').textContent()) ?? '';
      return re.test(t) ? t : undefined;
    },
    30_000,
    100,
  );
}

const cell = (f: FrameLocator, key: string, field: string) => f.locator(`.vrows-layer .xrow[data-key="${key}"] [data-field="${field}"]`);
const firstRow = (f: FrameLocator) => f.locator('.vrows-layer .xrow[data-index="0"]');

before(async () => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-ui-exp-'));
  root = path.join(ws, 'runs');
  const t0 = Date.now();
  plan = writeSweepFixture(root, { runs: RUNS, evals: 30, evalFileMaxClasses: 0 });
  console.log(`[experiments] wrote ${plan.length} fixture runs in ${Date.now() - t0} ms`);
  fs.mkdirSync(shots, { recursive: true });
  server = await startCodeServer({ extensionsDir: packagedExtensionsDir(), settings: { 'workbench.colorTheme': 'Default Light Modern' } });
  wb = await openWorkbench(server, { folder: ws, viewport: { width: 1600, height: 1000 } });
  await openViewContainer(wb.page, 'GPaCo Lab');
  await treeRow(wb.page, plan[RUNS - 1]!.name).waitFor({ timeout: 90_000 });
  await runCommand(wb.page, 'GPaCo: Open Experiments');
  // The first snapshot of 1,000 runs, before any test presses a key.
  await (await frameWith(wb.page, '.experiments', 90_000)).locator('body[data-state=ready]').waitFor({ timeout: 60_000 });
});

after(async () => {
  await wb?.close();
  await server?.stop();
  fs.rmSync(ws, { recursive: true, force: true });
});

test('1,000 runs: every run has a row, and only the visible rows are in the DOM', { timeout: 120_000 }, async () => {
  const f = await table(wb.page);
  await waitCount(f, new RegExp(`^${RUNS} of ${RUNS} runs`));
  const rendered = await f.locator('.vrows-layer .xrow').count();
  const height = await f.locator('[data-testid=rows]').evaluate((el) => (el as unknown as { clientHeight: number }).clientHeight);
  console.log(
    `[experiments] ${rendered} DOM rows for ${RUNS} runs (${height} px of rows); first paint ${await f.locator('body').getAttribute('data-paint-ms')} ms after the snapshot`,
  );
  assert.ok(rendered >= Math.floor(height / 24), `at least the visible rows (${rendered})`);
  assert.ok(rendered <= Math.ceil(height / 24) + 14, `virtualised: ${rendered} DOM rows, not ${RUNS}`);
  // The run with a broken run.json keeps its row, marked with the problem.
  const broken = plan.find((r) => r.fault === 'malformed-run-json')!;
  await f.locator('input[data-control=filter]').fill(broken.id);
  await waitCount(f, /^1 of /);
  assert.equal(await cell(f, `run:${broken.id}`, 'status').getAttribute('data-status'), 'unreadable');
  assert.match((await f.locator(`.xrow[data-key="run:${broken.id}"]`).getAttribute('title')) ?? '', /problem: .*run\.json/);
  const badMeta = plan.find((r) => r.fault === 'malformed-meta')!;
  await f.locator('input[data-control=filter]').fill(badMeta.id);
  await waitCount(f, /^1 of /);
  assert.match((await f.locator(`.xrow[data-key="run:${badMeta.id}"]`).getAttribute('title')) ?? '', /meta\.json: .*not valid JSON/);
  await f.locator('input[data-control=filter]').fill('');
  await waitCount(f, new RegExp(`^${RUNS} of ${RUNS} runs`));
});

test('sorting by few-shot accuracy puts the run with the best last few-shot value first', { timeout: 60_000 }, async () => {
  const f = await table(wb.page);
  const painted = async () => Number((await f.locator('.experiments').getAttribute('data-painted-seq')) ?? 0);
  const before = await painted();
  await f.locator('.xhead [data-column="metric:few"]').click();
  // The webview sorts its own rows: the click's new order is painted without asking the host.
  await pollUntil('the sorted order painted', async () => (await painted()) > before, 10_000, 20);
  const best = Math.max(...plan.filter((r) => r.evals.length).map((r) => last(r)!.few));
  const expected = plan.filter((r) => r.evals.length && last(r)!.few === best).map((r) => r.id);
  const id = await pollUntil(
    'the sorted first row',
    async () => {
      const key = await firstRow(f).getAttribute('data-key');
      const sorted = (await f.locator('.xhead [data-column="metric:few"]').getAttribute('aria-sort')) === 'descending';
      return sorted && key && expected.includes(key.slice(4)) ? key.slice(4) : undefined;
    },
    15_000,
    50,
  );
  assert.equal(await cell(f, `run:${id}`, 'metric:few').textContent(), pct1(best));
  const header = (await f.locator('.xhead [data-column="metric:few"]').textContent()) ?? '';
  assert.match(header, /few % · last/, 'the header states the value mode');
  console.log(
    `[experiments] sort by few: ${await f.locator('.experiments').getAttribute('data-view-ms')} ms from the click to the new order painted`,
  );
  await wb.page.screenshot({ path: path.join(shots, 'experiments-table.png') });
});

// Filter words match substrings: data.classes=1000 names one class count, data.classes=10 three.
const target = (r: PlannedRun) => r.method === 'gpaco' && r.alpha === 0.05 && r.lr === 0.1 && r.classes === 1000;
const targetFilter = 'loss.kind=gpaco loss.alpha=0.05 optim.lr=0.1 data.classes=1000';

test('group by everything but seed shows the mean ± sample std (n) of the fixture', { timeout: 60_000 }, async () => {
  const f = await table(wb.page);
  await f.locator('select[data-control=group]').selectOption('seed');
  await f.locator('input[data-control=filter]').fill(targetFilter);
  const members = plan.filter(target);
  const withEvals = members.filter((r) => r.evals.length);
  await waitCount(f, new RegExp(`^${members.length} of ${RUNS} runs · 1 groups`));
  const group = f.locator('.vrows-layer .xrow.group').first();
  for (const m of ['few', 'top1', 'many'] as const) {
    const { mean, std } = meanStd(withEvals.map((r) => last(r)![m]));
    const text = std === null ? `${pct1(mean)} (1)` : `${pct1(mean)} ± ${pct1(std)} (${withEvals.length})`;
    assert.equal(await group.locator(`[data-field="metric:${m}"]`).textContent(), text, `${m} of the group`);
  }
  // Expanded, the group lists its members.
  await group.locator('[data-field=name]').click();
  await pollUntil('members shown', async () => (await f.locator('.vrows-layer .xrow.member').count()) === members.length, 10_000, 50);
  // Even grouped across data.classes too, runs with 10, 100 and 1000 classes never share a group, and the panel says why.
  await f.locator('input[data-control=filter]').fill('loss.kind=gpaco loss.alpha=0.05 optim.lr=0.1');
  await f.locator('select[data-control=group]').selectOption('except');
  await f.locator('select[data-control=except]').selectOption(['seed', 'data.classes']);
  await waitCount(f, /· 3 groups/);
  assert.match((await f.locator('[data-testid=group-note]').textContent()) ?? '', /never averaged together/);
  await f.locator('select[data-control=group]').selectOption('seed');
  await f.locator('input[data-control=filter]').fill(targetFilter);
  await waitCount(f, /· 1 groups/);
});

test('a group in Compare draws its mean accuracy and loss curves inside min-max bands', { timeout: 90_000 }, async () => {
  const { page } = wb;
  const f = await table(page);
  await f.locator('select[data-control=band]').selectOption('minmax');
  await f.locator('.vrows-layer .xrow.group [data-field=classes]').first().click();
  await f
    .locator('button[data-action=compare]')
    .click({ timeout: 10_000 })
    .catch(async (err) => {
      await page.screenshot({ path: path.join(shots, 'compare-failure.png') });
      throw err;
    });
  const c = await frameWith(page, '.compare-view');
  await c.locator('body[data-state=ready]').waitFor({ timeout: 30_000 });
  const view = c.locator('.compare-view');
  const members = plan.filter(target).filter((r) => r.evals.length);
  // Accuracy and training loss alike: the band's numbers are the fixture's values of the members
  // at each epoch (mean, min, max), and the canvas holds the band's fill.
  for (const [title, pickValue] of [
    ['Test accuracy', (e: PlannedRun['evals'][number]) => e.top1],
    ['Training loss', (e: PlannedRun['evals'][number]) => e.loss],
  ] as const) {
    const figure = chartFigure(view, title);
    const bands = await drawnBands(figure, 1);
    const band = bands[0]!;
    assert.equal(band.epochs.length, Math.max(...members.map((r) => r.evals.length)), `${title}: every evaluated epoch`);
    for (let i = 0; i < band.epochs.length; i++) {
      const at = members
        .map((r) => r.evals.find((e) => e.epoch === band.epochs[i]))
        .filter((e) => e !== undefined)
        .map(pickValue);
      const { mean } = meanStd(at);
      assert.ok(
        Math.abs(band.mean[i]! - mean) < 1e-9 && band.upper[i] === Math.max(...at) && band.lower[i] === Math.min(...at),
        `${title}: band at epoch ${band.epochs[i]}`,
      );
    }
    const { inside, outside } = await assertBandFilled(figure, band, title);
    console.log(`[experiments] ${title} band pixel ${inside.join(',')} (outside ${outside.join(',')}), colour ${band.color}`);
  }
  assert.equal(
    await c.locator(`table[data-testid=finals] tr.group-row [data-field=top1]`).textContent(),
    `${pct1(meanStd(members.map((r) => last(r)!.top1)).mean)}% ± ${pct1(meanStd(members.map((r) => last(r)!.top1)).std!)} (${members.length})`,
  );
  // Four methods' seed groups side by side, for the screenshot.
  const t = await table(page);
  await t.locator('input[data-control=filter]').fill('optim.lr=0.1 data.classes=10 loss.alpha=0.05');
  await waitCount(t, /· 4 groups/);
  await t.locator('.vrows-layer .xrow.group [data-field=classes]').first().click();
  for (let i = 1; i < 4; i++) await t.locator('.vrows-layer .xrow.group input.select').nth(i).click();
  await t.locator('button[data-action=compare]').click();
  const c4 = await pollUntil(
    'a compare panel with 4 bands',
    async () => {
      const n = await page.locator('iframe.webview.ready').count();
      for (let i = 0; i < n; i++) {
        const fr = page.frameLocator('iframe.webview.ready').nth(i).frameLocator('#active-frame');
        const b = await fr
          .locator('figure.chart[data-bands]')
          .first()
          .getAttribute('data-bands', { timeout: 500 })
          .catch(() => null);
        if (b && (JSON.parse(b) as unknown[]).length === 4) return fr;
      }
      return undefined;
    },
    30_000,
    200,
  );
  await c4.locator('table[data-testid=finals] tr.group-row').nth(3).waitFor();
  // The config differences: one column per group; the method each group shares, and its seeds,
  // which vary inside it (listed up to four, else counted).
  const diff = c4.locator('table[data-testid=config-diff]');
  const keys = await diff
    .locator('thead th[data-group]')
    .evaluateAll((ths) => ths.map((th) => (th as unknown as ElementLike).dataset.group ?? ''));
  assert.equal(keys.length, 4);
  for (const key of keys) {
    const ids = new Set(key.split(','));
    const ms = plan.filter((r) => ids.has(r.id));
    assert.equal(ms.length, ids.size, 'every member is in the fixture');
    const seeds = [...new Set(ms.map((r) => r.seed))].sort((a, b) => a - b);
    assert.ok(seeds.length > 1);
    assert.equal(
      await diff.locator(`tr[data-key="seed"] td[data-group="${key}"]`).textContent(),
      seeds.length <= 4 ? seeds.join(', ') : `${seeds.length} values`,
    );
    assert.equal(await diff.locator(`tr[data-key="loss.kind"] td[data-group="${key}"]`).textContent(), JSON.stringify(ms[0]!.method));
  }
  assert.equal(await diff.locator('tr[data-key="optim.lr"]').count(), 0, 'a key every group shares is not a difference');
  await page.screenshot({ path: path.join(shots, 'compare-grouped.png') });
});

test('parallel coordinates draw one polyline per selected row', { timeout: 60_000 }, async () => {
  const f = await table(wb.page);
  await f.locator('select[data-control=group]').selectOption('none');
  await f.locator('input[data-control=filter]').fill('loss.kind=gpaco optim.lr=0.1 data.classes=1000');
  const shown = plan.filter((r) => r.method === 'gpaco' && r.lr === 0.1 && r.classes === 1000);
  await waitCount(f, new RegExp(`^${shown.length} of `));
  const rows = f.locator('.vrows-layer .xrow.run');
  await rows.nth(0).locator('[data-field=created]').click();
  for (const i of [1, 2, 3]) await rows.nth(i).locator('input.select').click();
  const canvas = f.locator('canvas[data-testid=pcoords]');
  const lines = JSON.parse(
    await pollUntil(
      '4 polylines',
      () => canvas.getAttribute('data-lines').then((l) => (l && (JSON.parse(l) as unknown[]).length === 4 ? l : undefined)),
      10_000,
      50,
    ),
  ) as { points: [number, number][] }[];
  const axes = JSON.parse((await canvas.getAttribute('data-axes'))!) as string[];
  assert.equal(axes[axes.length - 1], 'metric:few');
  for (const l of lines) {
    assert.equal(l.points.length, axes.length, 'a vertex on every axis');
    // Half-way along the first segment the line's colour is on the canvas (not the background).
    const [a, b] = [l.points[0]!, l.points[1] ?? l.points[0]!];
    const rgba = await canvas.evaluate(
      (el, p) => {
        const c = el as unknown as CanvasLike & { clientWidth: number };
        const r = c.width / c.clientWidth;
        return Array.from(c.getContext('2d').getImageData(Math.round(p.x * r), Math.round(p.y * r), 1, 1).data);
      },
      { x: (a[0] + b[0]) / 2, y: (a[1] + b[1]) / 2 },
    );
    const bg = await canvas.evaluate((el) => Array.from((el as unknown as CanvasLike).getContext('2d').getImageData(2, 2, 1, 1).data));
    assert.notDeepEqual(rgba.slice(0, 3), bg.slice(0, 3), 'polyline drawn');
  }
});

test('a tag added in the table is in meta.json, the Runs tree and `gpaco ls --tag`', { timeout: 90_000 }, async () => {
  const { page } = wb;
  const f = await table(page);
  // The first run in the Runs tree (so its row is on screen there).
  const firstName = (await page.locator('.monaco-list-row .label-name').first().textContent())!.trim();
  const run = plan.find((r) => r.name === firstName)!;
  assert.ok(run, `the tree's first run ${firstName} is in the fixture`);
  await f.locator('input[data-control=filter]').fill(run.id);
  await waitCount(f, /^1 of /);
  await f.locator(`.xrow[data-key="run:${run.id}"] [data-field=created]`).click();
  await f.locator('button[data-action=tags]').click();
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 15_000 });
  await input.fill('+picked');
  await page.keyboard.press('Enter');
  const meta = await pollUntil(
    'meta.json with the tag',
    () => {
      try {
        const m = JSON.parse(fs.readFileSync(path.join(root, run.id, 'meta.json'), 'utf8')) as { tags: string[] };
        return m.tags.includes('picked') ? m : undefined;
      } catch {
        return undefined;
      }
    },
    15_000,
    100,
  );
  assert.ok(meta.tags.includes('picked'));
  await pollUntil(
    'tag in the table',
    async () => ((await cell(f, `run:${run.id}`, 'tags').textContent()) ?? '').includes('picked'),
    15_000,
    100,
  );
  await pollUntil('tag in the tree', async () => ((await treeRow(page, run.name).textContent()) ?? '').includes('#picked'), 15_000, 100);
  const ls = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'ls', '--runs-dir', root, '--tag', 'picked', '--json'], {
    encoding: 'utf8',
  });
  if (ls.status === 0) {
    assert.match(ls.stdout, new RegExp(run.id));
    assert.doesNotMatch(ls.stdout, new RegExp(plan[0]!.id));
  } else
    console.log(`[experiments] gpaco ls --tag is not available here (${ls.stderr.trim().split('\n')[0]}); checked meta.json and the tree`);
  await f.locator('input[data-control=filter]').fill('');
});

test('a finished evaluation updates its row without reloading the table', { timeout: 60_000 }, async () => {
  const f = await table(wb.page);
  // Sorted by few descending (from the sort test): a new best few value moves the run to the top.
  const run = plan.find((r) => r.status === 'completed' && r.classes === 100)!;
  const epoch = run.epochs + 1;
  const before = await f.locator('.experiments').getAttribute('data-built-at');
  const t0 = Date.now();
  fs.appendFileSync(
    path.join(root, run.id, 'metrics.jsonl'),
    `${JSON.stringify({ kind: 'eval', epoch, tag: `epoch-${String(epoch).padStart(4, '0')}`, top1: 0.5, top5: 0.7, many: 0.6, medium: 0.5, few: 0.9871, file: `evals/epoch-${epoch}.json`, time: new Date().toISOString() })}\n`,
  );
  await pollUntil('the row updated', async () => (await cell(f, `run:${run.id}`, 'metric:few').textContent()) === '98.7', 15_000, 20);
  console.log(`[experiments] live evaluation on screen ${Date.now() - t0} ms after the write`);
  assert.equal(await firstRow(f).getAttribute('data-key'), `run:${run.id}`, 'the new best few value sorts first');
  assert.equal(await cell(f, `run:${run.id}`, 'valueEpoch').textContent(), String(epoch));
  assert.notEqual(await f.locator('.experiments').getAttribute('data-built-at'), before);
  // The same page: no reload (the table kept its filter control and state).
  assert.equal(await f.locator('body').getAttribute('data-state'), 'ready');
});
