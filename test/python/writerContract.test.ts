// A run folder written by the Python writer (python/gpaco_lab) goes through the very readers the
// CLI, the catalog and the dashboard use, unchanged; and the writer's evaluation math equals
// src/core/evalMath.ts bit for bit on the same inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { displayStatus, listRuns, summarizeRun } from '../../src/core/catalog';
import type { EvalFile, GroupRule, ShotGroup } from '../../src/core/contract';
import { confusionTotals, sparseFromDense } from '../../src/core/evalEncoding';
import {
  assignShotGroups,
  buildEvalFile,
  confusionMatrix,
  groupAccuracy,
  predictionsFromScores,
  sparsePerClassAccuracy,
  sparseTop1Accuracy,
} from '../../src/core/evalMath';
import { MetricsTail, parseMetricRecord } from '../../src/core/metricsLog';
import { Rng } from '../../src/core/random';
import {
  listEvalTags,
  parseEvalFile,
  readCheckpointIndex,
  readClassesFile,
  readEvalFile,
  readRunConfig,
  readRunManifest,
  runPaths,
} from '../../src/core/runDirectory';
import { buildRunSnapshot } from '../../src/core/snapshot';
import { findPython } from '../../test/shared/python';
import { tempDir } from '../../test/shared/tmp';

const PKG = path.resolve(__dirname, '../../python');

