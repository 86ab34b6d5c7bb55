import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { closestMatches, createdAtFromId, displayStatus, findRun, isProcessAlive, listRuns, summarizeRun } from '../../../src/core/catalog';
import { MetricsWriter } from '../../../src/core/metricsLog';
import {
  createRunDirectory,
  readRunManifest,
  runPaths,
  updateRunManifest,
  writeCheckpointIndex,
  writeEvalFile,
} from '../../../src/core/runDirectory';
import { checkpointEntry, evalFile, makeCheckpointFolder, presetConfig } from './fixtures';
import { tempDir } from '../../../test/shared/tmp';

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function makeRun(root: string, name: string, minute: number) {
  return createRunDirectory(root, { config: presetConfig(), name, now: new Date(2025, 0, 1, 10, minute, 0) });
}

test('isProcessAlive: this process yes, an exited one no, nonsense no', () => {
  assert.equal(isProcessAlive(process.pid), true);
  assert.equal(isProcessAlive(deadPid()), false);
  assert.equal(isProcessAlive(0), false);
  assert.equal(isProcessAlive(-5), false);
});

test('listRuns: newest first, with display status, latest eval and complete checkpoints', (t) => {
  const root = tempDir(t);
  const a = makeRun(root, 'oldest', 1);
  const b = makeRun(root, 'middle', 2);
  const c = makeRun(root, 'newest', 3);
  updateRunManifest(a.dir, { status: 'completed', progress: { epoch: 12 } });
  // b: has metrics with two evals, the second one is the latest; a torn line at the end.
  const w = new MetricsWriter(runPaths(b.dir).metrics);
  for (const epoch of [2, 4]) {
    w.append({ kind: 'epoch', epoch, loss: 1, accuracy: 0.5, lr: 0.1, seconds: 1, imagesPerSecond: 10, time: 't' });
    w.append({
      kind: 'eval',
      epoch,
      tag: `epoch-000${epoch}`,
      top1: epoch / 10,
      top5: 0.9,
      many: 0.8,
      medium: 0.4,
      few: epoch / 100,
      file: `evals/epoch-000${epoch}.json`,
      time: 't',
    });
  }
  w.close();
  fs.appendFileSync(runPaths(b.dir).metrics, '{"kind":"eval","epoch":6,"tag":"epo');
  makeCheckpointFolder(b.dir, 'epoch-0002', true);
  makeCheckpointFolder(b.dir, 'epoch-0004', false);
  writeCheckpointIndex(b.dir, { checkpoints: [checkpointEntry('epoch-0002', 2), checkpointEntry('epoch-0004', 4)] });
  updateRunManifest(b.dir, { status: 'stopped', progress: { epoch: 4 } });
  // A folder without run.json (being created) and a stray file are not runs.
  fs.mkdirSync(path.join(root, 'not-a-run'));
  fs.writeFileSync(path.join(root, 'notes.txt'), 'x');

  const runs = listRuns(root);
  assert.deepEqual(
    runs.map((r) => r.id),
    [c.id, b.id, a.id],
  );
  assert.deepEqual(
    runs.map((r) => r.status),
    ['queued', 'stopped', 'completed'],
  );
  const rb = runs[1]!;
  assert.equal(rb.latestEval?.tag, 'epoch-0004');
  assert.equal(rb.latestEval?.few, 0.04);
  assert.deepEqual(
    rb.checkpoints.map((x) => x.tag),
    ['epoch-0002'],
  );
  assert.deepEqual(rb.problems, []);
  assert.equal(runs[0]!.latestEval, null);
  assert.deepEqual(listRuns(path.join(root, 'missing')), []);
});

test('a running run whose trainer died on this host is interrupted; on another host it stays running', (t) => {
  const root = tempDir(t);
  const r = makeRun(root, 'killed', 1);
  updateRunManifest(r.dir, { status: 'running', pid: deadPid() });
  assert.equal(listRuns(root)[0]!.status, 'interrupted');
  assert.equal(readRunManifest(r.dir).status, 'running', 'the catalog never rewrites run.json');
  updateRunManifest(r.dir, { host: `${os.hostname()}-elsewhere` });
  assert.equal(listRuns(root)[0]!.status, 'running');
  updateRunManifest(r.dir, { host: os.hostname(), pid: null });
  assert.equal(listRuns(root)[0]!.status, 'interrupted');
});

