import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { RunManifest, SlurmLaunchRecord } from '../../../src/core/contract';
import { applyPatch, readExitMarker, reconcile, type ExitMarker } from '../../../src/core/slurm/follow';
import { slurmDisplayStatus, LOST_STATE } from '../../../src/core/slurm/states';
import { presetConfig } from '../core/fixtures';
import { tempDir } from '../../../test/shared/tmp';

const NOW = new Date('2026-02-01T10:00:00.000Z');

function manifest(status: RunManifest['status'], launch: Partial<SlurmLaunchRecord> = {}): RunManifest {
  return {
    schema: 'gpaco-run/1',
    id: 'r',
    name: 'r',
    createdAt: '2026-01-01T00:00:00.000Z',
    status,
    pid: null,
    host: 'node7',
    backend: null,
    startedAt: null,
    endedAt: null,
    exitCode: null,
    error: null,
    progress: { epoch: 0, epochs: 2 },
    config: presetConfig(),
    launch: { kind: 'slurm', jobId: '7', state: 'PENDING', reason: 'None', ...launch },
  };
}
const job = (state: string, reason = 'None', exitCode?: string) => ({
  kind: 'job' as const,
  job: { jobId: '7', state, reason, ...(exitCode ? { exitCode } : {}) },
});

test('pending: a new reason is recorded while queued; nothing is written while the trainer runs', () => {
  const r = reconcile(manifest('queued'), job('PENDING', 'PartitionConfig'), undefined, NOW);
  assert.deepEqual(r, { patch: { launch: { kind: 'slurm', jobId: '7', state: 'PENDING', reason: 'PartitionConfig' } }, finished: false });
  assert.deepEqual(
    reconcile(manifest('queued', { reason: 'PartitionConfig' }), job('PENDING', 'PartitionConfig'), undefined, NOW).patch,
    null,
  );
  assert.deepEqual(reconcile(manifest('running'), job('RUNNING'), undefined, NOW), { patch: null, finished: false });
  assert.deepEqual(
    reconcile(manifest('queued'), job('RUNNING'), undefined, NOW),
    { patch: null, finished: false },
    'started: its trainer writes run.json now',
  );
  assert.deepEqual(
    reconcile(manifest('queued'), job('COMPLETING'), undefined, NOW),
    { patch: null, finished: false },
    'COMPLETING is not the end',
  );
});

test('ended before the trainer started: cancelled -> stopped, anything else -> failed with Slurm\u2019s words', () => {
  const c = reconcile(manifest('queued'), job('CANCELLED', 'PartitionConfig', '0:0'), undefined, NOW);
  assert.equal(c.finished, true);
  assert.equal(c.patch?.status, 'stopped');
  const f = reconcile(manifest('queued'), job('FAILED', 'JobLaunchFailure', '0:53'), undefined, NOW);
  assert.equal(f.patch?.status, 'failed');
  assert.equal(f.patch?.exitCode, 128 + 53);
  assert.equal(
    f.patch?.error?.message,
    'Slurm job 7 ended FAILED (JobLaunchFailure) with exit code 0:53 before the trainer started; see trainer.log',
  );
  const lost = reconcile(manifest('queued'), { kind: 'gone' }, undefined, NOW);
  assert.equal(lost.patch?.status, 'failed');
  assert.match(lost.patch?.error?.message ?? '', /no longer knows job 7 and the trainer never started/);
});

test('ended while the trainer ran: only the job facts are written; the run shows interrupted', () => {
  const m = manifest('running');
  const r = reconcile(m, job('TIMEOUT', 'TimeLimit', '0:15'), undefined, NOW);
  assert.deepEqual(r.patch, {
    launch: { kind: 'slurm', jobId: '7', state: 'TIMEOUT', reason: 'TimeLimit', exitCode: '0:15', timeLimit: true },
  });
  assert.equal(slurmDisplayStatus(applyPatch(m, r.patch), 'running'), 'interrupted');
  const gone = reconcile(m, { kind: 'gone' }, undefined, NOW);
  assert.equal((gone.patch?.launch as SlurmLaunchRecord).state, LOST_STATE);
  assert.equal(gone.patch?.status, undefined);
});

test('the run\u2019s own files decide: a completed run stays completed whatever Slurm says', () => {
  for (const obs of [job('FAILED', 'NonZeroExitCode', '1:0'), job('CANCELLED'), { kind: 'gone' as const }]) {
    const r = reconcile(manifest('completed'), obs, undefined, NOW);
    assert.equal(r.patch?.status, undefined);
    assert.equal(applyPatch(manifest('completed'), r.patch).status, 'completed');
  }
});

test('the exit marker of the same job tells how a forgotten job ended, and a time-limit stop', () => {
  const marker: ExitMarker = { jobId: '7', exitCode: 0, signal: 'USR1' };
  const r = reconcile(manifest('stopped'), { kind: 'gone' }, marker, NOW);
  assert.deepEqual(r.patch, {
    launch: { kind: 'slurm', jobId: '7', state: 'COMPLETED', reason: 'None', exitCode: '0:0', timeLimit: true },
  });
  assert.equal(slurmDisplayStatus(applyPatch(manifest('stopped'), r.patch), 'stopped'), 'interrupted');
  const other = reconcile(manifest('stopped'), { kind: 'gone' }, { ...marker, jobId: '6' }, NOW);
  assert.equal((other.patch?.launch as SlurmLaunchRecord).state, LOST_STATE, 'a marker of an earlier job says nothing');
});

test('readExitMarker: the batch script\u2019s JSON, or nothing', (t) => {
  const dir = tempDir(t);
  assert.equal(readExitMarker(dir), undefined);
  fs.writeFileSync(path.join(dir, 'slurm-exit.json'), '{"jobId":"7","exitCode":143,"signal":"TERM","host":"n1","time":"t"}\n');
  assert.deepEqual(readExitMarker(dir), { jobId: '7', exitCode: 143, signal: 'TERM', host: 'n1', time: 't' });
  fs.writeFileSync(path.join(dir, 'slurm-exit.json'), '{"jobId":');
  assert.equal(readExitMarker(dir), undefined);
});
