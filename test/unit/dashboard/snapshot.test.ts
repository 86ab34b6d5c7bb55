// Snapshot building from real run directories in temp folders (fixture runs written by the
// core writers): display order, decoded matrices, live reading, compare and report data.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunManifest, SlurmLaunchRecord } from '../../../src/core/contract';
import { confusionCell } from '../../../src/core/evalEncoding';
import { headToTailOrder } from '../../../src/core/evalMath';
import { readEvalFile } from '../../../src/core/runDirectory';
import {
  RunSnapshotSource,
  buildCompareSnapshot,
  buildReportData,
  buildRunSnapshot,
  configDifferences,
  displayStatusOf,
} from '../../../src/core/snapshot';
import { decodeMatrix } from '../../../src/protocol/matrixCodec';
import { TOP_PAIRS } from '../../../src/protocol/snapshot';
import { appendEpoch, makeFixtureRun } from '../../../test/shared/dashboardRuns';

let root: string;
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-snap-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('run snapshot', () => {
  it('puts classes head to tail and permutes the evaluation with them', () => {
    const run = makeFixtureRun(root, { classes: 10, id: 'r10' });
    const snap = buildRunSnapshot(run.dir);
    const order = headToTailOrder(run.classes.trainCounts);
    assert.notDeepEqual(
      order,
      [...order].sort((a, b) => a - b),
      'fixture labels must not already be in display order',
    );
    assert.deepEqual(snap.classes!.label, order);
    assert.deepEqual(
      snap.classes!.names,
      order.map((i) => run.classes.names[i]),
    );
    assert.deepEqual(
      snap.classes!.trainCounts,
      [...run.classes.trainCounts].sort((a, b) => b - a),
    );
    assert.deepEqual(
      snap.classes!.groups,
      order.map((i) => run.classes.groups.assignment[i]),
    );

    const ev = readEvalFile(run.dir, 'epoch-0003');
    assert.equal(snap.selectedTag, 'epoch-0003', 'follows the latest evaluation');
    assert.equal(snap.pinned, false);
    const m = decodeMatrix(snap.selected!.confusion);
    for (let i = 0; i < 10; i++) {
      for (let j = 0; j < 10; j++) assert.equal(m[i * 10 + j], confusionCell(ev.confusion, order[i]!, order[j]!), `cell ${i},${j}`);
      assert.equal(snap.selected!.perClassAccuracy[i], ev.perClassAccuracy[order[i]!]);
    }
    assert.equal(snap.selected!.top1, ev.top1);
  });

  it('reads curves, checkpoints, header and a pinned selection', () => {
    const run = makeFixtureRun(root, { classes: 10, id: 'r10b', epochs: 4 });
    const snap = buildRunSnapshot(run.dir, { selectedTag: 'epoch-0002' });
    assert.deepEqual(snap.curves.epoch, [1, 2, 3, 4]);
    assert.deepEqual(snap.curves.loss, [2.5, 1.25, 2.5 / 3, 2.5 / 4]);
    assert.deepEqual(snap.evals.tag, ['epoch-0001', 'epoch-0002', 'epoch-0003', 'epoch-0004']);
    assert.equal(snap.pinned, true);
    assert.equal(snap.selected!.tag, 'epoch-0002');
    assert.deepEqual(
      snap.checkpoints.map((c) => [c.tag, c.hasCheckpoint, c.hasEval]),
      [4, 3, 2, 1].map((e) => [`epoch-000${e}`, true, true]),
    );
    assert.equal(snap.checkpoints.filter((c) => c.best).length, 1);
    assert.equal(snap.run.epoch, 4);
    assert.equal(snap.run.epochs, 10);
    assert.equal(snap.run.secondsPerEpoch, (171 + 172 + 173 + 174) / 4);
    assert.equal(snap.run.status, 'completed');
    assert.equal(snap.run.canStop, false);
  });

  it('an unknown selected tag falls back to the latest with a warning', () => {
    const run = makeFixtureRun(root, { classes: 10, id: 'r10c' });
    const snap = buildRunSnapshot(run.dir, { selectedTag: 'epoch-0099' });
    assert.equal(snap.selectedTag, 'epoch-0003');
    assert.equal(snap.pinned, false);
    assert.match(snap.warnings.join('\n'), /epoch-0099/);
  });

  it('a live source sees appended epochs and evaluations, and caches unchanged details', () => {
    const run = makeFixtureRun(root, { classes: 100, id: 'r100', status: 'running' });
    const source = new RunSnapshotSource(run.dir);
    const alive = () => true;
    const first = source.build({ isAlive: alive });
    assert.equal(first.selected!.tag, 'epoch-0003');
    const again = source.build({ isAlive: alive });
    assert.equal(again.selected, first.selected, 'same detail object while the file is unchanged');
    appendEpoch(run.dir, run.classes, 4);
    const next = source.build({ isAlive: alive });
    assert.deepEqual(next.curves.epoch, [1, 2, 3, 4]);
    assert.equal(next.selected!.tag, 'epoch-0004');
    assert.equal(next.run.epoch, 4);
    assert.ok(source.evaluationTags().has('epoch-0004'));
  });

  it('a running run whose process is gone is interrupted and resumable', () => {
    const run = makeFixtureRun(root, { classes: 10, id: 'r10d', status: 'running' });
    const snap = buildRunSnapshot(run.dir, { isAlive: () => false });
    assert.equal(snap.run.status, 'interrupted');
    assert.equal(snap.run.canResume, true);
    assert.equal(snap.run.canStop, false);
  });

  it('lists the top confused pairs: the largest off-diagonal cells, in display indices', () => {
    const run = makeFixtureRun(root, { classes: 100, id: 'r100pairs', epochs: 1 });
    const snap = buildRunSnapshot(run.dir);
    const ev = readEvalFile(run.dir, 'epoch-0001');
    const order = headToTailOrder(run.classes.trainCounts);
    const pairs = snap.selected!.topPairs;
    const m = ev.confusion.cells;
    const off: { t: number; p: number; n: number }[] = [];
    for (let k = 0; k < m.length; k += 3) if (m[k] !== m[k + 1]) off.push({ t: m[k]!, p: m[k + 1]!, n: m[k + 2]! });
    assert.equal(pairs.length, Math.min(TOP_PAIRS, off.length));
    assert.ok(off.length > TOP_PAIRS / 2, 'the fixture confuses enough to fill most of a list');
    // Every listed pair is the cell it names, with its share of the true class's test images.
    for (const q of pairs) {
      const t = order[q.true]!;
      const p = order[q.pred]!;
      assert.notEqual(t, p);
      assert.equal(q.count, confusionCell(ev.confusion, t, p));
      assert.equal(q.share, q.count / run.classes.testCounts[t]!);
    }
    // Sorted by count, and nothing left out is larger than the smallest listed.
    for (let i = 1; i < pairs.length; i++) assert.ok(pairs[i - 1]!.count >= pairs[i]!.count);
    const sorted = off.map((o) => o.n).sort((a, b) => b - a);
    assert.deepEqual(
      pairs.map((q) => q.count),
      sorted.slice(0, pairs.length),
    );
    // Most confused with, per class: its largest off-diagonal cell.
    const d = snap.selected!;
    order.forEach((label, i) => {
      const row = off.filter((o) => o.t === label);
      const best = Math.max(0, ...row.map((o) => o.n));
      assert.equal(d.mostConfusedCount[i], best, `class ${label}`);
      if (best > 0) assert.equal(confusionCell(ev.confusion, label, order[d.mostConfusedWith[i]!]!), best);
      else assert.equal(d.mostConfusedWith[i], -1);
    });
  });

  it('stays small at 8,142 classes (24,426 test images)', () => {
    const run = makeFixtureRun(root, { classes: 8142, id: 'r8142', epochs: 1, testPerClass: 3 });
    const started = performance.now();
    const snap = buildRunSnapshot(run.dir);
    const ms = performance.now() - started;
    const bytes = JSON.stringify({ type: 'snapshot', snapshot: snap }).length;
    console.log(`[snapshot] 8,142 classes: message ${(bytes / 1024 / 1024).toFixed(2)} MiB, built in ${ms.toFixed(0)} ms (shared machine)`);
    assert.equal(snap.selected!.n, 24_426);
    assert.equal(snap.selected!.confusion.encoding, 'gaps');
    assert.ok(bytes < 4 * 1024 * 1024, `snapshot is ${bytes} bytes`);
  });

  it('uses the compact matrix encoding at 1000 classes', () => {
    const run = makeFixtureRun(root, { classes: 1000, id: 'r1000', epochs: 1 });
    const snap = buildRunSnapshot(run.dir);
    assert.equal(snap.selected!.confusion.encoding, 'gaps');
    const bytes = JSON.stringify(snap).length;
    assert.ok(bytes < 1_000_000, `snapshot is ${bytes} bytes`);
    const m = decodeMatrix(snap.selected!.confusion);
    const total = m.reduce((a, b) => a + b, 0);
    assert.equal(total, snap.selected!.n);
  });

  it('reports a broken evaluation file as a warning, not an exception', () => {
    const run = makeFixtureRun(root, { classes: 10, id: 'r10e' });
    fs.writeFileSync(path.join(run.dir, 'evals', 'epoch-0003.json'), '{"schema":"gpaco-eval/1"');
    const snap = buildRunSnapshot(run.dir);
    assert.equal(snap.selected, null);
    assert.match(snap.warnings.join('\n'), /epoch-0003\.json/);
  });
});

