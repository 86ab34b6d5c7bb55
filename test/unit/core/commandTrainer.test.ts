// Command runs (trainer.kind "command"): the config section, and starting a real command in its
// own process group with the run's folder in its environment, then recording how it ended.
import { test } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { displayStatus } from '../../../src/core/catalog';
import { commandTrainerOf, recordCommandExit, signalProcessGroup, startCommandTrainer } from '../../../src/core/commandTrainer';
import type { CommandTrainerConfig } from '../../../src/core/config/schema';
import { validateConfig } from '../../../src/core/config/validate';
import { createRunDirectory, readRunManifest, runPaths } from '../../../src/core/runDirectory';
import { pollUntil } from '../../../test/shared/poll';
import { tempDir } from '../../../test/shared/tmp';

test('trainer defaults to gpaco; a command trainer gets an absolute cwd; mistakes name their field', (t) => {
  const base = tempDir(t);
  const ok = (v: unknown) => {
    const r = validateConfig(v, { baseDir: base });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    return r.config;
  };
  assert.deepEqual(ok({}).trainer, { kind: 'gpaco' });
  assert.deepEqual(ok({ trainer: { kind: 'command', argv: ['python3', 'train.py'] } }).trainer, {
    kind: 'command',
    argv: ['python3', 'train.py'],
    cwd: base,
  });
  fs.mkdirSync(path.join(base, 'sub'));
  assert.equal((ok({ trainer: { kind: 'command', argv: ['x'], cwd: 'sub' } }).trainer as CommandTrainerConfig).cwd, path.join(base, 'sub'));
  const errors = (v: unknown) => {
    const r = validateConfig(v, { baseDir: base });
    assert.ok(!r.ok);
    return r.errors.map((e) => `${e.path}: ${e.message}`);
  };
  assert.deepEqual(errors({ trainer: { kind: 'command' } }), ['trainer.argv: expected required property (got undefined)']);
  assert.match(errors({ trainer: { kind: 'command', argv: [] } })[0]!, /^trainer.argv: expected array length to be greater or equal to 1/);
  assert.deepEqual(errors({ trainer: { kind: 'shell' } }), ['trainer.kind: must be one of "gpaco", "command" (got "shell")']);
  assert.deepEqual(errors({ trainer: { kind: 'gpaco', argv: ['x'] } }), ['trainer.argv: unknown field']);
  assert.deepEqual(errors({ trainer: { kind: 'command', argv: 'python3 train.py' } }), [
    'trainer.argv: expected array (got "python3 train.py")',
  ]);
  assert.deepEqual(errors({ trainer: { kind: 'command', argv: ['x'], cwd: 'nope' } }), [
    `trainer.cwd: is not an existing folder: ${path.join(base, 'nope')}`,
  ]);
  assert.deepEqual(errors({ trainer: { kind: 'command', argv: ['x'], env: { '1X': 'a', GPACO_RUN_DIR: '/x' } } }), [
    'trainer.env.1X: is not a valid environment variable name',
    'trainer.env.GPACO_RUN_DIR: is set by GPaCo Lab for each run',
  ]);
});

