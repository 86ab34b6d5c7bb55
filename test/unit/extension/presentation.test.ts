import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunManifest } from '../../../src/core/contract';
import {
  checkpointDescription,
  percent,
  runContextValue,
  runDescription,
  runTooltipLines,
  statusIcon,
} from '../../../src/extension/model/presentation';
import type { RunView } from '../../../src/extension/model/runView';
import { statusBarModel } from '../../../src/extension/model/statusBarModel';
import { fixtureConfig } from '../../../test/shared/fixtureRuns';

function view(over: Partial<RunView> = {}, manifest: Partial<RunManifest> = {}): RunView {
  const m: RunManifest = {
    schema: 'gpaco-run/1',
    id: 'r1',
    name: 'my run',
    createdAt: '2026-01-01T00:00:00.000Z',
    status: 'running',
    pid: 1,
    host: 'h',
    backend: 'wasm',
    startedAt: '2026-01-01T00:00:01.000Z',
    endedAt: null,
    exitCode: null,
    error: null,
    progress: { epoch: 12, epochs: 100 },
    config: fixtureConfig(100, 10),
    ...manifest,
  };
  return {
    dir: '/runs/r1',
    id: 'r1',
    root: '/runs',
    status: 'running',
    manifest: m,
    problem: null,
    epoch: 12,
    epochs: 100,
    latestEval: { epoch: 12, tag: 'epoch-0012', top1: 0.541, many: 0.8, medium: 0.5, few: 0.31 },
    checkpoints: [],
    pending: null,
    tags: [],
    metaProblem: null,
    ...over,
  };
}

test('percent has one decimal', () => {
  assert.equal(percent(0.541), '54.1%');
  assert.equal(percent(1), '100.0%');
});

test('the description reads epoch, top-1 and few', () => {
  assert.equal(runDescription(view()), 'epoch 12/100 · top-1 54.1% · few 31.0%');
  assert.equal(runDescription(view({ latestEval: null })), 'epoch 12/100');
  assert.equal(runDescription(view({ status: 'stopped' })), 'epoch 12/100 · top-1 54.1% · few 31.0% · stopped');
  assert.equal(runDescription(view({ status: 'interrupted' })), 'epoch 12/100 · top-1 54.1% · few 31.0% · interrupted');
  assert.equal(runDescription(view({ status: 'queued', epoch: 0, latestEval: null, pending: 'start' })), 'queued');
  assert.equal(runDescription(view({ status: 'queued', epoch: 0, latestEval: null })), 'queued (not started by this window)');
  assert.equal(
    runDescription(view({ status: 'stopped', pending: 'resume' })),
    'waiting to resume · epoch 12/100 · top-1 54.1% · few 31.0% · stopped',
  );
  assert.equal(runDescription(view({ status: 'unreadable', manifest: null })), 'unreadable: run.json cannot be read');
  // The same wording as gpaco ls / show: "unreadable: <file>: <why>".
  assert.equal(
    runDescription(view({ status: 'unreadable', manifest: null, problem: '/r/run.json: not a regular file (a FIFO)' })),
    'unreadable: /r/run.json: not a regular file (a FIFO)',
  );
  assert.equal(
    runDescription(view({ status: 'stopped', partial: ['/r/checkpoints/index.json: too large'] })),
    'epoch 12/100 · top-1 54.1% · few 31.0% · partly readable · stopped',
  );
});

test('icons: spinner while running, one per status', () => {
  assert.equal(statusIcon('running').id, 'sync~spin');
  const ids = (['queued', 'running', 'completed', 'failed', 'stopped', 'interrupted', 'unreadable'] as const).map((s) => statusIcon(s).id);
  assert.equal(new Set(ids).size, ids.length);
});

test('context values carry the status and whether there are checkpoints', () => {
  assert.equal(runContextValue(view()), 'run:running');
  const ckpt = {
    tag: 'epoch-0002',
    epoch: 2,
    step: 20,
    path: 'checkpoints/epoch-0002',
    top1: 0.5,
    many: 0.6,
    medium: 0.5,
    few: null,
    bytes: 1,
    time: '',
    best: true,
  };
  assert.equal(runContextValue(view({ status: 'stopped', checkpoints: [ckpt] })), 'run:stopped:ckpt');
  assert.equal(checkpointDescription(ckpt), 'epoch 2 · top-1 50.0% · many 60.0% · medium 50.0% · best');
});

test('the tooltip has the config summary, backend and error', () => {
  const lines = runTooltipLines(
    view({ status: 'failed' }, { error: { message: 'boom' }, backendInfo: { name: 'wasm', detail: 'wasm (SIMD, 1 thread)' } }),
  );
  assert.ok(lines.includes('backend: wasm (SIMD, 1 thread)'));
  assert.ok(lines.some((l) => l.startsWith('data: synthetic (10 classes)')));
  assert.ok(lines.includes('error: boom'));
});

test('the status bar shows the most recent running run and the counts', () => {
  assert.equal(statusBarModel([]), null);
  assert.equal(statusBarModel([view({ status: 'completed' })]), null);
  const older = view({ dir: '/runs/a', epoch: 3 }, { startedAt: '2026-01-01T00:00:00.000Z' });
  const newer = view({ dir: '/runs/b', epoch: 12 }, { startedAt: '2026-01-02T00:00:00.000Z' });
  const queued = view({ dir: '/runs/c', status: 'queued', pending: 'start' });
  assert.deepEqual(statusBarModel([newer])?.text, '$(sync~spin) GPaCo 12/100 · 54.1%');
  const m = statusBarModel([older, newer, queued])!;
  assert.equal(m.text, '$(sync~spin) GPaCo 12/100 · 54.1% (2 running, 1 queued)');
  assert.equal(m.targetDir, '/runs/b');
  assert.equal(statusBarModel([queued])!.text, '$(clock) GPaCo 1 queued');
});