describe('compare snapshot', () => {
  it('lists exactly the config keys that differ', () => {
    const a = makeFixtureRun(root, { classes: 10, id: 'ca', edit: (c) => (c.loss.kind = 'gpaco') });
    const b = makeFixtureRun(root, { classes: 10, id: 'cb', edit: (c) => ((c.loss.kind = 'ce'), (c.optim.lr = 0.1)) });
    const snap = buildCompareSnapshot([a.dir, b.dir]);
    assert.deepEqual(
      snap.configDiff.map((d) => d.key),
      ['loss.kind', 'optim.lr'],
    );
    assert.deepEqual(snap.configDiff[0]!.values, ['"gpaco"', '"ce"']);
    assert.equal(snap.sameClasses, true);
    assert.equal(snap.runs.length, 2);
    assert.equal(snap.runs[0]!.final!.tag, 'epoch-0003');
  });

  it('configDifferences treats absent keys and arrays as values', () => {
    const d = configDifferences([{ a: { b: 1, l: [1, 2] } }, { a: { b: 1, l: [1, 3], c: 2 } }, { a: { b: 1, l: [1, 2] } }]);
    assert.deepEqual(d, [
      { key: 'a.c', values: [null, '2', null] },
      { key: 'a.l', values: ['[1,2]', '[1,3]', '[1,2]'] },
    ]);
  });

  it('runs with different classes cannot be differenced', () => {
    const a = makeFixtureRun(root, { classes: 10, id: 'cc' });
    const b = makeFixtureRun(root, { classes: 100, id: 'cd' });
    assert.equal(buildCompareSnapshot([a.dir, b.dir]).sameClasses, false);
  });
});