function python(t: Parameters<typeof tempDir>[0], script: string, args: string[]): string {
  const file = path.join(tempDir(t, 'gpaco-py-'), 'script.py');
  fs.writeFileSync(file, `import sys\nsys.path.insert(0, ${JSON.stringify(PKG)})\n${script}`);
  const r = spawnSync(findPython(), [file, ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  return r.stdout;
}

const WRITE_RUN = `
import json, os, random, gpaco_lab
runs, = sys.argv[1:]
names = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal"]
counts = [500, 200, 90, 40, 19, 5]
cfg = {"model": "resnet18", "optimizer": {"name": "sgd", "lr": 0.1}, "eval": {"groups": "shots", "manyThreshold": 100, "fewThreshold": 20}}
rng = random.Random(3)
with gpaco_lab.Run.create(runs, "torch run", cfg, names, counts, epochs=3, backend="pytorch-cpu") as run:
    step = 0
    for epoch in range(1, 4):
        for _ in range(4):
            step += 1
            run.log_step(step, epoch, loss=2.0 / step, lr=0.1)
        run.log_epoch(epoch, loss=1.0 / epoch, accuracy=0.3 + 0.1 * epoch, lr=0.1, images=640, step=step)
        targets = [i % 6 for i in range(60)]
        logits = [[rng.gauss(0, 1) + (2.0 if j == t and rng.random() < 0.5 + 0.1 * epoch else 0) for j in range(6)] for t in targets]
        run.log_eval(epoch, targets, logits)
        ckpt = os.path.join(runs, "model-%d.pt" % epoch)
        with open(ckpt, "wb") as f:
            f.write(b"x" * (1000 + epoch))
        run.log_checkpoint(ckpt, epoch)
print(run.dir)
`;

test('a folder written by the Python writer passes the readers of the CLI, the catalog and the dashboard', (t) => {
  const runs = tempDir(t);
  const dir = python(t, WRITE_RUN, [runs]).trim();
  const p = runPaths(dir);

  const m = readRunManifest(dir);
  assert.equal(m.status, 'completed');
  assert.equal(m.backend, 'pytorch-cpu');
  assert.deepEqual(m.progress, { epoch: 3, epochs: 3, step: 12 });
  assert.equal(readRunConfig(dir).model, 'resnet18');

  const classes = readClassesFile(dir)!;
  assert.deepEqual(classes.testCounts, [10, 10, 10, 10, 10, 10]);
  assert.deepEqual(classes.groups.assignment, assignShotGroups(classes.trainCounts, classes.groups.rule));

  const tail = new MetricsTail(p.metrics);
  const records = tail.read();
  assert.equal(tail.malformed, 0);
  const lines = fs.readFileSync(p.metrics, 'utf8').split('\n').filter(Boolean);
  assert.equal(records.length, lines.length, 'every line is a valid record');
  assert.ok(lines.every((l) => parseMetricRecord(JSON.parse(l)) !== undefined));
  assert.deepEqual(
    records.filter((r) => r.kind === 'epoch').map((r) => r.epoch),
    [1, 2, 3],
  );
  assert.equal(records.filter((r) => r.kind === 'step').length, 12);

  assert.deepEqual(listEvalTags(dir), ['epoch-0001', 'epoch-0002', 'epoch-0003']);
  for (const tag of listEvalTags(dir)) {
    const ev = readEvalFile(dir, tag);
    assert.equal(ev.top1, sparseTop1Accuracy(ev.confusion));
    assert.deepEqual(ev.perClassAccuracy, sparsePerClassAccuracy(ev.confusion));
    assert.deepEqual(ev.groupAccuracy, groupAccuracy(ev.perClassAccuracy, classes.groups.assignment, confusionTotals(ev.confusion).totals));
  }

  const index = readCheckpointIndex(dir);
  assert.deepEqual(
    index.checkpoints.map((c) => [c.tag, c.bytes]),
    [
      ['epoch-0001', 1001],
      ['epoch-0002', 1002],
      ['epoch-0003', 1003],
    ],
  );
  assert.equal(index.checkpoints.filter((c) => c.best).length, 1);

  const summary = summarizeRun(dir);
  assert.deepEqual(summary.problems, []);
  assert.equal(summary.status, 'completed');
  assert.equal(summary.latestEval?.tag, 'epoch-0003');
  assert.deepEqual(
    listRuns(runs).map((r) => r.id),
    [m.id],
  );

  const snap = buildRunSnapshot(dir);
  assert.deepEqual(snap.warnings, []);
  assert.deepEqual(snap.curves.epoch, [1, 2, 3]);
  assert.equal(snap.selectedTag, 'epoch-0003');
  const last = readEvalFile(dir, 'epoch-0003');
  assert.equal(snap.evals.top1.at(-1), last.top1);
  assert.equal(snap.selected?.top1, last.top1);
  assert.equal(snap.checkpoints.length, 3);
});

// Inputs both implementations evaluate: scores rounded to one decimal so ties are common, some
// NaN scores (sent as null), long-tailed train counts, both group rules.
function cases(): { numClasses: number; labels: number[]; scores: (number | null)[][]; trainCounts: number[]; rule: GroupRule }[] {
  const rng = new Rng(11);
  const out = [];
  for (let k = 0; k < 24; k++) {
    const numClasses = 2 + rng.int(k < 20 ? 12 : 120);
    const n = rng.int(300);
    const labels = Array.from({ length: n }, () => rng.int(numClasses));
    const scores = labels.map(() =>
      Array.from({ length: numClasses }, () => (rng.next() < 0.01 ? null : Math.round((rng.next() * 4 - 2) * 10) / 10)),
    );
    const trainCounts = Array.from({ length: numClasses }, (_, i) => Math.floor(600 * Math.pow(0.01, i / Math.max(1, numClasses - 1))));
    const rule: GroupRule = k % 3 === 0 ? { kind: 'terciles' } : { kind: 'shots', many: 100, few: 20 };
    out.push({ numClasses, labels, scores, trainCounts, rule });
  }
  return out;
}

const EVAL_CASES = `
import json, math, gpaco_lab
src, = sys.argv[1:]
out = []
for c in json.load(open(src)):
    scores = [[math.nan if v is None else v for v in row] for row in c["scores"]]
    assignment = gpaco_lab.assign_shot_groups(c["trainCounts"], c["rule"])
    ev = gpaco_lab.eval_file(5, c["labels"], scores, assignment)
    preds = gpaco_lab.predictions_from_scores(scores)
    out.append({"assignment": assignment, "eval": ev, "labelsOnly": gpaco_lab.eval_file(5, c["labels"], preds, assignment)})
print(json.dumps(out))
`;

test('the Python evaluation math equals evalMath.ts exactly on the same inputs', (t) => {
  const input = cases();
  const file = path.join(tempDir(t), 'cases.json');
  fs.writeFileSync(file, JSON.stringify(input));
  const results = JSON.parse(python(t, EVAL_CASES, [file])) as {
    assignment: ShotGroup[];
    eval: EvalFile & { scores: string };
    labelsOnly: EvalFile;
  }[];
  assert.equal(results.length, input.length);
  input.forEach((c, i) => {
    const r = results[i]!;
    const assignment = assignShotGroups(c.trainCounts, c.rule);
    assert.deepEqual(r.assignment, assignment, `case ${i}: groups`);
    const ts = buildEvalFile({
      tag: 'epoch-0005',
      epoch: 5,
      assignment,
      numClasses: c.numClasses,
      labels: c.labels,
      scores: c.scores.flat().map((v) => (v === null ? NaN : v)),
    });
    const { scores: kind, ...py } = r.eval;
    assert.equal(kind, 'scores');
    // deepEqual on numbers is Object.is: every accuracy must be the very same double. The Python
    // writer's file is read as any viewer reads it (it may be v1, without per-image predictions).
    const { predictions: _predictions, ...tsFigures } = ts;
    const { predictions: _pyPredictions, ...pyFigures } = parseEvalFile(py, 'python eval');
    assert.deepEqual(pyFigures, tsFigures, `case ${i}: ${c.numClasses} classes, ${c.labels.length} samples`);
    const preds = predictionsFromScores(
      c.scores.flat().map((v) => (v === null ? NaN : v)),
      c.numClasses,
    );
    assert.deepEqual(
      parseEvalFile(r.labelsOnly, 'python eval').confusion,
      sparseFromDense(confusionMatrix(c.labels, preds, c.numClasses)),
      `case ${i}: labels only`,
    );
    assert.equal(r.labelsOnly.top1, ts.top1);
  });
});

test('a live Python writer process shows as running (it holds metrics.jsonl open); killed, as interrupted', async (t) => {
  const runs = tempDir(t);
  const file = path.join(tempDir(t, 'gpaco-py-'), 'live.py');
  fs.writeFileSync(
    file,
    `import sys, time\nsys.path.insert(0, ${JSON.stringify(PKG)})\nimport gpaco_lab\nrun = gpaco_lab.Run.create(sys.argv[1], "live", {}, ["a", "b"], [5, 1])\nprint(run.dir, flush=True)\ntime.sleep(120)\n`,
  );
  const child = spawn(findPython(), [file, runs], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  const dir = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
  assert.equal(displayStatus(readRunManifest(dir)), 'running');
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
  assert.equal(displayStatus(readRunManifest(dir)), 'interrupted');
});
