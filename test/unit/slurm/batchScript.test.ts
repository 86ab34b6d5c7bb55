// The batch script is checked by bash itself, and run for real (outside Slurm) with a stand-in
// trainer to prove the signal forwarding and the exit marker.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { renderBatchScript, sbatchArguments, shellQuote, type BatchScriptSpec } from '../../../src/core/slurm/batchScript';
import { TRAINER_NODE_FLAGS } from '../../../src/core/trainerFlags';
import { tempDir } from '../../../test/shared/tmp';

const options = {
  extra: ['--constraint=a100'],
  setup: ['echo setup-ran'],
  signalSeconds: 300,
  time: '1',
  partition: 'debug',
  cpus: 2,
  mem: '4G',
  gpus: 1,
  account: 'lab',
  qos: 'normal',
};

function spec(dirs: string[], extra: Partial<BatchScriptSpec> = {}): BatchScriptSpec {
  return {
    jobName: 'gpaco-x',
    runDirs: dirs,
    output: `${dirs[0]}/trainer.log`,
    chdir: dirs[0]!,
    options,
    nodePath: process.execPath,
    trainerPath: '/opt/gpaco/dist/trainer.js',
    env: { GPACO_NATIVE_MODULES: "/opt/it's here" },
    ...extra,
  };
}

test('shell quoting survives quotes and spaces', () => {
  const r = spawnSync('bash', ['-c', `printf %s ${shellQuote('a \'b\' $c "d"')}`], { encoding: 'utf8' });
  assert.equal(r.stdout, 'a \'b\' $c "d"');
});

