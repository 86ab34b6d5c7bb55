import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunManifest, SlurmLaunchRecord } from '../../../src/core/contract';
import {
  classifyJobState,
  describeJob,
  explainPendingReason,
  isJobFinished,
  LOST_STATE,
  slurmDisplayStatus,
} from '../../../src/core/slurm/states';
import { presetConfig } from '../core/fixtures';

function manifest(status: RunManifest['status'], launch?: Partial<SlurmLaunchRecord>): RunManifest {
  return {
    schema: 'gpaco-run/1',
    id: 'r',
    name: 'r',
    createdAt: '2026-01-01T00:00:00.000Z',
    status,
    pid: null,
    host: 'elsewhere',
    backend: null,
    startedAt: null,
    endedAt: null,
    exitCode: null,
    error: null,
    progress: { epoch: 0, epochs: 2 },
    config: presetConfig(),
    ...(launch ? { launch: { kind: 'slurm', jobId: '7', ...launch } } : {}),
  };
}

test('every documented job state has a class; unknown states count as still active', () => {
  const want: Record<string, string> = {
    PENDING: 'pending',
    REQUEUED: 'pending',
    REQUEUE_HOLD: 'pending',
    CONFIGURING: 'running',
    RUNNING: 'running',
    COMPLETING: 'running',
    SUSPENDED: 'running',
    STOPPED: 'running',
    RESIZING: 'running',
    SIGNALING: 'running',
    STAGE_OUT: 'running',
    COMPLETED: 'completed',
    FAILED: 'failed',
    OUT_OF_MEMORY: 'failed',
    NODE_FAIL: 'failed',
    BOOT_FAIL: 'failed',
    DEADLINE: 'failed',
    TIMEOUT: 'timeout',
    CANCELLED: 'cancelled',
    PREEMPTED: 'cancelled',
    REVOKED: 'cancelled',
    [LOST_STATE]: 'lost',
    SOMETHING_NEW: 'running',
  };
  for (const [state, cls] of Object.entries(want)) assert.equal(classifyJobState(state), cls, state);
  assert.equal(isJobFinished('COMPLETING'), false, 'COMPLETING: processes may still be alive');
  assert.equal(isJobFinished('TIMEOUT'), true);
  assert.equal(isJobFinished(undefined), false);
});

test('pending reasons: the ones that never resolve are flagged', () => {
  assert.equal(explainPendingReason('PartitionConfig').stuck, true);
  assert.equal(explainPendingReason('DependencyNeverSatisfied').stuck, true);
  assert.equal(explainPendingReason('Priority').stuck, false);
  assert.match(explainPendingReason('SomethingElse').text, /SomethingElse/);
});

test('display: a running run whose job is over is interrupted; a time-limit stop is interrupted; others unchanged', () => {
  assert.equal(slurmDisplayStatus(manifest('running', { state: 'TIMEOUT' }), 'running'), 'interrupted');
  assert.equal(slurmDisplayStatus(manifest('running', { state: LOST_STATE }), 'running'), 'interrupted');
  assert.equal(
    slurmDisplayStatus(manifest('running', { state: 'PENDING' }), 'running'),
    'running',
    'a stale PENDING while the trainer runs',
  );
  assert.equal(slurmDisplayStatus(manifest('stopped', { state: 'COMPLETED', timeLimit: true }), 'stopped'), 'interrupted');
  assert.equal(slurmDisplayStatus(manifest('stopped', { state: 'CANCELLED' }), 'stopped'), 'stopped');
  assert.equal(slurmDisplayStatus(manifest('completed', { state: 'COMPLETED' }), 'completed'), 'completed');
  assert.equal(slurmDisplayStatus(manifest('running'), 'running'), 'running', 'not a Slurm run');
});

test('job descriptions for trees and tables', () => {
  const l = (x: Partial<SlurmLaunchRecord>): SlurmLaunchRecord => ({ kind: 'slurm', jobId: '12', ...x });
  assert.equal(describeJob(l({ state: 'PENDING', reason: 'PartitionConfig' }), 'queued'), 'slurm 12 · PENDING (PartitionConfig)');
  assert.equal(describeJob(l({ state: 'PENDING' }), 'running'), 'slurm 12');
  assert.equal(describeJob(l({ state: 'COMPLETED', timeLimit: true }), 'stopped'), 'slurm 12 · time limit reached');
  assert.equal(describeJob(l({ jobId: null }), 'failed'), 'slurm (not submitted)');
});
