// A PyTorch run (trainer.kind "command": experiments/pytorch-example.gpaco.json, real PyTorch)
// launched by the real New Run command: it appears in the tree, completes, and its open
// dashboard posts exactly the numbers of its eval files; Stop reaches the script's
// stop_requested() and the run ends stopped. Prints the time from each log_eval to the
// dashboard posting it.
/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EvalRecord } from '../../../src/core/contract';
import { readAllMetrics } from '../../../src/core/metricsLog';
import { readClassesFile, readEvalFile, readRunManifest, runPaths } from '../../../src/core/runDirectory';
import type { GpacoApi } from '../../../src/extension/api';
import type { NewRunResult } from '../../../src/extension/commands/newRun';
import type { CommandResult } from '../../../src/extension/extension';
import { findPython } from '../../../test/shared/python';
import { api, repoRoot, useRunsDirectory, waitFor } from '../helpers';

let gpaco: GpacoApi;
const view = (dir: string) => gpaco.runs().find((v) => v.dir === dir);

/** The example, small: synthetic data, a narrow net, this machine's Python with torch. */
function overrides(epochs: number): string[] {
  return [
    `trainer.argv=${JSON.stringify([findPython(), 'examples/pytorch/train.py', '--threads', '1'])}`,
    'data.kind=synthetic',
    'data.maxPerClass=150',
    'data.testPerClass=40',
    'model.width=8',
    `optim.epochs=${epochs}`,
    'optim.warmupEpochs=0',
  ];
}

function logTail(dir: string): string {
  return fs.readFileSync(runPaths(dir).log, 'utf8').slice(-3000);
}

suite('a PyTorch run (command trainer)', function () {
  this.timeout(300_000);

  suiteSetup(async () => {
    gpaco = await api();
    await useRunsDirectory(gpaco, 'runs-pytorch');
  });
  suiteTeardown(async () => {
    for (const v of gpaco.runs()) if (v.status === 'running') await vscode.commands.executeCommand('gpaco.stopRun', v.dir, { force: true });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('New Run launches the example for 2 epochs: tree, completed, dashboard numbers = eval files', async () => {
    const configPath = path.join(repoRoot(), 'experiments', 'pytorch-example.gpaco.json');
    const r = await vscode.commands.executeCommand<NewRunResult>('gpaco.newRun', { configPath, name: 'torch-2', overrides: overrides(2) });
    assert.ok(r.ok, JSON.stringify(r));
    await waitFor('the run in the tree', () => gpaco.treeItem(r.runId));
    const opened = await vscode.commands.executeCommand<CommandResult>('gpaco.openDashboard', r.runId);
    assert.ok(opened.ok, JSON.stringify(opened));

    // Watch the dashboard while the run trains: when did each evaluation first reach it?
    const firstPosted = new Map<string, number>();
    // Sampled every 5 ms and by the wait below, so the snapshot that ends the wait is counted too
    // (postedAt is when the host posted it, whenever it is sampled).
    const sample = () => {
      const s = gpaco.dashboardSnapshot(r.runId);
      for (const tag of s?.snapshot.evals.tag ?? []) if (!firstPosted.has(tag)) firstPosted.set(tag, s!.postedAt);
      return s;
    };
    const watch = setInterval(sample, 5);
    try {
      await waitFor('the run to end', () => ['completed', 'failed', 'stopped'].includes(view(r.dir)?.status ?? ''), 280_000, 100);
      const v = view(r.dir)!;
      assert.equal(v.status, 'completed', `${v.manifest?.error?.message}\n${logTail(r.dir)}`);
      await waitFor('the dashboard to show epoch-0002', () => sample()?.snapshot.selected?.tag === 'epoch-0002', 30_000);
    } finally {
      clearInterval(watch);
    }

    const m = readRunManifest(r.dir);
    assert.equal(m.exitCode, 0);
    assert.match(m.backend ?? '', /^pytorch-(cpu|cuda)$/);
    const item = gpaco.treeItem(r.runId)!;
    assert.match(item.description, /^epoch 2\/2 · top-1 \d+\.\d% · few \d+\.\d%$/);
    assert.equal(item.icon, 'pass');

    const snap = gpaco.dashboardSnapshot(r.runId)!.snapshot;
    const classes = readClassesFile(r.dir)!;
    assert.deepEqual(snap.evals.tag, ['epoch-0001', 'epoch-0002']);
    assert.deepEqual(snap.warnings, []);
    snap.evals.tag.forEach((tag, i) => {
      const ev = readEvalFile(r.dir, tag);
      assert.deepEqual(
        [snap.evals.top1[i], snap.evals.top5[i], snap.evals.many[i], snap.evals.medium[i], snap.evals.few[i]],
        [ev.top1, ev.top5, ev.groupAccuracy.many, ev.groupAccuracy.medium, ev.groupAccuracy.few],
        tag,
      );
    });
    const last = readEvalFile(r.dir, 'epoch-0002');
    const sel = snap.selected!;
    assert.deepEqual([sel.n, sel.top1, sel.top5, sel.groupAccuracy], [last.n, last.top1, last.top5, last.groupAccuracy]);
    assert.deepEqual(
      sel.perClassAccuracy,
      snap.classes!.label.map((l) => last.perClassAccuracy[l]),
    );
    assert.deepEqual(
      snap.classes!.trainCounts,
      snap.classes!.label.map((l) => classes.trainCounts[l]),
    );
    assert.equal(snap.run.status, 'completed');
    assert.equal(snap.checkpoints.filter((c) => c.hasCheckpoint).length, 2);

    const evals = readAllMetrics(runPaths(r.dir).metrics).filter((rec): rec is EvalRecord => rec.kind === 'eval');
    const lags = evals.map(
      (e) => `${e.tag} ${firstPosted.has(e.tag) ? `${firstPosted.get(e.tag)! - Date.parse(e.time)} ms` : 'not seen live'}`,
    );
    console.log(`      [pytorch] log_eval -> dashboard snapshot posted: ${lags.join(', ')}`);
    assert.ok(
      evals.every((e) => firstPosted.has(e.tag)),
      'every evaluation reached the open dashboard',
    );
  });

  test('Stop sends SIGINT to the process group: the script stops after its epoch and the run is stopped', async () => {
    const configPath = path.join(repoRoot(), 'experiments', 'pytorch-example.gpaco.json');
    const r = await vscode.commands.executeCommand<NewRunResult>('gpaco.newRun', {
      configPath,
      name: 'torch-stop',
      overrides: overrides(500),
    });
    assert.ok(r.ok, JSON.stringify(r));
    await waitFor(
      'a training step',
      () =>
        view(r.dir)?.status === 'running' &&
        fs.existsSync(runPaths(r.dir).metrics) &&
        readAllMetrics(runPaths(r.dir).metrics).some((x) => x.kind === 'step'),
      200_000,
      100,
    );
    const stop = await vscode.commands.executeCommand<CommandResult>('gpaco.stopRun', r.runId);
    assert.ok(stop.ok, JSON.stringify(stop));
    await waitFor('stopped', () => ['stopped', 'failed', 'completed'].includes(view(r.dir)?.status ?? ''), 120_000, 100);
    const m = readRunManifest(r.dir);
    assert.equal(m.status, 'stopped', `${m.error?.message}\n${logTail(r.dir)}`);
    assert.equal(m.exitCode, 0);
    assert.ok(m.progress.epoch < 500);
    assert.match(logTail(r.dir), /stop requested: stopping after epoch \d+/);
  });
});