test('directives: every option, the append log, the warning signal clamped to the limit; same as the arguments', () => {
  const s = spec(['/runs/with space']);
  const text = renderBatchScript(s);
  for (const line of [
    '#SBATCH --job-name=gpaco-x',
    '#SBATCH --chdir="/runs/with space"',
    '#SBATCH --output="/runs/with space/trainer.log"',
    '#SBATCH --open-mode=append',
    '#SBATCH --signal=B:USR1@30',
    '#SBATCH --partition=debug',
    '#SBATCH --time=1',
    '#SBATCH --cpus-per-task=2',
    '#SBATCH --mem=4G',
    '#SBATCH --gres=gpu:1',
    '#SBATCH --account=lab',
    '#SBATCH --qos=normal',
    '#SBATCH --constraint=a100',
  ]) {
    assert.ok(text.includes(`${line}\n`), `missing ${line}`);
  }
  assert.ok(!text.includes('--array'));
  assert.deepEqual(sbatchArguments(s).slice(0, 5), [
    '--job-name=gpaco-x',
    '--chdir=/runs/with space',
    '--output=/runs/with space/trainer.log',
    '--open-mode=append',
    '--signal=B:USR1@30',
  ]);
  assert.ok(sbatchArguments(spec(['/a', '/b', '/c'], { arrayLimit: 2 })).includes('--array=0-2%2'));
  const r = spawnSync('bash', ['-n'], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('relative paths and newlines are refused', () => {
  assert.throws(() => renderBatchScript(spec(['runs/x'])), /absolute paths/);
  assert.throws(() => renderBatchScript({ ...spec(['/runs/x']), nodePath: 'node' }), /absolute paths/);
  assert.throws(() => renderBatchScript(spec(['/runs/x\n/y'])), /newline/);
});

/** A stand-in trainer: prints its arguments, and on SIGTERM "checkpoints" and exits 0. */
const STANDIN = `
const fs = require('node:fs');
console.log('trainer args ' + process.argv.slice(2).join(' ') + ' native=' + process.env.GPACO_NATIVE_MODULES);
console.log('trainer node flags ' + process.execArgv.join(' '));
fs.writeFileSync('started', '');
process.on('SIGTERM', () => { console.log('trainer got SIGTERM'); setTimeout(() => process.exit(0), 100); });
setTimeout(() => process.exit(Number(process.env.STANDIN_EXIT || 0)), Number(process.env.STANDIN_MS || 60000));
`;

async function runScript(
  t: TestContext,
  opts: { signal?: NodeJS.Signals; env?: Record<string, string>; checkpoint?: boolean; task?: number; dirs?: number },
) {
  const root = tempDir(t, 'gpaco-batch-');
  const dirs = Array.from({ length: opts.dirs ?? 1 }, (_, i) => path.join(root, `run ${i}`));
  for (const d of dirs) fs.mkdirSync(d);
  if (opts.checkpoint) {
    fs.mkdirSync(path.join(dirs[opts.task ?? 0]!, 'checkpoints'));
    fs.writeFileSync(path.join(dirs[opts.task ?? 0]!, 'checkpoints', 'index.json'), '{"checkpoints":[]}');
  }
  const trainer = path.join(root, 'trainer.js');
  fs.writeFileSync(trainer, STANDIN);
  const file = path.join(root, 'job.sh');
  fs.writeFileSync(file, renderBatchScript({ ...spec(dirs), trainerPath: trainer }));
  const env = {
    ...process.env,
    SLURM_JOB_ID: '41',
    ...(opts.task !== undefined ? { SLURM_ARRAY_JOB_ID: '40', SLURM_ARRAY_TASK_ID: String(opts.task) } : {}),
    ...opts.env,
  };
  const child = spawn('bash', [file], { env, stdio: 'ignore' });
  const dir = dirs[opts.task ?? 0]!;
  if (opts.signal) {
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(path.join(dir, 'started'))) {
      assert.ok(Date.now() < deadline, 'the stand-in trainer never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill(opts.signal);
  }
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  const log = fs.readFileSync(path.join(dir, 'trainer.log'), 'utf8');
  const marker = JSON.parse(fs.readFileSync(path.join(dir, 'slurm-exit.json'), 'utf8')) as {
    jobId: string;
    exitCode: number;
    signal: string;
  };
  return { code, log, marker, dir };
}

test('USR1 (time limit near) is passed to the trainer as SIGTERM; it stops cleanly; the marker says USR1', async (t) => {
  const r = await runScript(t, { signal: 'SIGUSR1' });
  assert.equal(r.code, 0);
  assert.match(r.log, /setup-ran/);
  assert.match(r.log, /trainer args run \/.*\/run 0 native=\/opt\/it's here\n/);
  assert.match(
    r.log,
    new RegExp(`trainer node flags ${TRAINER_NODE_FLAGS.join(' ')}\n`),
    "the trainer's Node flags come before its script",
  );
  assert.match(r.log, /got SIGUSR1: asking the trainer to checkpoint and stop/);
  assert.match(r.log, /trainer got SIGTERM/);
  assert.deepEqual(
    { ...r.marker, time: undefined, host: undefined },
    { jobId: '41', exitCode: 0, signal: 'USR1', time: undefined, host: undefined },
  );
});

test('a trainer exit code is the script\u2019s; existing checkpoints add --resume; array tasks pick their run', async (t) => {
  const r = await runScript(t, { env: { STANDIN_MS: '10', STANDIN_EXIT: '3' }, checkpoint: true, task: 1, dirs: 2 });
  assert.equal(r.code, 3);
  assert.match(r.log, /trainer args run \/.*\/run 1 --resume/);
  assert.equal(r.marker.jobId, '40_1');
  assert.equal(r.marker.exitCode, 3);
  assert.equal(r.marker.signal, '');
});

test('a Node path that does not exist on the node is reported in the log, exit 127', (t) => {
  const root = tempDir(t, 'gpaco-batch-');
  const dir = path.join(root, 'run');
  fs.mkdirSync(dir);
  const file = path.join(root, 'job.sh');
  fs.writeFileSync(file, renderBatchScript({ ...spec([dir]), nodePath: '/nonexistent/node' }));
  const r = spawnSync('bash', [file], { encoding: 'utf8', env: { ...process.env, SLURM_JOB_ID: '9' } });
  assert.equal(r.status, 127);
  assert.match(fs.readFileSync(path.join(dir, 'trainer.log'), 'utf8'), /Node \/nonexistent\/node is not an executable/);
});
