// gpaco help / usage errors / train config errors / ls / show, run as a real child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { MetricsWriter } from '../../../src/core/metricsLog';
import {
  createRunDirectory,
  runPaths,
  updateRunManifest,
  writeCheckpointIndex,
  writeClassesFile,
  writeEvalFile,
} from '../../../src/core/runDirectory';
import type { EvalFile } from '../../../src/core/contract';
import { confusionCell } from '../../../src/core/evalEncoding';
import { buildEvalFile } from '../../../src/core/evalMath';
import { checkpointEntry, makeCheckpointFolder, presetConfig } from '../core/fixtures';
import { tempDir } from '../../../test/shared/tmp';
import { cli, startCli } from './harness';

test('help: the command list, per-command help, exit codes', async (t) => {
  const cwd = tempDir(t);
  const help = await cli(['help'], { cwd });
  assert.equal(help.code, 0);
  for (const c of ['train', 'resume', 'eval', 'ls', 'show']) assert.match(help.stdout, new RegExp(`^  ${c} +\\S`, 'm'));
  assert.match(help.stdout, /exit codes: 0 success, 1 the run failed, 2 bad usage or config/);
  const trainHelp = await cli(['train', '--help'], { cwd });
  assert.equal(trainHelp.code, 0);
  assert.match(trainHelp.stdout, /^usage: gpaco train \(--preset NAME \| --config FILE\)/);
  assert.match(trainHelp.stdout, /--set key=value +override a config field.*\(repeatable\)/);
  assert.equal((await cli(['help', 'ls'], { cwd })).stdout, (await cli(['ls', '-h'], { cwd })).stdout);
  const none = await cli([], { cwd });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /usage: gpaco <command>/);
});

test('a closed output pipe (gpaco ls | head) ends the command quietly, without an EPIPE trace', async (t) => {
  const cwd = tempDir(t);
  const run = startCli(['help'], { cwd });
  // Close the read end before the CLI has started: its first write gets EPIPE.
  run.child.stdout!.destroy();
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /EPIPE|Unhandled/);
});

test('unknown command, unknown option, missing and extra arguments exit 2 with a hint', async (t) => {
  const cwd = tempDir(t);
  const cmd = await cli(['trian'], { cwd });
  assert.equal(cmd.code, 2);
  assert.match(cmd.stderr, /unknown command "trian"; did you mean "train"\?/);
  const opt = await cli(['ls', '--runs-dri', 'x'], { cwd });
  assert.equal(opt.code, 2);
  assert.match(opt.stderr, /unknown option --runs-dri; did you mean --runs-dir\?/);
  assert.match(opt.stderr, /see: gpaco ls --help/);
  const missing = await cli(['show'], { cwd });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing RUN/);
  const extra = await cli(['ls', 'what'], { cwd });
  assert.equal(extra.code, 2);
  assert.match(extra.stderr, /unexpected argument "what"/);
  const noValue = await cli(['train', '--preset'], { cwd });
  assert.equal(noValue.code, 2);
});

test('train with an invalid config file: every problem with path and line, exit 2, no run folder', async (t) => {
  const cwd = tempDir(t);
  const file = path.join(cwd, 'exp.json');
  fs.writeFileSync(
    file,
    [
      '{',
      '  "loss": { "kind": "gpaco", "alpah": 0.1 },',
      '  "optim": { "epochs": "ten", "batchSize": 0 },',
      '  "data": { "kind": "mnist", "path": "no/such/folder" },',
      '  "backend": "tpu"',
      '}',
    ].join('\n'),
  );
  const r = await cli(['train', '--config', 'exp.json'], { cwd });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /invalid config from .*exp\.json \(4 problems\); nothing was started/);
  assert.match(r.stderr, new RegExp(`${file}:2:\\d+: loss\\.alpah: unknown field`));
  assert.match(r.stderr, new RegExp(`${file}:3:\\d+: optim\\.epochs: expected integer`));
  assert.match(r.stderr, new RegExp(`${file}:3:\\d+: optim\\.batchSize: .*greater or equal to 1`));
  assert.match(r.stderr, new RegExp(`${file}:5:\\d+: backend: must be one of "auto"`));
  // The data path is checked too (after the schema problems are fixed it would be the only one).
  fs.writeFileSync(file, JSON.stringify({ data: { kind: 'mnist', path: 'no/such/folder' } }));
  const data = await cli(['train', '--config', 'exp.json'], { cwd });
  assert.equal(data.code, 2);
  assert.match(data.stderr, /data\.path: does not exist: .*no\/such\/folder/);
  assert.equal(fs.existsSync(path.join(cwd, 'runs')), false, 'no runs folder, no run folder');
});

