// Absurd sizes and launch options that cannot be written are refused by the config pipeline,
// before a run folder exists: exit 2, the field named, no stack trace, nothing created.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../../test/shared/tmp';
import { cli } from './harness';

test('absurd sizes are refused with the field before anything is created; 1e400 is "too large"', async (t) => {
  const cwd = tempDir(t);
  for (const [set, field, message] of [
    ['data.testPerClass=1000000000', 'data.testPerClass', /expected integer to be less or equal to 100000/],
    ['loss.queueSize=1e9', 'loss.queueSize', /less or equal to 1000000/],
    ['optim.epochs=1e400', 'optim.epochs', /too large \(got a number too large to represent\)/],
    ['data.testPerClass=100000', 'data.testPerClass', /the synthetic data would take [\d.]+ GiB of memory/],
  ] as const) {
    const r = await cli(
      [
        'train',
        '--preset',
        'synthetic-lt',
        '--set',
        set,
        ...(set.includes('100000') && !set.includes('000000000')
          ? ['--set', 'data.classes=1000', '--set', 'data.imageSize=64', '--set', 'data.channels=3']
          : []),
      ],
      { cwd },
    );
    assert.equal(r.code, 2, `${set}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${field.replace('.', '\\.')}: `), set);
    assert.match(r.stderr, message, set);
    assert.doesNotMatch(r.stderr, /\n\s+at |RangeError|got null/, set);
  }
  assert.equal(fs.existsSync(path.join(cwd, 'runs')), false, 'no run folder was created');
});

test('a Slurm extra directive with a double quote is refused before a run (or a sweep) is created', async (t) => {
  const cwd = tempDir(t);
  const extra = ['--set', 'launch.kind="slurm"', '--set', 'launch.slurm.extra=["--comment=\\"x\\""]'];
  const train = await cli(['train', '--preset', 'synthetic-lt', ...extra], { cwd });
  assert.equal(train.code, 2, train.stderr);
  assert.match(train.stderr, /launch\.slurm\.extra\.0: .*cannot contain a double quote/);
  const sweep = await cli(['sweep', '--preset', 'synthetic-lt', '--grid', 'loss.alpha=0.01,0.02', ...extra], { cwd });
  assert.equal(sweep.code, 2, sweep.stderr);
  assert.match(sweep.stderr, /cannot contain a double quote/);
  assert.equal(fs.existsSync(path.join(cwd, 'runs')), false, 'no run folder was created');
});

test('a training step too large for the backend is refused with the fields and the estimate vs the limit, nothing created', async (t) => {
  const cwd = tempDir(t);
  const r = await cli(
    [
      'train',
      '--preset',
      'synthetic-lt',
      '--backend',
      'wasm',
      '--set',
      'loss.kind="gpaco"',
      '--set',
      'optim.batchSize=4096',
      '--set',
      'loss.queueSize=1000000',
    ],
    { cwd },
  );
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /optim\.batchSize: one training step needs at least ~[\d.]+ GiB, more than the wasm heap \(4\.0 GiB\); lower optim\.batchSize .*loss\.queueSize/,
  );
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(fs.existsSync(path.join(cwd, 'runs')), false, 'no run folder was created');
});
