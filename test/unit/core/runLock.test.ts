// The run lock: one trainer per run folder. Holders are real processes whose command line names
// the run folder the way a trainer's does (`... run <dir>`), as the lock's liveness check expects.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { createRunDirectory, runPaths, updateRunManifest, writeCheckpointIndex } from '../../../src/core/runDirectory';
import { acquireRunLock, lockPath, lockedMessage, readRunLock } from '../../../src/core/runLock';
import { cli, repoRoot } from '../cli/harness';
import { checkpointEntry, makeCheckpointFolder, presetConfig } from './fixtures';
import { tempDir } from '../../../test/shared/tmp';

/** A live process whose argv is `node -e ... run <dir>`, like a trainer of `dir`. */
function holder(t: TestContext, dir: string): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'run', dir], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  return child;
}

function writeLock(dir: string, pid: number, host = os.hostname(), since = '2025-01-01T00:00:00.000Z'): void {
  fs.writeFileSync(lockPath(dir), `${JSON.stringify({ pid, host, since })}\n`);
}

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

test('a lock held by a live trainer of the run is refused with who, where and since when', (t) => {
  const { dir } = createRunDirectory(tempDir(t), { config: presetConfig(), name: 'locked' });
  const h = holder(t, dir);
  writeLock(dir, h.pid!);
  const state = readRunLock(dir);
  assert.equal(state.kind, 'held');
  const r = acquireRunLock(dir);
  assert.equal(r.ok, false);
  const expected = `${path.basename(dir)} is being trained by pid ${h.pid} on ${os.hostname()} since 2025-01-01T00:00:00.000Z`;
  assert.equal(!r.ok && r.message, expected);
  assert.equal(lockedMessage(dir), expected);
  // A lock from another host cannot be judged from here: held, with how to clear it.
  writeLock(dir, 12345, 'elsewhere');
  assert.match(lockedMessage(dir)!, /by pid 12345 on elsewhere since .*; if that process is gone, delete .*run\.lock$/);
});

test('a stale lock (process gone, or a pid that is not a trainer of this run) is taken over and released', (t) => {
  const { dir } = createRunDirectory(tempDir(t), { config: presetConfig(), name: 'stale' });
  writeLock(dir, deadPid());
  assert.equal(readRunLock(dir).kind, 'stale');
  assert.equal(lockedMessage(dir), undefined);
  const r = acquireRunLock(dir);
  assert.ok(r.ok);
  assert.match(r.tookOver ?? '', /took over a stale lock of pid \d+ on .* \(process \d+ is gone\)/);
  const mine = JSON.parse(fs.readFileSync(lockPath(dir), 'utf8')) as { pid: number; host: string; since: string };
  assert.equal(mine.pid, process.pid);
  assert.equal(mine.host, os.hostname());
  r.lock.release();
  assert.equal(fs.existsSync(lockPath(dir)), false);

  // A live process with another run's folder on its command line (a reused pid) does not hold it.
  const other = holder(t, path.join(path.dirname(dir), 'another-run'));
  writeLock(dir, other.pid!);
  const s = readRunLock(dir);
  assert.equal(s.kind, 'stale');
  assert.ok(acquireRunLock(dir).ok);
});

test('only one of two concurrent takers gets the lock', async (t) => {
  const { dir } = createRunDirectory(tempDir(t), { config: presetConfig(), name: 'race' });
  const script = `
    require(${JSON.stringify(path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'cjs', 'index.cjs'))});
    const { acquireRunLock } = require(${JSON.stringify(path.join(repoRoot, 'src', 'core', 'runLock.ts'))});
    const r = acquireRunLock(process.argv[1]);
    process.stdout.write(r.ok ? 'ok' : 'refused');
    setTimeout(() => {}, 1500);`;
  const run = () =>
    new Promise<string>((resolve) => {
      // Each taker's own command line is `node -e ... run <dir>`: a trainer of the run.
      const c = spawn(process.execPath, ['-e', script, dir, 'run', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.on('close', () => resolve(out));
    });
  const results = (await Promise.all([run(), run(), run()])).sort();
  assert.deepEqual(results, ['ok', 'refused', 'refused']);
});

test('the trainer refuses a locked run with exit 2; resume refuses it before starting anything', async (t) => {
  const cwd = tempDir(t);
  const root = path.join(cwd, 'runs');
  const { id, dir } = createRunDirectory(root, { config: presetConfig(), name: 'busy' });
  makeCheckpointFolder(dir, 'epoch-0001', true);
  writeCheckpointIndex(dir, { checkpoints: [checkpointEntry('epoch-0001', 1)] });
  updateRunManifest(dir, { status: 'stopped' });
  const h = holder(t, dir);
  writeLock(dir, h.pid!);
  const before = fs.readFileSync(runPaths(dir).run, 'utf8');

  const trainer = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'trainer.js'), 'run', dir, '--resume'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(trainer.status, 2, trainer.stdout + trainer.stderr);
  assert.match(
    trainer.stdout,
    new RegExp(`error: ${id} is being trained by pid ${h.pid} on ${os.hostname().replace(/\./g, '\\.')} since 2025-01-01T00:00:00\\.000Z`),
  );
  assert.equal(fs.readFileSync(runPaths(dir).run, 'utf8'), before, 'the refused trainer wrote nothing');
  assert.equal(fs.existsSync(runPaths(dir).metrics), false);

  const resume = await cli(['resume', id], { cwd });
  assert.equal(resume.code, 2);
  assert.match(resume.stderr, new RegExp(`run ${id} cannot be resumed: ${id} is being trained by pid ${h.pid}`));
});