test('train: bad --set / --backend values are blamed on the flag; usage mistakes exit 2', async (t) => {
  const cwd = tempDir(t);
  const r = await cli(['train', '--preset', 'synthetic-lt', '--set', 'optim.lr=-1', '--set', 'loss.alpah=1', '--backend', 'tpu'], { cwd });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /optim\.lr: .*\(from --set optim\.lr=-1\)/);
  assert.match(r.stderr, /loss\.alpah: unknown field \(from --set loss\.alpah=1\)/);
  assert.match(r.stderr, /backend: must be one of .*\(from --backend tpu\)/);
  const workers = await cli(['train', '--preset', 'synthetic-lt', '--workers', '0'], { cwd });
  assert.equal(workers.code, 2);
  assert.match(workers.stderr, /optim\.workers: .*\(from --workers 0\)/);
  const bad = await cli(['train', '--preset', 'synthetic-lt', '--set', 'nonsense'], { cwd });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--set expects key=value, got "nonsense"/);
  const both = await cli(['train', '--preset', 'synthetic-lt', '--config', 'x.json'], { cwd });
  assert.equal(both.code, 2);
  assert.match(both.stderr, /give one of --preset NAME or --config FILE/);
  const unknown = await cli(['train', '--preset', 'imagenet'], { cwd });
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /unknown preset "imagenet"; presets: synthetic-lt, fashion-mnist-lt, mnist-lt, cifar10-lt, cifar100-lt, imagenet-lt/,
  );
  const lt = await cli(['train', '--preset', 'imagenet-lt'], { cwd });
  assert.equal(lt.code, 2, 'a split-list preset needs data.root');
  assert.match(lt.stderr, /data\.root: does not exist: .*ImageNet_LT/);
  const mnist = await cli(['train', '--preset', 'mnist-lt'], { cwd });
  assert.equal(mnist.code, 2, 'the preset data folder does not exist here');
  assert.match(mnist.stderr, /data\.path: does not exist/);
  const unreadable = await cli(['train', '--config', 'missing.json'], { cwd });
  assert.equal(unreadable.code, 2);
  assert.match(unreadable.stderr, /missing\.json: cannot read/);
  assert.equal(fs.existsSync(path.join(cwd, 'runs')), false);
});

test('train without a trainer bundle fails before creating a run', async (t) => {
  const cwd = tempDir(t);
  const r = await cli(['train', '--preset', 'synthetic-lt'], { cwd });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /trainer bundle .*trainer\.js is missing; build it with `npm run build`/);
  assert.equal(fs.existsSync(path.join(cwd, 'runs')), false);
});

/** Three runs: completed with evals, interrupted (dead pid), and one with a broken run.json. */
function makeRuns(root: string) {
  const config = presetConfig();
  const done = createRunDirectory(root, { config, name: 'gpaco-done', now: new Date(2025, 0, 1, 9, 0, 0) });
  const counts = [300, 150, 90, 40, 12];
  const names = ['zero', 'one', 'two', 'three', 'four'];
  writeClassesFile(done.dir, {
    names,
    trainCounts: counts,
    testCounts: [4, 4, 4, 4, 4],
    groups: { rule: { kind: 'shots', many: 100, few: 20 }, assignment: ['many', 'many', 'medium', 'medium', 'few'] },
  });
  const labels = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4];
  const pred = [0, 0, 0, 0, 1, 1, 1, 0, 2, 2, 0, 0, 3, 3, 0, 1, 4, 0, 0, 0];
  const scores = pred.flatMap((p) => names.map((_, c) => (c === p ? 1 : 0)));
  const assignment = ['many', 'many', 'medium', 'medium', 'few'] as const;
  const w = new MetricsWriter(runPaths(done.dir).metrics);
  for (const epoch of [2, 4]) {
    const e = buildEvalFile({ tag: `epoch-000${epoch}`, epoch, numClasses: 5, labels, scores, assignment: [...assignment] });
    writeEvalFile(done.dir, e);
    w.append({
      kind: 'eval',
      epoch,
      tag: e.tag,
      top1: e.top1,
      top5: e.top5,
      many: e.groupAccuracy.many,
      medium: e.groupAccuracy.medium,
      few: e.groupAccuracy.few,
      file: `evals/${e.tag}.json`,
      time: new Date().toISOString(),
    });
  }
  w.close();
  makeCheckpointFolder(done.dir, 'epoch-0004', true);
  writeCheckpointIndex(done.dir, { checkpoints: [checkpointEntry('epoch-0004', 4, { best: true, bytes: 2048 })] });
  updateRunManifest(done.dir, { status: 'completed', backend: 'wasm', progress: { epoch: 12 }, exitCode: 0 });

  const dead = createRunDirectory(root, { config, name: 'ce-killed', now: new Date(2025, 0, 1, 10, 0, 0) });
  const pid = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
  updateRunManifest(dead.dir, { status: 'running', pid, backend: 'cpu', progress: { epoch: 3 } });

  const broken = createRunDirectory(root, { config, name: 'broken', now: new Date(2025, 0, 1, 11, 0, 0) });
  fs.writeFileSync(runPaths(broken.dir).run, '{ "schema": ');
  return { done, dead, broken };
}

