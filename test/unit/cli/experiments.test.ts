// gpaco ls's experiment flags, gpaco tag and gpaco note: the built CLI on a generated sweep
// fixture, its numbers checked against the fixture's plan.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { sweepPlan, writeSweepFixture, type PlannedRun } from '../../fixtures/experiments/generate';
import type { ReportData } from '../../../src/protocol/snapshot';
import { tempDir } from '../../../test/shared/tmp';
import { cli } from './harness';

const OPTIONS = { runs: 130, evals: 6 } as const;

function fixture(t: TestContext): { cwd: string; plan: PlannedRun[] } {
  const cwd = tempDir(t);
  const plan = writeSweepFixture(path.join(cwd, 'runs'), OPTIONS);
  return { cwd, plan };
}

interface RowOut {
  id: string;
  status: string;
  tags: string[];
  value: { epoch: number | null };
  metrics: Record<string, number | null>;
}
interface GroupOut {
  label: string;
  classes: number;
  n: number;
  members: string[];
  apart: string | null;
  metrics: Record<string, { mean: number; std: number | null; n: number; min: number; max: number } | null>;
}

/** Best few-shot evaluation of a planned run, ties to the earliest epoch (computed here, not by the code under test). */
function bestFew(p: PlannedRun) {
  let best: PlannedRun['evals'][number] | undefined;
  for (const e of p.evals) if (!best || e.few > best.few) best = e;
  return best;
}

test('ls --json --value best / epoch:N: the values and epochs each run reaches, from the fixture plan', async (t) => {
  const { cwd, plan } = fixture(t);
  const best = await cli(['ls', '--json', '--value', 'best'], { cwd });
  assert.equal(best.code, 0, best.stderr);
  const rows = JSON.parse(best.stdout) as RowOut[];
  assert.equal(rows.length, plan.length);
  for (const p of plan) {
    const r = rows.find((x) => x.id === p.id)!;
    const b = bestFew(p);
    assert.equal(r.value.epoch, b?.epoch ?? null, `${p.id} best epoch`);
    assert.equal(r.metrics.few, b?.few ?? null);
    assert.equal(r.metrics.top1, b?.top1 ?? null, 'all cells from the best-by-few evaluation');
  }
  const at = JSON.parse((await cli(['ls', '--json', '--value', 'epoch:4'], { cwd })).stdout) as RowOut[];
  for (const p of plan) {
    const r = at.find((x) => x.id === p.id)!;
    assert.equal(r.metrics.many, p.evals.find((e) => e.epoch === 4)?.many ?? null, `${p.id} at epoch 4 (${p.done} epochs done)`);
  }
});

