// `gpaco import paco-log | tensorboard` and `gpaco export tensorboard` as a user runs them (the
// real dist/cli.js): what they print, their exit codes, and the refusals of imported runs.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { listRuns } from '../../../src/core/catalog';
import { readAllMetrics } from '../../../src/core/metricsLog';
import { generatePacoLog } from '../import/pacoLogGenerator';
import { tempDir } from '../../../test/shared/tmp';
import { cli } from './harness';

function writeLog(dir: string, junkAfter: number[] = []): { log: string; lines: number } {
  const text = generatePacoLog({
    script: 'cifar',
    epochs: 20,
    batches: 84,
    printFreq: 40,
    testBatches: 79,
    restarts: [{ epoch: 10, atBatch: 40 }],
    junkAfter,
  }).text;
  const log = path.join(dir, 'cifar100_gpaco.log');
  fs.writeFileSync(log, text);
  return { log, lines: text.split('\n').length - 1 };
}

test('gpaco import paco-log: prints what was read and skipped (with line numbers), the restart and the checkpoints', async (t) => {
  const cwd = tempDir(t);
  const { log, lines } = writeLog(cwd, [4]);
  fs.writeFileSync(path.join(cwd, 'moco_ckpt_0010.pth.tar'), Buffer.alloc(3000));
  // many: more than 100 (500, 120); few: fewer than 20 (19, 5); medium: the rest (60, 30).
  fs.writeFileSync(path.join(cwd, 'counts.txt'), '500 120 60 30 19 5\n');
  const r = await cli(['import', 'paco-log', log, '--class-counts', 'counts.txt'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  const runs = listRuns(path.join(cwd, 'runs'));
  assert.equal(runs.length, 1);
  assert.match(r.stdout, new RegExp(`imported .*cifar100_gpaco\\.log as run ${runs[0]!.id} \\(\\d+ ms\\)`));
  assert.match(r.stdout, /20 epochs of training, 20 evaluations \(0 with many \/ medium \/ few\)/);
  assert.match(r.stdout, /training was resumed at epoch 11 \(line \d+\)/);
  assert.match(
    r.stdout,
    new RegExp(`${lines} lines: ${lines - 1} read, 1 skipped:\\n    .*cifar100_gpaco\\.log:5: not a line of a PaCo / GPaCo log`),
  );
  assert.match(r.stdout, /6 classes: many 2, medium 2, few 2/);
  assert.match(r.stdout, /external checkpoints \(listed, not evaluable here\): moco_ckpt_0010\.pth\.tar \(epoch 10, 2\.9 KiB\)/);

  const show = await cli(['show', runs[0]!.id], { cwd });
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /imported +imported from .*cifar100_gpaco\.log \(paco-log; read-only\)/);
  assert.match(show.stdout, /evaluations from .* \(the last 10 of 20\)/);
  assert.match(show.stdout, /no confusion matrix: the imported source has no per-class results/);

  for (const [cmd, what] of [
    ['eval', 'be evaluated'],
    ['resume', 'be resumed'],
  ] as const) {
    const refused = await cli([cmd, runs[0]!.id], { cwd });
    assert.equal(refused.code, 2, `${cmd}: ${refused.stdout}`);
    assert.match(refused.stderr, new RegExp(`cannot ${what}: it was imported from .*cifar100_gpaco\\.log and is read-only`));
  }
});

test('gpaco import: bad input exits 2 with the reason and creates nothing', async (t) => {
  const cwd = tempDir(t);
  fs.writeFileSync(path.join(cwd, 'notes.log'), 'nothing to see\n');
  const notLog = await cli(['import', 'paco-log', 'notes.log'], { cwd });
  assert.equal(notLog.code, 2);
  assert.match(
    notLog.stderr,
    /notes\.log: no line of a PaCo \/ GPaCo log found in 1 line\(s\) \(line 1: not a line of a PaCo \/ GPaCo log\); nothing was imported/,
  );
  const both = await cli(['import', 'paco-log', 'notes.log', '--split', 'a', '--class-counts', 'b'], { cwd });
  assert.equal(both.code, 2);
  assert.match(both.stderr, /give --split or --class-counts, not both/);
  const kind = await cli(['import', 'wandb', 'x'], { cwd });
  assert.equal(kind.code, 2);
  assert.match(kind.stderr, /unknown import "wandb": use paco-log or tensorboard/);
  const tb = await cli(['import', 'tensorboard', 'missing-dir'], { cwd });
  assert.equal(tb.code, 2);
  assert.match(tb.stderr, /missing-dir: cannot read: ENOENT/);
  assert.equal(fs.existsSync(path.join(cwd, 'runs')), false);
});

test('gpaco export tensorboard, then gpaco import tensorboard: the same curves come back', async (t) => {
  const cwd = tempDir(t);
  const { log } = writeLog(cwd);
  assert.equal((await cli(['import', 'paco-log', log, '--name', 'orig'], { cwd })).code, 0);
  const exp = await cli(['export', 'tensorboard', 'orig', '--out', 'tb'], { cwd });
  assert.equal(exp.code, 0, exp.stderr);
  assert.match(exp.stdout, /wrote .*tb\/events\.out\.tfevents\.\d+\..*orig .* 41 events, 80 scalars\)/);
  const imp = await cli(['import', 'tensorboard', 'tb', '--name', 'back', '--map', 'unused/tag=lr'], { cwd });
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout, /1 event file\(s\), 80 scalar values, 40 records/);
  assert.match(imp.stdout, /test\/acc1 -> top1/);
  assert.match(imp.stdout, /0 corrupt record\(s\)/);
  const [back, orig] = ['back', 'orig'].map((n) => listRuns(path.join(cwd, 'runs')).find((r) => r.manifest?.name === n)!);
  const top1 = (dir: string) =>
    readAllMetrics(path.join(dir, 'metrics.jsonl')).flatMap((r) => (r.kind === 'eval' ? [[r.epoch, Math.fround(r.top1)]] : []));
  assert.deepEqual(top1(back!.dir), top1(orig!.dir));
  const missingOut = await cli(['export', 'tensorboard', 'orig'], { cwd });
  assert.equal(missingOut.code, 2);
  assert.match(missingOut.stderr, /--out DIR is required/);
});
