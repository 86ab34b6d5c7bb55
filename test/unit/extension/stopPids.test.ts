// Stop signals only a trainer of the run: never a pid copied into an untrusted run.json, never
// a queued run's "pid", never a process whose command line merely contains the run id.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { isProcessAlive, isRunProcessAlive } from '../../../src/core/catalog';
import { isTrainerInvocation } from '../../../src/core/processIdentity';
import { createRunDirectory, readRunManifest, updateRunManifest } from '../../../src/core/runDirectory';
import { LocalLauncher } from '../../../src/extension/launch/localLauncher';
import { pollUntil } from '../../../test/shared/poll';
import { presetConfig } from '../core/fixtures';
import { tempDir } from '../../../test/shared/tmp';

const standin = path.resolve(__dirname, '..', '..', 'shared', 'trainers', 'standin-trainer.js');

function victim(t: TestContext, ...args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'process.on("SIGINT", () => {}); setInterval(() => {}, 1000)', ...args], {
    stdio: 'ignore',
  });
  t.after(() => child.kill('SIGKILL'));
  return child;
}

const launcher = () => new LocalLauncher(standin, () => ({ nodePath: process.execPath, nativeModulesPath: '' }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a queued run naming another process's pid: Stop and Force Stop signal nothing", async (t) => {
  const { id, dir } = createRunDirectory(tempDir(t), { config: presetConfig(), name: 'queued' });
  const v = victim(t);
  updateRunManifest(dir, { pid: v.pid! });
  const l = launcher();
  t.after(() => l.dispose());
  assert.equal(l.isAlive({ dir, id }), false, 'a queued run has no process');
  await l.stop({ dir, id });
  await l.stop({ dir, id }, { force: true });
  await sleep(100);
  assert.equal(isProcessAlive(v.pid!), true, 'the victim was not signalled');
});

test('a "running" run whose pid is not a trainer of this folder (even with the id in its command line) is not signalled', async (t) => {
  const root = tempDir(t);
  const { id, dir } = createRunDirectory(root, { config: presetConfig(), name: 'running' });
  const l = launcher();
  t.after(() => l.dispose());
  for (const args of [[`x${id}y`], [dir], ['run', `${dir}-other`], ['run', ''], [standin, 'run', path.join(root, 'another')]]) {
    const v = victim(t, ...args);
    updateRunManifest(dir, { status: 'running', pid: v.pid! });
    assert.equal(l.isAlive({ dir, id }), false, args.join(' '));
    await l.stop({ dir, id }, { force: true });
    await sleep(50);
    assert.equal(isProcessAlive(v.pid!), true, `victim ${args.join(' ')} was signalled`);
  }
  // The liveness shown in views: the id as a substring, or an empty id, is not this run.
  const v = victim(t, `x${id}y`);
  const m = { ...readRunManifest(dir), status: 'running' as const, pid: v.pid! };
  assert.equal(isRunProcessAlive(m), false);
  assert.equal(isRunProcessAlive({ ...m, id: '' }), false);
});

test('a trainer of this run started elsewhere (another window, the CLI) is signalled', async (t) => {
  const { id, dir } = createRunDirectory(tempDir(t), { config: presetConfig(), name: 'trainer' });
  const trainer = spawn(process.execPath, [standin, 'run', dir], { stdio: 'ignore', env: { ...process.env, STANDIN_EPOCH_MS: '100000' } });
  t.after(() => trainer.kill('SIGKILL'));
  await pollUntil('the stand-in records its pid', () => readRunManifest(dir).pid === trainer.pid, 10_000, 20);
  const l = launcher();
  t.after(() => l.dispose());
  assert.equal(l.isAlive({ dir, id }), true);
  const exited = new Promise((r) => trainer.once('exit', r));
  await l.stop({ dir, id }, { force: true });
  await exited;
});

test("isTrainerInvocation: whole arguments, resolved against the process's folder", () => {
  const dir = '/runs/20250101-000000-a';
  assert.equal(
    isTrainerInvocation(['node', '/x/dist/trainer.js', 'run', dir, '--resume'], '/', { runDir: dir, script: '/x/dist/trainer.js' }),
    true,
  );
  assert.equal(isTrainerInvocation(['node', 'dist/trainer.js', 'run', '.'], dir, { runDir: dir, script: '/elsewhere/trainer.js' }), true);
  assert.equal(isTrainerInvocation(['node', '/x/tool.js', 'run', dir], '/', { runDir: dir, script: '/x/dist/trainer.js' }), false);
  assert.equal(isTrainerInvocation(['node', '/x/dist/trainer.js', 'run', `${dir}x`], '/', { runDir: dir }), false);
  assert.equal(isTrainerInvocation(['node', '/x/dist/trainer.js', `run${dir}`], '/', { runDir: dir }), false);
  assert.equal(isTrainerInvocation(['node', '/x/dist/trainer.js', 'run', ''], dir, { runDir: dir }), false);
});

test('a command run: the process group named in run.json is signalled only when its leader was started for this run', async (t) => {
  const root = tempDir(t);
  const config = { ...presetConfig(), trainer: { kind: 'command' as const, argv: ['python3', 'train.py'] } };
  const { id, dir } = createRunDirectory(root, { config, name: 'command' });
  const l = launcher();
  t.after(() => l.dispose());
  const start = (env: NodeJS.ProcessEnv) => {
    const c = spawn(process.execPath, ['-e', 'process.on("SIGINT", () => {}); setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
      detached: true,
      env: { ...process.env, ...env },
    });
    t.after(() => c.kill('SIGKILL'));
    updateRunManifest(dir, { status: 'running', pid: c.pid!, launch: { kind: 'local', processGroup: c.pid! } });
    return c;
  };
  const stranger = start({ GPACO_RUN_DIR: path.join(root, 'another') });
  await l.stop({ dir, id }, { force: true });
  await sleep(100);
  assert.equal(isProcessAlive(stranger.pid!), true, 'a group not started for this run was signalled');
  const own = start({ GPACO_RUN_DIR: dir });
  const exited = new Promise((r) => own.once('exit', r));
  await l.stop({ dir, id }, { force: true });
  await exited;
});
