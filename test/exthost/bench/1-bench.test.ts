// Figures for the report (not timed tests: they print, and assert only that they were measured):
//  - time from a line appended to metrics.jsonl to the tree item showing it (100 appends);
//  - CPU use of the extension host while 200 idle runs are watched, and while one run trains.
// Run: node test/exthost/run.mjs bench   (after npm run build)
/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GpacoApi } from '../../../src/extension/api';
import type { NewRunResult } from '../../../src/extension/commands/newRun';
import { appendMetric, writeFixtureRun, writeFixtureRuns } from '../../../test/shared/fixtureRuns';
import { api, figure, percentile, repoRoot, useRunsDirectory, waitFor, workspaceDir } from '../helpers';

let gpaco: GpacoApi;

async function cpuPercent(ms: number): Promise<number> {
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const u = process.cpuUsage(u0);
  return ((u.user + u.system) / 1000 / (performance.now() - t0)) * 100;
}

suite('benchmarks', function () {
  this.timeout(600_000);
  suiteSetup(async () => {
    gpaco = await api();
  });

  test('metrics.jsonl append -> tree item (100 appends)', async () => {
    const root = await useRunsDirectory(gpaco, 'runs-latency');
    // A live process whose command line names the run, so the run shows as running (not interrupted).
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)', 'lat'], { stdio: 'ignore' });
    await new Promise((r) => sleeper.once('spawn', r));
    const dir = writeFixtureRun(root, { id: 'lat', status: 'running', epochs: 1000, done: 2, pid: sleeper.pid! });
    await vscode.commands.executeCommand('gpaco.refresh');
    await waitFor('the run', () => gpaco.treeItem('lat'));
    const samples: number[] = [];
    for (let i = 0; i < 100; i++) {
      const epoch = 3 + i;
      const want = `epoch ${epoch}/1000`;
      const seen = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${want} not shown after 5 s: ${gpaco.treeItem('lat')?.description}`)), 5000);
        const sub = gpaco.onDidUpdate(() => {
          if (gpaco.treeItem('lat')?.description.startsWith(want)) {
            clearTimeout(timer);
            sub.dispose();
            resolve(performance.now());
          }
        });
      });
      const t0 = performance.now();
      appendMetric(dir, {
        kind: 'epoch',
        epoch,
        loss: 1,
        accuracy: 0.5,
        lr: 0.01,
        seconds: 1,
        imagesPerSecond: 1,
        time: new Date().toISOString(),
      });
      samples.push((await seen) - t0);
      await new Promise((r) => setTimeout(r, 30));
    }
    sleeper.kill();
    samples.sort((a, b) => a - b);
    figure('append -> tree item: median', `${percentile(samples, 50).toFixed(1)} ms`);
    figure('append -> tree item: p95', `${percentile(samples, 95).toFixed(1)} ms`);
    figure('append -> tree item: max', `${samples[samples.length - 1]!.toFixed(1)} ms`);
    assert.equal(samples.length, 100);
  });

  test('CPU of the extension host: idle, 200 idle runs watched, one run training', async () => {
    const idle = await cpuPercent(5000);
    figure('extension host CPU, no runs (5 s)', `${idle.toFixed(2)} % of one core`);
    const dir = path.join(workspaceDir(), 'runs-200');
    writeFixtureRuns(
      dir,
      Array.from({ length: 200 }, (_, i) => ({
        id: `bulk-${String(i).padStart(3, '0')}`,
        status: 'completed' as const,
        order: i,
        epochs: 30,
        seed: i,
      })),
    );
    await useRunsDirectory(gpaco, 'runs-200');
    await waitFor('200 runs', () => gpaco.treeRoots().length === 200, 60_000);
    await new Promise((r) => setTimeout(r, 2000));
    const watched = await cpuPercent(10_000);
    figure('extension host CPU, 200 idle runs watched (10 s)', `${watched.toFixed(2)} % of one core`);

    await useRunsDirectory(gpaco, 'runs-train');
    gpaco.setTrainerScript(path.join(repoRoot(), 'dist', 'trainer.js'));
    const r = await vscode.commands.executeCommand<NewRunResult>('gpaco.newRun', {
      preset: 'synthetic-lt',
      name: 'bench-train',
      overrides: [
        'data.classes=10',
        'data.maxPerClass=200',
        'data.testPerClass=20',
        'model.width=8',
        'optim.epochs=200',
        'eval.every=1',
        'checkpoint.every=2',
        'backend=cpu',
      ],
    });
    assert.ok(r.ok, JSON.stringify(r));
    await waitFor('training', () => gpaco.runs().find((v) => v.dir === r.dir && v.status === 'running' && v.epoch >= 1), 120_000, 100);
    const before = gpaco.runs().find((v) => v.dir === r.dir)!.epoch;
    const training = await cpuPercent(10_000);
    const after = gpaco.runs().find((v) => v.dir === r.dir)!.epoch;
    figure(
      'extension host CPU, one run training (10 s)',
      `${training.toFixed(2)} % of one core (${after - before} epochs and their records seen meanwhile)`,
    );
    await vscode.commands.executeCommand('gpaco.stopRun', r.dir, { force: true });
    assert.ok(fs.existsSync(r.dir));
  });
});