test('ls: a table of runs newest first with interrupted and unreadable runs; --json', async (t) => {
  const cwd = tempDir(t);
  const root = path.join(cwd, 'myruns');
  const { done, dead, broken } = makeRuns(root);
  const r = await cli(['ls', '--runs-dir', 'myruns'], { cwd });
  assert.equal(r.code, 0);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^ID +NAME +STATUS +EPOCH +TOP-1 +FEW +BACKEND +CREATED$/);
  assert.equal(lines.length, 6);
  assert.match(lines[2]!, new RegExp(`^${broken.id} +\\? +unreadable +- +- +- +- +2025-01-01 11:00$`));
  assert.match(lines[3]!, new RegExp(`^${dead.id} +ce-killed +interrupted +3/12 +- +- +cpu +2025-01-01 10:00$`));
  assert.match(lines[4]!, new RegExp(`^${done.id} +gpaco-done +completed +12/12 +60\\.0% +25\\.0% +wasm +2025-01-01 09:00$`));
  assert.match(lines[5]!, /^3 runs in .*myruns$/);
  assert.match(r.stderr, new RegExp(`${broken.id}: .*run\\.json: not valid JSON`));

  const j = await cli(['ls', '--runs-dir', root, '--json'], { cwd });
  assert.equal(j.code, 0);
  const runs = JSON.parse(j.stdout) as {
    id: string;
    status: string;
    latestEval: { top1: number } | null;
    metrics: { top1: number | null };
    problem: string | null;
  }[];
  assert.deepEqual(
    runs.map((x) => [x.id, x.status]),
    [
      [broken.id, 'unreadable'],
      [dead.id, 'interrupted'],
      [done.id, 'completed'],
    ],
  );
  assert.equal(runs[2]!.latestEval?.top1, 0.6);
  assert.equal(runs[2]!.metrics.top1, 0.6);
  assert.match(runs[0]!.problem!, /run\.json: not valid JSON/);

  const empty = await cli(['ls'], { cwd });
  assert.equal(empty.code, 0);
  assert.match(empty.stdout, /^no runs in .*runs$/m);
});