test('ls --group-by-config --json: groups of seeds with mean ± sample std by hand; class counts never mixed', async (t) => {
  const { cwd, plan } = fixture(t);
  const r = await cli(['ls', '--group-by-config', '--json'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  const groups = JSON.parse(r.stdout) as GroupOut[];
  // 4 methods x 5 alphas x 2 lrs x 3 class counts.
  assert.equal(groups.length, 120);
  for (const g of groups) {
    const classes = new Set(g.members.map((id) => plan.find((p) => p.id === id)!.classes));
    assert.deepEqual([...classes], [g.classes], `${g.label}: one class count`);
  }
  // Pick a group whose two members both have a last evaluation and check it by hand.
  const pair = groups.find((g) => g.n === 2 && g.members.every((id) => plan.find((p) => p.id === id)!.evals.length > 0))!;
  assert.ok(pair, 'a two-seed group with evaluations');
  const [x, y] = pair.members.map((id) => plan.find((p) => p.id === id)!.evals.at(-1)!.top1) as [number, number];
  const mean = (x + y) / 2;
  const std = Math.sqrt(((x - mean) ** 2 + (y - mean) ** 2) / (2 - 1));
  assert.ok(Math.abs(pair.metrics.top1!.mean - mean) < 1e-12);
  assert.ok(Math.abs(pair.metrics.top1!.std! - std) < 1e-12);
  assert.deepEqual([pair.metrics.top1!.min, pair.metrics.top1!.max], [Math.min(x, y), Math.max(x, y)]);
  // Grouping by everything but seed and data.classes still keeps class counts apart, and says why.
  const loose = JSON.parse(
    (await cli(['ls', '--group-by-config', '--except', 'seed,data.classes', '--json'], { cwd })).stdout,
  ) as GroupOut[];
  assert.equal(loose.length, 120);
  assert.ok(loose.every((g) => g.apart && /not comparable/.test(g.apart)));

  const text = await cli(['ls', '--group-by-config', '--filter', 'loss.kind=gpaco data.classes=10', '--sort', 'few'], { cwd });
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^GROUP +N +TOP-1 +MANY +MEDIUM +FEW$/);
  assert.match(lines[2]!, /\d+\.\d ± \d+\.\d \(\d\)$|\d+\.\d \(1\)$/);
  assert.match(lines.at(-1)!, /^10 groups of \d+ runs \(equal configs except seed; mean ± sample std \(n\)\)/);
});

test('ls --sort / --filter / --tag / --status / --columns: the right runs in the right order', async (t) => {
  const { cwd, plan } = fixture(t);
  const sorted = JSON.parse((await cli(['ls', '--json', '--sort', 'few'], { cwd })).stdout) as RowOut[];
  const withEval = plan.filter((p) => (p.evals.length && p.fault !== 'malformed-run-json' ? true : p.evals.length > 0));
  const topFew = Math.max(...withEval.map((p) => p.evals.at(-1)!.few));
  assert.equal(sorted[0]!.metrics.few, topFew);
  // Missing values last.
  assert.equal(sorted.at(-1)!.metrics.few, null);
  const ascending = JSON.parse((await cli(['ls', '--json', '--sort', 'few:asc'], { cwd })).stdout) as RowOut[];
  assert.equal(ascending[0]!.metrics.few, Math.min(...withEval.map((p) => p.evals.at(-1)!.few)));
  assert.equal(ascending.at(-1)!.metrics.few, null);

  const tagged = JSON.parse((await cli(['ls', '--json', '--tag', 'promising', '--tag', 'baseline'], { cwd })).stdout) as RowOut[];
  const expected = plan
    .filter((p) => p.fault !== 'malformed-meta' && p.tags.includes('promising') && p.tags.includes('baseline'))
    .map((p) => p.id);
  assert.deepEqual(tagged.map((r) => r.id).sort(), expected.sort());
  assert.ok(expected.length > 0);

  const failed = JSON.parse((await cli(['ls', '--json', '--status', 'failed', '--filter', 'paco'], { cwd })).stdout) as RowOut[];
  assert.deepEqual(
    failed.map((r) => r.id).sort(),
    plan
      .filter((p) => p.status === 'failed' && p.fault === undefined && p.method.includes('paco'))
      .map((p) => p.id)
      .sort(),
  );

  const cols = await cli(
    ['ls', '--columns', 'name,few,loss.alpha,seed,tags', '--value', 'best:top1', '--filter', 'gpaco', '--sort', 'loss.alpha:desc'],
    { cwd },
  );
  assert.equal(cols.code, 0, cols.stderr);
  const lines = cols.stdout.split('\n');
  assert.match(lines[0]!, /^NAME +FEW \(BEST TOP-1\) +loss\.alpha +seed +TAGS$/);
  assert.match(lines[2]!, / 0\.2 +\d+ +/);
});

test('ls: bad flags are usage errors with a pointer (exit 2)', async (t) => {
  const { cwd } = fixture(t);
  const bad = async (args: string[], re: RegExp) => {
    const r = await cli(['ls', ...args], { cwd });
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, re);
  };
  await bad(['--value', 'best:loss'], /--value "best:loss": best:METRIC takes one of top1, top5, many, medium, few/);
  await bad(['--except', 'seed'], /--except goes with --group-by-config/);
  await bad(['--sort', 'loss.alpah'], /unknown column "loss\.alpah"; did you mean "loss\.alpha"/);
  await bad(['--columns', 'name,fwe'], /unknown column "fwe"; did you mean "few"/);
  await bad(['--status', 'done'], /--status "done" is not a status/);
});