test('a live trainer process of the run keeps it running; a recycled pid does not', async (t) => {
  const root = tempDir(t);
  const r = makeRun(root, 'live', 1);
  // A stand-in process whose command line names the run folder, like `trainer.js run <dir>`.
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', 'run', r.dir], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await new Promise((resolve) => child.once('spawn', resolve));
  updateRunManifest(r.dir, { status: 'running', pid: child.pid! });
  assert.equal(summarizeRun(r.dir).status, 'running');
  // Started from inside the run folder with a relative path: still recognised.
  const inside = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', 'run', '.'], { stdio: 'ignore', cwd: r.dir });
  t.after(() => inside.kill('SIGKILL'));
  await new Promise((resolve) => inside.once('spawn', resolve));
  updateRunManifest(r.dir, { pid: inside.pid! });
  assert.equal(summarizeRun(r.dir).status, 'running');
  if (process.platform === 'linux') {
    // This test process is alive but is not this run's trainer (its command line lacks the id).
    updateRunManifest(r.dir, { pid: process.pid });
    assert.equal(displayStatus(readRunManifest(r.dir)), 'interrupted');
  }
});

test('a malformed run.json makes that run unreadable and leaves the others intact', (t) => {
  const root = tempDir(t);
  const good = makeRun(root, 'good', 1);
  const bad = makeRun(root, 'bad', 2);
  fs.writeFileSync(runPaths(bad.dir).run, '{"schema":"gpaco-run/1", "id": "x", "status": ');
  const broken = makeRun(root, 'bad-index', 3);
  fs.mkdirSync(runPaths(broken.dir).checkpoints);
  fs.writeFileSync(runPaths(broken.dir).checkpointIndex, 'garbage');
  const runs = listRuns(root);
  const byId = new Map(runs.map((r) => [r.id, r]));
  assert.equal(runs.length, 3);
  assert.equal(byId.get(good.id)?.status, 'queued');
  assert.deepEqual(byId.get(good.id)?.problems, []);
  const u = byId.get(bad.id)!;
  assert.equal(u.status, 'unreadable');
  assert.equal(u.manifest, null);
  assert.match(u.problems[0]!, /run\.json: not valid JSON/);
  const bi = byId.get(broken.id)!;
  assert.equal(bi.status, 'queued', 'a bad index does not hide the run');
  assert.match(bi.problems[0]!, /index\.json: not valid JSON/);
  assert.deepEqual(bi.checkpoints, []);
});

test('without eval records in metrics.jsonl the latest eval comes from evals/', (t) => {
  const root = tempDir(t);
  const r = makeRun(root, 'evals-only', 1);
  writeEvalFile(
    r.dir,
    evalFile(
      'epoch-0002',
      2,
      [
        [1, 0],
        [0, 1],
      ],
      { top1: 0.25 },
    ),
  );
  writeEvalFile(
    r.dir,
    evalFile(
      'epoch-0010',
      10,
      [
        [1, 0],
        [0, 1],
      ],
      { top1: 0.75 },
    ),
  );
  const s = summarizeRun(r.dir);
  assert.equal(s.latestEval?.tag, 'epoch-0010');
  assert.equal(s.latestEval?.top1, 0.75);
  assert.equal(s.latestEval?.file, 'evals/epoch-0010.json');
});

test('findRun: by path, exact id, unique prefix or suffix; suggestions otherwise', (t) => {
  const root = tempDir(t);
  const a = makeRun(root, 'alpha-gpaco', 1);
  const b = makeRun(root, 'beta-ce', 2);
  assert.deepEqual(findRun(root, a.id), { ok: true, dir: a.dir });
  assert.deepEqual(findRun(root, b.dir), { ok: true, dir: b.dir });
  assert.deepEqual(findRun(root, 'beta-ce'), { ok: true, dir: b.dir });
  const ambiguous = findRun(root, '20250101-10');
  assert.equal(ambiguous.ok, false);
  assert.ok(!ambiguous.ok && ambiguous.suggestions.length === 2);
  const typo = findRun(root, 'alpha-gpacoo');
  assert.ok(!typo.ok);
  assert.match(typo.message, /no run "alpha-gpacoo"/);
  assert.deepEqual(typo.suggestions, [a.id]);
  const missingRoot = findRun(path.join(root, 'nope'), 'x');
  assert.ok(!missingRoot.ok && /does not exist/.test(missingRoot.message));
});

test('closestMatches finds near misses only', () => {
  assert.deepEqual(closestMatches('trian', ['train', 'resume', 'eval', 'ls', 'show']), ['train']);
  assert.deepEqual(closestMatches('zzzzzz', ['train', 'resume']), []);
});

test('createdAtFromId reads the local time of YYYYMMDD-HHMMSS ids', () => {
  assert.equal(createdAtFromId('20250304-050607-my-run'), new Date(2025, 2, 4, 5, 6, 7).toISOString());
  assert.equal(createdAtFromId('20250304-050607'), new Date(2025, 2, 4, 5, 6, 7).toISOString());
  assert.equal(createdAtFromId('my-run'), undefined);
  assert.equal(createdAtFromId('2025030-050607-x'), undefined);
});
