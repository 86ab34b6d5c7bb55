// How the Runs tree describes a Slurm run (pure functions of the extension's model).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DisplayStatus, RunManifest, SlurmLaunchRecord } from '../../../src/core/contract';
import { runDescription, runTooltipLines, statusIcon } from '../../../src/extension/model/presentation';
import type { RunView } from '../../../src/extension/model/runView';
import { presetConfig } from '../core/fixtures';

function view(status: DisplayStatus, runStatus: RunManifest['status'], launch: Partial<SlurmLaunchRecord>): RunView {
  const manifest: RunManifest = {
    schema: 'gpaco-run/1',
    id: 'r1',
    name: 'r1',
    createdAt: '2026-01-01T00:00:00.000Z',
    status: runStatus,
    pid: null,
    host: 'n1',
    backend: null,
    startedAt: null,
    endedAt: null,
    exitCode: null,
    error: null,
    progress: { epoch: 0, epochs: 4 },
    config: presetConfig(),
    launch: { kind: 'slurm', jobId: '42', ...launch },
  };
  return {
    dir: '/runs/r1',
    id: 'r1',
    root: '/runs',
    status,
    manifest,
    problem: null,
    epoch: 0,
    epochs: 4,
    latestEval: null,
    checkpoints: [],
    pending: null,
    tags: [],
    metaProblem: null,
  };
}

test('a pending Slurm run shows its job id and pending reason; its tooltip explains the reason', () => {
  const v = view('queued', 'queued', { state: 'PENDING', reason: 'PartitionConfig' });
  assert.equal(runDescription(v), 'queued · slurm 42 · PENDING (PartitionConfig)');
  assert.ok(runTooltipLines(v).some((l) => /^slurm 42 · PENDING \(PartitionConfig\) — the request .* will never start$/.test(l)));
});

test('running, unknown and time-limited Slurm runs', () => {
  assert.equal(runDescription(view('running', 'running', { state: 'PENDING' })), 'epoch 0/4 · slurm 42');
  const unknown = view('unknown', 'running', { state: 'PENDING' });
  assert.match(runDescription(unknown), /slurm 42 · unknown$/);
  assert.ok(runTooltipLines(unknown).some((l) => l.endsWith('the Slurm controller does not answer')));
  assert.ok(statusIcon('unknown').id.length > 0);
  assert.equal(
    runDescription(view('interrupted', 'stopped', { state: 'COMPLETED', timeLimit: true })),
    'epoch 0/4 · slurm 42 · time limit reached · interrupted',
  );
});