test('tag and note: +tag -tag round trip into ls --tag; bad tags refused; malformed meta kept in a backup', async (t) => {
  const { cwd, plan } = fixture(t);
  const run = plan.find((p) => p.tags.includes('baseline') && p.fault === undefined)!;
  const r = await cli(['tag', run.id, '+paper', '-baseline', '+α=0.05'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `${run.id}: ${[...run.tags.filter((x) => x !== 'baseline'), 'paper', 'α=0.05'].join(' ')}`);
  const listed = JSON.parse((await cli(['ls', '--json', '--tag', 'paper'], { cwd })).stdout) as RowOut[];
  assert.deepEqual(
    listed.map((x) => x.id),
    [run.id],
  );
  assert.ok(!listed[0]!.tags.includes('baseline'));
  assert.equal((await cli(['tag', run.id], { cwd })).stdout.trim(), `${run.id}: ${listed[0]!.tags.join(' ')}`);

  const bad = await cli(['tag', run.id, '+two words'], { cwd });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /tag "two words" contains a space \(U\+0020\) at position 4/);
  const long = await cli(['tag', run.id, `+${'x'.repeat(41)}`], { cwd });
  assert.equal(long.code, 2);
  assert.match(long.stderr, /41 characters long; at most 40/);

  const broken = plan.find((p) => p.fault === 'malformed-meta')!;
  const dir = path.join(cwd, 'runs', broken.id);
  const original = fs.readFileSync(path.join(dir, 'meta.json'), 'utf8');
  const fixed = await cli(['tag', broken.id, '+rescued'], { cwd });
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.match(fixed.stderr, /meta\.json was malformed; its content was kept in .*meta\.malformed-.*\.json/);
  const backup = fs.readdirSync(dir).find((f) => f.startsWith('meta.malformed-'))!;
  assert.equal(fs.readFileSync(path.join(dir, backup), 'utf8'), original);

  const note = await cli(['note', run.id, '-2 points on few, but stable over seeds'], { cwd });
  assert.equal(note.code, 0, note.stderr);
  assert.equal((await cli(['note', run.id], { cwd })).stdout.trim(), '-2 points on few, but stable over seeds');
  const found = JSON.parse((await cli(['ls', '--json', '--filter', 'stable over'], { cwd })).stdout) as RowOut[];
  assert.deepEqual(
    found.map((x) => x.id),
    [run.id],
  );
  assert.equal((await cli(['note', run.id, ''], { cwd })).stdout.trim(), `${run.id}: note cleared`);
  const ctl = await cli(['note', run.id, 'bad \u0007 bell'], { cwd });
  assert.equal(ctl.code, 2);
  assert.match(ctl.stderr, /U\+0007/);
});

test('sweepPlan and writeSweepFixture agree with OPTIONS (the plan the CLI tests compute from)', () => {
  assert.equal(sweepPlan(OPTIONS).length, 130);
});

