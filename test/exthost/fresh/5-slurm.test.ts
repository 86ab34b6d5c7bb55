// Slurm runs in the editor, against the real single-node test cluster
// (scripts/slurm/start-slurm.sh; scripts/setup.mjs starts it and exports SLURM_CONF, otherwise this
// suite starts it, which needs root). The Runs tree shows a Slurm run with its job id while it
// waits, runs and ends; a job that can never start shows its reason and Stop cancels it; a sweep
// becomes one job array and the compare panel opens on it.
/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GpacoApi } from '../../../src/extension/api';
import type { NewRunResult } from '../../../src/extension/commands/newRun';
import type { CommandResult } from '../../../src/extension/extension';
import type { NewSweepResult } from '../../../src/extension/commands/newSweep';
import { api, readJson, repoRoot, setMachineSetting, useRunsDirectory, waitFor } from '../helpers';
import { TINY_SLURM_SETS } from '../../../test/shared/tinySlurmRecipe';

const TINY = [...TINY_SLURM_SETS, 'optim.epochs=2', 'launch.kind=slurm'];

function controllerUp(conf: string): boolean {
  const r = spawnSync('scontrol', ['ping'], { env: { ...process.env, SLURM_CONF: conf }, encoding: 'utf8', timeout: 15_000 });
  return r.status === 0 && /is UP/.test(r.stdout);
}

/** SLURM_CONF of a running test cluster, in this (extension host) process: the launcher's sbatch inherits it. */
function ensureCluster(): void {
  if (process.env.SLURM_CONF && controllerUp(process.env.SLURM_CONF)) return;
  const dir = process.env.GPACO_SLURM_DIR ?? '/tmp/gpaco-slurm';
  const conf = path.join(dir, 'etc', 'slurm.conf');
  if (!controllerUp(conf)) {
    const r = spawnSync('bash', [path.join(repoRoot(), 'scripts/slurm/start-slurm.sh'), dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(r.status, 0, `the Slurm test cluster could not be started (root is needed): ${r.stderr}`);
  }
  process.env.SLURM_CONF = conf;
}

let gpaco: GpacoApi;
const view = (dir: string) => gpaco.runs().find((v) => v.dir === dir);
const jobOf = (dir: string) => readJson<{ launch?: { jobId?: string | null } }>(path.join(dir, 'run.json')).launch?.jobId ?? undefined;

suite('Slurm runs in the Runs tree', function () {
  this.timeout(180_000);
  suiteSetup(async () => {
    ensureCluster();
    gpaco = await api();
    gpaco.setTrainerScript(path.join(repoRoot(), 'dist', 'trainer.js'));
    await useRunsDirectory(gpaco, 'runs-slurm');
    await setMachineSetting('slurm.pollSeconds', 1);
  });
  suiteTeardown(async () => {
    for (const v of gpaco.runs())
      if (v.manifest?.launch?.kind === 'slurm' && (v.status === 'queued' || v.status === 'running'))
        await vscode.commands.executeCommand('gpaco.stopRun', v.dir, { force: true });
    await setMachineSetting('slurm.pollSeconds', undefined);
  });

  test('a Slurm run shows with its job id while it waits, trains and ends', async () => {
    const r = await vscode.commands.executeCommand<NewRunResult>('gpaco.newRun', {
      preset: 'synthetic-lt',
      name: 'on-slurm',
      overrides: TINY,
    });
    assert.ok(r.ok, JSON.stringify(r));
    const jobId = await waitFor('the job id in run.json', () => jobOf(r.dir));
    assert.match(jobId, /^\d+$/);
    const item = await waitFor('the job id in the tree', () =>
      gpaco.treeItem(r.runId)?.description.includes(`slurm ${jobId}`) ? gpaco.treeItem(r.runId) : undefined,
    );
    assert.match(item.description, new RegExp(`(queued|epoch \\d/2).* · slurm ${jobId}`));
    await waitFor('completed', () => view(r.dir)?.status === 'completed', 120_000);
    const done = await waitFor(
      'the job end in the tree',
      () => (gpaco.treeItem(r.runId)?.description.includes(`slurm ${jobId} · COMPLETED`) ? gpaco.treeItem(r.runId) : undefined),
      30_000,
    );
    assert.match(done.description, /^epoch 2\/2 · top-1 \d+\.\d% · few \d+\.\d% · slurm \d+ · COMPLETED$/);
    assert.match(done.tooltip, new RegExp(`slurm ${jobId} · COMPLETED`));
    assert.equal(done.icon, 'pass');
    assert.ok(fs.existsSync(path.join(r.dir, 'slurm-job.sh')));
  });

  test('a job that can never start shows its pending reason; Stop cancels it', async () => {
    const r = await vscode.commands.executeCommand<NewRunResult>('gpaco.newRun', {
      preset: 'synthetic-lt',
      name: 'never',
      overrides: [...TINY, 'launch.slurm.cpus=99'],
    });
    assert.ok(r.ok, JSON.stringify(r));
    const item = await waitFor(
      'the pending reason',
      () => (/PENDING \(PartitionConfig\)/.test(gpaco.treeItem(r.runId)?.description ?? '') ? gpaco.treeItem(r.runId) : undefined),
      30_000,
    );
    assert.match(item.description, /^queued · slurm \d+ · PENDING \(PartitionConfig\)$/);
    assert.match(item.tooltip, /will never start/);
    const stop = await vscode.commands.executeCommand<CommandResult>('gpaco.stopRun', r.runId);
    assert.ok(stop.ok, JSON.stringify(stop));
    await waitFor('stopped', () => view(r.dir)?.status === 'stopped', 30_000);
    assert.match(gpaco.treeItem(r.runId)!.description, /slurm \d+ · CANCELLED/);
  });

  test('gpaco.newSweep: a 2-point grid becomes one job array and the compare panel opens on it', async () => {
    const r = await vscode.commands.executeCommand<NewSweepResult>('gpaco.newSweep', {
      preset: 'synthetic-lt',
      grid: ['optim.epochs=1,2'],
      overrides: TINY,
      name: 'sw',
    });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.runs.length, 2);
    assert.match(r.jobId ?? '', /^\d+$/);
    r.runs.forEach((run, i) => assert.equal(jobOf(run.dir), `${r.jobId}_${i}`));
    await waitFor(
      'the compare panel',
      () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.label === 'GPaCo: compare 2 runs'),
      30_000,
    );
    for (const run of r.runs) await waitFor(`${run.label} completed`, () => view(run.dir)?.status === 'completed', 120_000);
    const sweepIds = r.runs.map((run) => view(run.dir)?.manifest?.sweepId);
    assert.deepEqual(sweepIds, [r.sweepId, r.sweepId]);
  });
});
