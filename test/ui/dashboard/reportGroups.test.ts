// `gpaco report --group-by-config` in Debian's Chromium: the report's Compare tab is the compare
// panel's view of the groups (mean loss and accuracy curves with bands, group statistics, a
// config column per group, the difference of two groups' summed matrices). Every number is
// computed here from the sweep fixture's plan.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { writeSweepFixture, type PlannedRun } from '../../fixtures/experiments/generate';
import { launchBrowser, repoRoot } from '../harness';
import { assertBandFilled, chartFigure, drawnBands } from './bandProbe';
import type { ElementLike } from './matrixProbe';

const shots = path.join(repoRoot, 'test-results', 'dashboard');
let root: string;
let browser: Browser;
let plan: PlannedRun[];

type Eval = PlannedRun['evals'][number];

/** Mean and sample std, written out here so the check does not use the code under test. */
function meanStd(xs: number[]): { mean: number; std: number | null } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return { mean, std: null };
  return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) };
}

function report(args: string[], out: string): string {
  const file = path.join(root, out);
  const r = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'dist', 'cli.js'), 'report', '--group-by-config', ...args, '--runs-dir', path.join(root, 'runs'), '--out', file],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, `gpaco report failed: ${r.stderr}`);
  return file;
}

async function open(file: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('request', (r) => {
    if (!/^(file|data|blob):/.test(r.url())) errors.push(`network request ${r.url()}`);
  });
  await page.goto(`file://${file}`);
  await page.locator('body[data-state=ready]').waitFor({ timeout: 20_000 });
  await page.locator('vscode-tab-header[data-compare]').click();
  return { page, errors };
}

/** An alpha whose two gpaco 10-class groups (lr 0.05 and 0.1) have every member evaluated, so both have a summed matrix. */
function pickAlpha(): number {
  const alphas = [...new Set(plan.map((p) => p.alpha))];
  const alpha = alphas.find((a) => plan.filter((p) => p.method === 'gpaco' && p.classes === 10 && p.alpha === a).every((p) => p.done > 0));
  assert.ok(alpha !== undefined, 'the fixture has such an alpha');
  return alpha;
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-ui-report-groups-'));
  // Three seeds of every config, every evaluation with its file (so groups have a common epoch).
  plan = writeSweepFixture(path.join(root, 'runs'), { runs: 360, evals: 4, evalFiles: 'all', faults: false });
  fs.mkdirSync(shots, { recursive: true });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('grouped report', () => {
  it('the Compare tab shows the groups as the compare panel does: bands, statistics, config columns, summed matrices', async () => {
    const alpha = pickAlpha();
    const file = report(['--filter', `loss.kind=gpaco data.classes=10 loss.alpha=${alpha}`], 'groups.html');
    const { page, errors } = await open(file);
    try {
      const view = page.locator('.compare-view');
      assert.equal(await page.locator('vscode-tab-header[data-compare]').textContent(), 'Compare groups');
      // Two groups (lr 0.05 and 0.1), each three seeds.
      const byKey = (key: string) => {
        const ids = new Set(key.split(','));
        const ms = plan.filter((p) => ids.has(p.id));
        assert.equal(ms.length, ids.size);
        return ms;
      };
      for (const [title, value] of [
        ['Test accuracy', (e: Eval) => e.top1],
        ['Training loss', (e: Eval) => e.loss],
      ] as const) {
        const bands = await drawnBands(chartFigure(view, title), 2);
        for (const band of bands) {
          const ms = byKey(band.key);
          assert.equal(ms.length, 3);
          assert.ok(ms.every((p) => p.method === 'gpaco' && p.alpha === alpha && p.classes === 10 && p.lr === ms[0]!.lr));
          band.epochs.forEach((epoch, i) => {
            const at = ms.flatMap((p) => p.evals.filter((e) => e.epoch === epoch).map(value));
            const { mean, std } = meanStd(at);
            assert.ok(Math.abs(band.mean[i]! - mean) < 1e-9, `${title} mean at epoch ${epoch}`);
            assert.ok(Math.abs(band.upper[i]! - (mean + (std ?? 0))) < 1e-9, `${title} +1 std at epoch ${epoch}`);
          });
        }
      }
      // Group statistics: mean ± sample std (n) of the members' latest evaluations; the epoch of the summed matrix.
      const rows = page.locator('table[data-testid=finals] tr.group-row');
      assert.equal(await rows.count(), 2);
      for (let i = 0; i < 2; i++) {
        const ms = byKey((await rows.nth(i).getAttribute('data-group'))!);
        const { mean, std } = meanStd(ms.map((p) => p.evals.at(-1)!.few));
        assert.equal(
          await rows.nth(i).locator('[data-field=few]').textContent(),
          `${(mean * 100).toFixed(1)}% ± ${(std! * 100).toFixed(1)} (3)`,
        );
        assert.equal(await rows.nth(i).locator('td').nth(2).textContent(), String(Math.min(...ms.map((p) => p.done))));
      }
      // Config differences: one column per group; the lr each shares, and the seeds that vary inside it.
      const diff = page.locator('table[data-testid=config-diff]');
      const keys = await diff
        .locator('thead th[data-group]')
        .evaluateAll((ths) => ths.map((th) => (th as unknown as ElementLike).dataset.group ?? ''));
      assert.equal(keys.length, 2);
      for (const key of keys) {
        const ms = byKey(key);
        assert.equal(await diff.locator(`tr[data-key="optim.lr"] td[data-group="${key}"]`).textContent(), JSON.stringify(ms[0]!.lr));
        const seeds = [...new Set(ms.map((p) => p.seed))].sort((a, b) => a - b);
        assert.equal(await diff.locator(`tr[data-key="seed"] td[data-group="${key}"]`).textContent(), seeds.join(', '));
      }
      assert.equal(await diff.locator('tr[data-key="loss.alpha"]').count(), 0, 'a key both groups share is no difference');
      // The confusion difference of the two groups' summed matrices.
      const canvas = view.locator('canvas.matrix-base');
      await canvas.waitFor();
      assert.equal(await canvas.evaluate((el) => (el as unknown as ElementLike).dataset.kind), 'difference');
      assert.match((await view.locator('.matrix-figure .note').first().textContent()) ?? '', /sum of 3, epoch \d+/);
      await page.screenshot({ path: path.join(shots, 'report-groups.png'), fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it("one group's loss band is on the canvas", async () => {
    const alpha = pickAlpha();
    const { page, errors } = await open(
      report(['--band', 'minmax', '--filter', `loss.kind=gpaco data.classes=10 loss.alpha=${alpha} optim.lr=0.1`], 'one.html'),
    );
    try {
      const figure = chartFigure(page.locator('.compare-view'), 'Training loss');
      const [band] = await drawnBands(figure, 1);
      const ms = plan.filter((p) => p.method === 'gpaco' && p.classes === 10 && p.alpha === alpha && p.lr === 0.1);
      band!.epochs.forEach((epoch, i) => {
        const at = ms.flatMap((p) => p.evals.filter((e) => e.epoch === epoch).map((e) => e.loss));
        assert.equal(band!.upper[i], Math.max(...at), `max at epoch ${epoch}`);
        assert.equal(band!.lower[i], Math.min(...at), `min at epoch ${epoch}`);
      });
      await assertBandFilled(figure, band!, 'report loss band');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
});