test("report --group-by-config: groups table with mean ± std by hand, the Compare tab's groups with bands, classes kept apart, names escaped", async (t) => {
  // Three seeds of every config, so groups have a std.
  const cwd = tempDir(t);
  const plan = writeSweepFixture(path.join(cwd, 'runs'), { runs: 360, evals: 4 });
  const gpaco10 = plan.filter((p) => p.method === 'gpaco' && p.classes === 10 && p.fault === undefined);
  // A run name that would be markup if it were not escaped.
  const victim = gpaco10[0]!;
  const runJson = path.join(cwd, 'runs', victim.id, 'run.json');
  fs.writeFileSync(runJson, JSON.stringify({ ...JSON.parse(fs.readFileSync(runJson, 'utf8')), name: '<img src=x onerror=alert(1)>' }));

  const out = path.join(cwd, 'groups.html');
  const r = await cli(['report', '--group-by-config', '--filter', 'loss.kind=gpaco data.classes=10', '--out', out], { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /10 groups of \d+ runs, 8 runs in full/);
  const html = fs.readFileSync(out, 'utf8');
  assert.ok(!html.includes('<img src=x'), 'the run name is escaped');
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
  // A group's top-1 at the last evaluation, by hand (the first with two evaluated seeds).
  const pick = gpaco10.find((q) => gpaco10.filter((p) => p.alpha === q.alpha && p.lr === q.lr && p.evals.length).length >= 2)!;
  const members = gpaco10.filter((p) => p.alpha === pick.alpha && p.lr === pick.lr && p.evals.length);
  const xs = members.map((p) => p.evals.at(-1)!.top1);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
  const row = new RegExp(
    `>loss\\.alpha=${pick.alpha} optim\\.lr=${pick.lr}</td><td class="num">\\d+</td><td class="num">10</td><td class="num">${(mean * 100).toFixed(1)} ± ${(std * 100).toFixed(1)} <small>\\(${xs.length}\\)</small>`,
  );
  assert.match(html, row);

  // The Compare tab's data: the 10 groups (5 alphas x 2 lrs), each with its members, the std
  // band choice, and the picked group's loss and top-1 curves at the last epoch, by hand.
  const compareOf = (h: string) =>
    (JSON.parse(/<script type="application\/json" id="gpaco-data">(.*?)<\/script>/s.exec(h)![1]!) as ReportData).compare!;
  const compare = compareOf(html);
  assert.equal(compare.runs.length, 0, 'groups only');
  assert.equal(compare.groups?.length, 10);
  assert.equal(compare.band, 'std');
  const group = compare.groups.find((g) => g.label === `loss.alpha=${pick.alpha} optim.lr=${pick.lr}`)!;
  assert.deepEqual(
    [...group.members].sort(),
    gpaco10
      .filter((p) => p.alpha === pick.alpha && p.lr === pick.lr)
      .map((p) => p.id)
      .sort(),
  );
  const lastEpoch = Math.max(...members.map((p) => p.done));
  for (const [curve, value] of [
    [group.loss, (e: PlannedRun['evals'][number]) => e.loss],
    [group.curves.top1, (e: PlannedRun['evals'][number]) => e.top1],
  ] as const) {
    const at = members.flatMap((p) => p.evals.filter((e) => e.epoch === lastEpoch).map(value));
    const i = curve.epochs.indexOf(lastEpoch);
    assert.equal(curve.n[i], at.length);
    assert.ok(Math.abs(curve.mean[i]! - at.reduce((a, b) => a + b, 0) / at.length) < 1e-12);
    assert.equal(curve.max[i], Math.max(...at));
  }
  // The config differences have a column per group: seeds vary inside each one.
  const seed = compare.configDiff.find((d) => d.key === 'seed')!;
  assert.equal(seed.groups?.length, 10);
  assert.ok(seed.groups.every((c) => c.kind === 'varies'));
  const minmax = path.join(cwd, 'minmax.html');
  const rm = await cli(
    ['report', '--group-by-config', '--band', 'minmax', '--filter', 'loss.kind=gpaco data.classes=10', '--out', minmax],
    {
      cwd,
    },
  );
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(compareOf(fs.readFileSync(minmax, 'utf8')).band, 'minmax');

  // Grouping across class counts keeps them apart and says why in the report.
  const apartOut = path.join(cwd, 'apart.html');
  assert.equal(
    (
      await cli(
        ['report', '--group-by-config', '--except', 'seed,data.classes', '--filter', 'loss.kind=ce loss.alpha=0.01', '--out', apartOut],
        { cwd },
      )
    ).code,
    0,
  );
  assert.match(fs.readFileSync(apartOut, 'utf8'), /<ul class="gpaco-groups-apart"><li>.*not comparable/);

  const noGroup = await cli(['report', victim.id, '--filter', 'x', '--out', out], { cwd });
  assert.equal(noGroup.code, 2);
  assert.match(noGroup.stderr, /--filter goes with --group-by-config/);
  const badBand = await cli(['report', '--group-by-config', '--band', 'iqr', '--out', out], { cwd });
  assert.equal(badBand.code, 2);
  assert.match(badBand.stderr, /--band must be std or minmax/);
});

test('ls --csv: the shown columns as CSV, rows and groups, with the mode in the headers', async (t) => {
  const { cwd, plan } = fixture(t);
  const r = await cli(['ls', '--csv', '--columns', 'id,few,eval-epoch', '--value', 'best', '--status', 'completed'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\r\n').filter(Boolean);
  assert.equal(lines[0], 'id,few (best few),epoch of best few');
  const completed = plan.filter((p) => p.status === 'completed' && p.fault !== 'malformed-run-json');
  assert.equal(lines.length - 1, completed.length);
  for (const line of lines.slice(1)) {
    const [id, few, epoch] = line.split(',');
    const b = bestFew(completed.find((p) => p.id === id)!)!;
    assert.deepEqual([Number(few), Number(epoch)], [b.few, b.epoch], id);
  }
  const g = await cli(['ls', '--csv', '--group-by-config', '--columns', 'group,n,top1'], { cwd });
  assert.equal(g.code, 0, g.stderr);
  const glines = g.stdout.split('\r\n').filter(Boolean);
  assert.equal(glines[0], 'name,n,top-1 (last) mean,top-1 (last) std,top-1 (last) n');
  assert.equal(glines.length - 1, 120);
});