describe('report data', () => {
  it('inlines the detail of every evaluation and a comparison', () => {
    const a = makeFixtureRun(root, { classes: 10, id: 'ra' });
    const b = makeFixtureRun(root, { classes: 10, id: 'rb', seed: 2 });
    const data = buildReportData([a.dir, b.dir]);
    assert.equal(data.runs.length, 2);
    assert.deepEqual(Object.keys(data.runs[0]!.details).sort(), ['epoch-0001', 'epoch-0002', 'epoch-0003']);
    assert.ok(data.compare);
    assert.deepEqual(data.compare.configDiff, []);
  });
});

describe('display status', () => {
  it('only a running run can be interrupted', () => {
    const run = makeFixtureRun(root, { classes: 10, id: 'st' });
    const m = JSON.parse(fs.readFileSync(path.join(run.dir, 'run.json'), 'utf8')) as RunManifest;
    assert.equal(
      displayStatusOf(m, () => false),
      'completed',
    );
    assert.equal(
      displayStatusOf({ ...m, status: 'running' }, () => false),
      'interrupted',
    );
  });

  it('a Slurm run follows its recorded job: stopped at the time limit or running after its job ended is interrupted', () => {
    const run = makeFixtureRun(root, { classes: 10, id: 'st-slurm' });
    const m = JSON.parse(fs.readFileSync(path.join(run.dir, 'run.json'), 'utf8')) as RunManifest;
    const slurm = (over: Partial<SlurmLaunchRecord>): SlurmLaunchRecord => ({ kind: 'slurm', jobId: '12', ...over });
    assert.equal(displayStatusOf({ ...m, status: 'stopped', launch: slurm({ state: 'TIMEOUT', timeLimit: true }) }), 'interrupted');
    assert.equal(displayStatusOf({ ...m, status: 'stopped', launch: slurm({ state: 'CANCELLED' }) }), 'stopped');
    // The trainer lives on a compute node: no pid check here, the job state decides.
    assert.equal(
      displayStatusOf({ ...m, status: 'running', launch: slurm({ state: 'NODE_FAIL' }) }, () => true),
      'interrupted',
    );
    assert.equal(
      displayStatusOf({ ...m, status: 'running', launch: slurm({ state: 'RUNNING' }) }, () => true),
      'running',
    );
  });
});