test('show: summary, evaluation table with class counts per group, confusion matrix, checkpoints', async (t) => {
  const cwd = tempDir(t);
  const { done } = makeRuns(path.join(cwd, 'runs'));
  const r = await cli(['show', 'gpaco-done'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, new RegExp(`^run +${done.id}$`, 'm'));
  assert.match(out, /^status +completed \(exit 0\)$/m);
  assert.match(out, /^config +data synthetic \(10 classes\).*loss balanced-softmax/m);
  assert.match(out, /evaluations \(groups: many > 100, few < 20 training images\)/);
  assert.match(out, /TAG +EPOCH +N +TOP-1 +TOP-5 +MANY \(2\) +MEDIUM \(2\) +FEW \(1\)/);
  // Per-class: 1, .75, .5, .5, .25 -> many .875, medium .5, few .25; top-1 12/20.
  assert.match(out, /epoch-0004 +4 +20 +60\.0% +100\.0% +87\.5% +50\.0% +25\.0%/);
  assert.match(out, /confusion matrix at epoch-0004/);
  assert.match(out, /M 0 zero +100 +\. \| +\. +\. \| +\./);
  assert.match(out, /f 4 four +75 +\. \| +\. +\. \| +25/);
  assert.match(out, /epoch-0004 +4 +40 +50\.0% +20\.0% +2\.0 KiB .* \*$/m);

  const j = await cli(['show', done.dir, '--json'], { cwd: '/' });
  assert.equal(j.code, 0);
  const data = JSON.parse(j.stdout) as { id: string; evals: EvalFile[]; classes: { names: string[] } };
  assert.equal(data.id, done.id);
  assert.deepEqual(
    data.evals.map((e) => e.tag),
    ['epoch-0002', 'epoch-0004'],
  );
  // --json prints evaluations in the v2 form: sparse confusion cells + per-image predictions.
  assert.equal(data.evals[1]!.confusion.layout, 'sparse');
  assert.equal(confusionCell(data.evals[1]!.confusion, 4, 0), 3);
  assert.ok(data.evals[1]!.predictions);
  assert.equal(data.classes.names[4], 'four');
});

test('show / resume / eval of an unknown run exit 2 and list close ids', async (t) => {
  const cwd = tempDir(t);
  const { done } = makeRuns(path.join(cwd, 'runs'));
  for (const cmd of ['show', 'resume', 'eval']) {
    const r = await cli([cmd, 'gpaco-dome'], { cwd });
    assert.equal(r.code, 2, cmd);
    assert.match(r.stderr, /no run "gpaco-dome" in .*runs/);
    assert.match(r.stderr, new RegExp(`did you mean:\\n  ${done.id}`));
  }
  const ambiguous = await cli(['show', '2025'], { cwd });
  assert.equal(ambiguous.code, 2);
  assert.match(ambiguous.stderr, /"2025" matches 3 runs/);
  const notRun = await cli(['show', './nowhere'], { cwd });
  assert.equal(notRun.code, 2);
  assert.match(notRun.stderr, /nowhere is not a run folder/);
});

test('resume refuses runs that cannot be resumed; eval refuses unknown checkpoints', async (t) => {
  const cwd = tempDir(t);
  const { done, dead, broken } = makeRuns(path.join(cwd, 'runs'));
  const many = await cli(['resume', dead.id, '--workers', 'many'], { cwd });
  assert.equal(many.code, 2);
  assert.match(many.stderr, /--workers: expected a whole number from 1 to 256 or "auto" \(got "many"\)/);
  const completed = await cli(['resume', done.id], { cwd });
  assert.equal(completed.code, 2);
  assert.match(completed.stderr, /has already completed/);
  const noCheckpoint = await cli(['resume', dead.id], { cwd });
  assert.equal(noCheckpoint.code, 2);
  assert.match(noCheckpoint.stderr, /\(interrupted\) has no complete checkpoint to resume from/);
  const unreadable = await cli(['resume', broken.id], { cwd });
  assert.equal(unreadable.code, 2);
  assert.match(unreadable.stderr, /cannot be resumed: .*not valid JSON/);
  const cp = await cli(['eval', done.id, '--checkpoint', 'epoch-0009'], { cwd });
  assert.equal(cp.code, 2);
  assert.match(cp.stderr, /no complete checkpoint "epoch-0009"; checkpoints: epoch-0004/);
});

test('show names a confusion matrix too large for text', async (t) => {
  const cwd = tempDir(t);
  const { dir } = createRunDirectory(path.join(cwd, 'runs'), { config: presetConfig('cifar100-lt'), name: 'c100' });
  const c = 25;
  const assignment = Array.from({ length: c }, (_, i) => (i < 8 ? 'many' : i < 16 ? 'medium' : 'few'));
  writeClassesFile(dir, {
    names: assignment.map((_, i) => `c${i}`),
    trainCounts: assignment.map((_, i) => 500 - i * 20),
    testCounts: assignment.map(() => 1),
    groups: { rule: { kind: 'terciles' }, assignment },
  });
  const labels = assignment.map((_, i) => i);
  writeEvalFile(
    dir,
    buildEvalFile({
      tag: 'epoch-0010',
      epoch: 10,
      numClasses: c,
      labels,
      scores: labels.flatMap((l) => labels.map((k) => (k === l ? 1 : 0))),
      assignment,
    }),
  );
  const r = await cli(['show', 'c100'], { cwd });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /groups: terciles of the class sizes/);
  assert.match(r.stdout, /confusion matrix: 25 classes, too many for text/);
  assert.doesNotMatch(r.stdout, /predicted %/);
});