function commandRun(t: Parameters<typeof tempDir>[0], argv: string[], env?: Record<string, string>) {
  const root = tempDir(t);
  const trainer: CommandTrainerConfig = { kind: 'command', argv, cwd: root, ...(env ? { env } : {}) };
  const config = validateConfig({ trainer }, { baseDir: root });
  assert.ok(config.ok);
  const run = createRunDirectory(root, { config: config.config, name: 'cmd', launch: { kind: 'local' } });
  return { run, trainer, root };
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

test('a command runs in its run folder environment, with its output in trainer.log; exit 0 without a status is completed', async (t) => {
  const script =
    'console.log(JSON.stringify({dir: process.env.GPACO_RUN_DIR, id: process.env.GPACO_RUN_ID, extra: process.env.EXTRA, cwd: process.cwd(), pgid: process.pid}))';
  const { run, trainer, root } = commandRun(t, [process.execPath, '-e', script], { EXTRA: 'yes' });
  assert.deepEqual(commandTrainerOf(readRunManifest(run.dir)), trainer);
  const child = await startCommandTrainer(run, trainer);
  const m = readRunManifest(run.dir);
  assert.equal(m.status, 'running');
  assert.equal(m.pid, child.pid);
  assert.deepEqual(m.launch, { kind: 'local', processGroup: child.pid });
  const end = await exited(child);
  assert.equal(recordCommandExit(run.dir, end.code, end.signal)?.status, 'completed');
  const done = readRunManifest(run.dir);
  assert.equal(done.exitCode, 0);
  assert.equal(done.error, null);
  const printed = JSON.parse(
    fs
      .readFileSync(runPaths(run.dir).log, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('{'))!,
  ) as Record<string, string>;
  assert.deepEqual(printed, { dir: run.dir, id: run.id, extra: 'yes', cwd: fs.realpathSync(root), pgid: child.pid });
});

test('a non-zero exit without a status is failed with its exit code; a status the command wrote is kept', async (t) => {
  const { run, trainer } = commandRun(t, [process.execPath, '-e', 'process.exit(3)']);
  const child = await startCommandTrainer(run, trainer);
  const end = await exited(child);
  const m = recordCommandExit(run.dir, end.code, end.signal)!;
  assert.equal(m.status, 'failed');
  assert.equal(m.exitCode, 3);
  assert.match(m.error!.message, /^The command exited with code 3 without recording a result; see trainer.log/);
  // Recorded already: a later exit record changes nothing.
  assert.equal(recordCommandExit(run.dir, 0, null)?.status, 'failed');
});

test('a missing program fails the run at once: "cannot start ARGV[0]: ENOENT"', async (t) => {
  const { run, trainer } = commandRun(t, ['gpaco-no-such-program', '--x']);
  await assert.rejects(startCommandTrainer(run, trainer), /^Error: cannot start gpaco-no-such-program: ENOENT$/);
  const m = readRunManifest(run.dir);
  assert.equal(m.status, 'failed');
  assert.equal(m.error?.message, 'cannot start gpaco-no-such-program: ENOENT');
  assert.match(fs.readFileSync(runPaths(run.dir).log, 'utf8'), /\[gpaco-lab\] cannot start gpaco-no-such-program: ENOENT/);
});

test('SIGINT to the process group reaches a grandchild; a stop that ends the command is stopped', async (t) => {
  // A wrapper that starts a child and waits: both must see the signal (one group).
  const inner = `process.on('SIGINT', () => { require('fs').writeFileSync(process.env.GPACO_RUN_DIR + '/inner-sigint', 'x'); process.exit(130); }); setInterval(() => {}, 1000); require('fs').writeFileSync(process.env.GPACO_RUN_DIR + '/inner-ready', 'x');`;
  const outer = `const c = require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(inner)}], {stdio: 'inherit'}); process.on('SIGINT', () => {}); c.on('exit', (code) => process.exit(code));`;
  const { run, trainer } = commandRun(t, [process.execPath, '-e', outer]);
  const child = await startCommandTrainer(run, trainer);
  t.after(() => signalProcessGroup(child.pid!, 'SIGKILL'));
  const end = exited(child);
  await pollUntil('the inner process', () => fs.existsSync(path.join(run.dir, 'inner-ready')), 20_000, 20);
  assert.equal(signalProcessGroup(child.pid!, 'SIGINT'), true);
  const { code, signal } = await end;
  assert.ok(fs.existsSync(path.join(run.dir, 'inner-sigint')), 'the grandchild got SIGINT');
  assert.equal(code, 130);
  assert.equal(recordCommandExit(run.dir, code, signal, true)?.status, 'stopped');
  assert.equal(readRunManifest(run.dir).exitCode, 130);
  assert.equal(signalProcessGroup(child.pid!, 'SIGINT'), false, 'the group is gone');
});

test('the catalog shows a live command run as running (started for the run), and as interrupted once it is killed', async (t) => {
  const { run, trainer } = commandRun(t, [process.execPath, '-e', 'setInterval(() => {}, 1000)']);
  const child = await startCommandTrainer(run, trainer);
  t.after(() => signalProcessGroup(child.pid!, 'SIGKILL'));
  // Neither its command line nor its working folder names the run: GPACO_RUN_ID does.
  assert.equal(displayStatus(readRunManifest(run.dir)), 'running');
  const end = exited(child);
  signalProcessGroup(child.pid!, 'SIGKILL');
  await end;
  assert.equal(displayStatus(readRunManifest(run.dir)), 'interrupted');
});
