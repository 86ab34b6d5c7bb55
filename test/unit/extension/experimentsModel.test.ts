// The Experiments panel's host model on real fixture folders (test/fixtures/experiments): rows,
// the order after a sort and filter, computed from the wire rows as the webview does and equal to
// the host's own, groups with mean ± sample std computed by hand here, a live update that
// re-reads only the changed run, and the CSV of the table as shown.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExperimentsModel } from '../../../src/extension/experiments/tableModel';
import { DEFAULT_EXPERIMENTS_VIEW, type ExperimentRow, type ExperimentsView } from '../../../src/protocol/experiments';
import { arrangeRows, shownGroupLabel } from '../../../src/protocol/experimentsTable';
import { writeSweepFixture, type PlannedRun } from '../../fixtures/experiments/generate';

let root: string;
let plan: PlannedRun[];
let dirs: string[];

const view = (over: Partial<ExperimentsView>): ExperimentsView => ({ ...DEFAULT_EXPERIMENTS_VIEW, ...over });
const lastFew = (r: PlannedRun) => r.evals[r.evals.length - 1]?.few;
/** Appends an eval record (as the trainer does) to a fixture run's metrics.jsonl. */
function appendEval(id: string, epoch: number, few: number): void {
  const tag = `epoch-${String(epoch).padStart(4, '0')}`;
  const record = {
    kind: 'eval',
    epoch,
    tag,
    top1: 0.5,
    top5: 0.7,
    many: 0.6,
    medium: 0.5,
    few,
    file: `evals/${tag}.json`,
    time: new Date().toISOString(),
  };
  fs.appendFileSync(path.join(root, id, 'metrics.jsonl'), `${JSON.stringify(record)}\n`);
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-exp-model-'));
  plan = writeSweepFixture(root, { runs: 480, evals: 6, evalFileMaxClasses: 0, faults: false });
  dirs = plan.map((r) => path.join(root, r.id));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('experiments table model', () => {
  it('has one row per run, the differing keys with seed; its rows sort by few as the webview sorts them', () => {
    const model = new ExperimentsModel(() => dirs);
    const v = view({ sort: { column: 'metric:few', descending: true } });
    const snap = model.snapshot(v, 1);
    assert.equal(snap.rows.length, plan.length);
    assert.equal(snap.seq, 1);
    assert.ok(snap.configKeys.includes('seed') && snap.configKeys.includes('loss.alpha') && snap.configKeys.includes('loss.kind'));
    const order = arrangeRows(snap.rows, v).rows;
    const best = Math.max(...plan.filter((r) => r.evals.length).map((r) => lastFew(r)!));
    assert.equal(order[0]!.metrics.few, best);
    // Missing values last, even sorting descending: queued runs have no evaluation.
    assert.equal(order[order.length - 1]!.metrics.few, null);
  });

  it('the webview, arranging the wire rows, shows the order and groups the host computes from its own rows', () => {
    const model = new ExperimentsModel(() => dirs);
    const snap = model.snapshot(view({}), 1);
    // A wire trip: the rows as the webview receives them.
    const wire = JSON.parse(JSON.stringify(snap.rows)) as ExperimentRow[];
    const tagged = plan.find((r) => r.tags.length)?.tags[0] ?? '';
    const views: ExperimentsView[] = [
      view({ sort: { column: 'metric:few', descending: true } }),
      view({ sort: { column: 'name', descending: false }, filter: { text: 'gpaco', status: 'completed', tag: '' } }),
      view({ sort: { column: 'config:loss.alpha', descending: false }, filter: { text: 'optim.lr=0.1', status: '', tag: '' } }),
      // A key every run shares (not a differing key): the wire rows carry the whole config.
      view({ filter: { text: 'eval.every=1', status: '', tag: '' } }),
      view({ filter: { text: '', status: '', tag: tagged } }),
      view({ sort: { column: 'metric:top1', descending: true }, groupBy: { except: ['seed'] } }),
      view({
        sort: { column: 'created', descending: false },
        groupBy: { except: ['seed', 'loss.alpha'] },
        filter: { text: 'c100', status: '', tag: '' },
      }),
    ];
    for (const v of views) {
      const host = model.arranged(v);
      const webview = arrangeRows(wire, v);
      const what = JSON.stringify(v.sort ?? v.filter);
      assert.deepEqual(
        webview.rows.map((r) => r.id),
        host.rows.map((r) => r.id),
        `rows of ${what}`,
      );
      assert.deepEqual(
        webview.groups?.map((g) => [g.key, g.label, g.members.map((m) => m.id), g.metrics.few?.mean, g.metrics.few?.std]),
        host.groups?.map((g) => [g.key, g.label, g.members.map((m) => m.id), g.metrics.few?.mean, g.metrics.few?.std]),
        `groups of ${what}`,
      );
    }
    // The views are not trivial: they filter to some rows, and the shared-key filter matches some.
    assert.ok(model.arranged(views[3]!).rows.length > 0);
    assert.ok(model.arranged(views[1]!).rows.length < plan.length);
  });

  it('groups everything but seed with mean ± sample std (n) over the filtered runs', () => {
    const model = new ExperimentsModel(() => dirs);
    const v = view({
      groupBy: { except: ['seed'] },
      filter: { text: 'loss.kind=gpaco loss.alpha=0.05 optim.lr=0.1 data.classes=10', status: '', tag: '' },
    });
    const snap = model.snapshot(v, 1);
    const { groups } = arrangeRows(snap.rows, v);
    assert.equal(groups?.length, 1);
    const g = groups[0]!;
    const members = plan.filter((r) => r.method === 'gpaco' && r.alpha === 0.05 && r.lr === 0.1 && r.classes === 10);
    assert.deepEqual(g.members.map((m) => m.id).sort(), members.map((r) => r.id).sort());
    const xs = members.filter((r) => r.evals.length).map((r) => lastFew(r)!);
    assert.ok(xs.length >= 2, `the fixture gives this config ${xs.length} evaluated seeds`);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
    assert.ok(Math.abs(g.metrics.few!.mean - mean) < 1e-12);
    assert.ok(Math.abs(g.metrics.few!.std! - std) < 1e-12);
    assert.equal(g.metrics.few!.n, xs.length);
    // Alone after the filter, the group is named by its values of the table's differing keys.
    assert.match(shownGroupLabel(g, snap.configKeys, ['seed']), /loss\.kind=gpaco/);
  });

  it('a live update re-reads only the invalidated run and sends only its row', () => {
    const model = new ExperimentsModel(() => dirs);
    const v = view({ sort: { column: 'metric:few', descending: true } });
    const snap = model.snapshot(v, 1);
    const run = plan.find((r) => r.status === 'completed')!;
    appendEval(run.id, 50, 0.9991);
    const reads = model.cache.stats.reads;
    model.invalidate([path.join(root, run.id)]);
    const update = model.update(v)!;
    assert.equal(model.cache.stats.reads - reads, 1, 'one run read again, not 480');
    assert.deepEqual(
      update.rows.map((r) => r.id),
      [run.id],
    );
    assert.equal(update.rows[0]!.metrics.few, 0.9991);
    assert.equal(update.rows[0]!.valueEpoch, 50);
    const rows = snap.rows.map((r) => update.rows.find((u) => u.id === r.id) ?? r);
    assert.equal(arrangeRows(rows, v).rows[0]!.id, run.id, 'the new best few-shot value sorts first');
  });

  it('load reads every run without holding the event loop; the snapshot after it reads nothing', async () => {
    const model = new ExperimentsModel(() => dirs);
    const v = view({});
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const t0 = performance.now();
    try {
      await model.load(v);
    } finally {
      clearInterval(timer);
    }
    const loadMs = performance.now() - t0;
    assert.ok(ticks > 0, `the event loop ran while ${plan.length} runs were read (${loadMs.toFixed(0)} ms)`);
    assert.equal(model.cache.stats.reads, plan.length);
    const snap = model.snapshot(v, 1);
    assert.equal(model.cache.stats.reads, plan.length, 'the snapshot found every row loaded');
    assert.equal(snap.rows.length, plan.length);
    // A run that changes while a load is reading it (with 20 others: more than are read at once)
    // ends with its new values (a read the watcher's invalidation overtook is not kept).
    const run = plan.find((r) => r.status === 'completed')!;
    const dir = path.join(root, run.id);
    model.invalidate([dir, ...dirs.filter((d) => d !== dir).slice(0, 20)]);
    const loading = model.load(v);
    await new Promise((resolve) => setImmediate(resolve));
    appendEval(run.id, 60, 0.4242);
    model.invalidate([dir]);
    await loading;
    await model.load(v);
    const update = model.update(v)!;
    assert.equal(update.rows.find((r) => r.id === run.id)?.metrics.few, 0.4242);
  });

  it('exports the table as shown: the filtered rows, in order, with the chosen config columns', () => {
    const model = new ExperimentsModel(() => dirs);
    const v = view({
      sort: { column: 'name', descending: false },
      filter: { text: 'loss.kind=ce', status: 'completed', tag: '' },
      configColumns: ['loss.alpha', 'seed'],
    });
    model.snapshot(v, 1);
    const lines = model.csv(v).trim().split(/\r?\n/);
    const expected = plan.filter((r) => r.method === 'ce' && r.status === 'completed');
    assert.equal(lines.length, expected.length + 1);
    assert.match(lines[0]!, /few \(last\)/);
    assert.match(lines[0]!, /,loss\.alpha,seed$/);
    const names = lines.slice(1).map((l) => l.split(',')[0]);
    assert.deepEqual(names, [...names].sort());
  });
});
