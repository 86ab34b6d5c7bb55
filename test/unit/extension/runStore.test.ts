// The run store and the chokidar watcher on real folders: statuses, unreadable runs, appended
// metrics read incrementally, runs appearing and disappearing, a root created later.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { RunStore } from '../../../src/extension/watch/runStore';
import { RunsWatcher } from '../../../src/extension/watch/runsWatcher';
import { appendMetric, statusFixtureSpecs, writeFixtureRun, writeFixtureRuns, writeMalformedRun } from '../../../test/shared/fixtureRuns';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-store-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function until(what: string, probe: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('loads every run with its display status; a malformed run.json is unreadable, the rest fine', () => {
  const root = path.join(tmp, 'a');
  writeFixtureRuns(root, statusFixtureSpecs());
  writeMalformedRun(root, 'broken');
  fs.mkdirSync(path.join(root, 'not-a-run'));
  const store = new RunStore();
  store.setRoots([root]);
  const views = store.views();
  assert.deepEqual(views.map((v) => v.id).sort(), ['broken', 'fx-completed', 'fx-failed', 'fx-interrupted', 'fx-queued', 'fx-stopped']);
  const by = (id: string) => store.find(id)!;
  assert.equal(by('fx-interrupted').status, 'interrupted');
  assert.equal(by('broken').status, 'unreadable');
  assert.match(by('broken').problem!, /run\.json/);
  assert.equal(by('fx-completed').epoch, 10);
  assert.equal(by('fx-completed').checkpoints.length, 5);
  assert.equal(by('fx-completed').latestEval?.tag, 'epoch-0010');
  assert.equal(by('fx-queued').status, 'queued');
  assert.equal(views[0]!.id, 'fx-queued', 'newest first');
});

test('a running run whose process is alive stays running until the process dies', async () => {
  const root = path.join(tmp, 'live');
  // The catalog checks that the pid's command line names the run, as the trainer's does.
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', 'fx-live'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  writeFixtureRun(root, { id: 'fx-live', status: 'running', pid: child.pid! });
  const store = new RunStore();
  store.setRoots([root]);
  assert.equal(store.find('fx-live')!.status, 'running');
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  store.recheckLiveness();
  assert.equal(store.find('fx-live')!.status, 'interrupted');
});

test('the watcher follows appended metrics, new and removed runs, and a root created later', async () => {
  const root = path.join(tmp, 'later', 'runs');
  const store = new RunStore();
  const watcher = new RunsWatcher(store);
  let changes = 0;
  store.onDidChange(() => changes++);
  try {
    watcher.setRoots([root]);
    assert.equal(watcher.watchedRoots, 0);
    writeFixtureRun(root, { id: 'w1', status: 'stopped', epochs: 10, done: 4 });
    await until('the root to be picked up', () => store.find('w1') !== undefined);
    const dir = path.join(root, 'w1');
    const tailBefore = store.find('w1')!;
    appendMetric(dir, { kind: 'epoch', epoch: 5, loss: 0.4, accuracy: 0.6, lr: 0.01, seconds: 1, imagesPerSecond: 1, time: '' });
    appendMetric(dir, {
      kind: 'eval',
      epoch: 5,
      tag: 'epoch-0005',
      top1: 0.6,
      top5: 0.9,
      many: 0.7,
      medium: 0.6,
      few: 0.5,
      file: '',
      time: '',
    });
    await until('epoch 5', () => store.find('w1')!.epoch === 5 && store.find('w1')!.latestEval?.top1 === 0.6);
    assert.equal(tailBefore.epoch, 4);
    // A torn last line is held back until complete.
    fs.appendFileSync(path.join(dir, 'metrics.jsonl'), '{"kind":"epoch","epoch":6,"loss":0.3,"accuracy":0.6,"lr":0.01,');
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(store.find('w1')!.epoch, 5);
    fs.appendFileSync(path.join(dir, 'metrics.jsonl'), '"seconds":1,"imagesPerSecond":1,"time":""}\n');
    await until('epoch 6', () => store.find('w1')!.epoch === 6);
    writeFixtureRun(root, { id: 'w2', status: 'completed' });
    await until('w2', () => store.find('w2')?.status === 'completed');
    fs.rmSync(path.join(root, 'w2'), { recursive: true });
    await until('w2 gone', () => store.find('w2') === undefined);
    assert.ok(changes > 0);
  } finally {
    watcher.dispose();
    store.dispose();
  }
});

test('appends closer together than chokidar\u2019s 50 ms change throttle are all seen', async () => {
  const root = path.join(tmp, 'rapid');
  const dir = writeFixtureRun(root, { id: 'rapid', status: 'stopped', epochs: 100, done: 2 });
  const store = new RunStore();
  const watcher = new RunsWatcher(store);
  try {
    watcher.setRoots([root]);
    await until('watching', () => watcher.watchedRoots === 1 && store.find('rapid') !== undefined);
    await new Promise((r) => setTimeout(r, 200));
    for (let epoch = 3; epoch <= 12; epoch++) {
      appendMetric(dir, { kind: 'epoch', epoch, loss: 1, accuracy: 0.5, lr: 0.01, seconds: 1, imagesPerSecond: 1, time: '' });
      await until(`epoch ${epoch}`, () => store.find('rapid')!.epoch === epoch, 2000);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    watcher.dispose();
    store.dispose();
  }
});

test('an evaluation file or classes.json written without a metrics line still reaches listeners (open panels re-read)', async () => {
  const root = path.join(tmp, 'files');
  const dir = writeFixtureRun(root, { id: 'files', status: 'stopped', epochs: 10, done: 3 });
  const store = new RunStore();
  const watcher = new RunsWatcher(store);
  const seen: string[] = [];
  store.onDidChange((c) => seen.push(...c.changed.map((v) => v.id)));
  try {
    watcher.setRoots([root]);
    await until('watching', () => watcher.watchedRoots === 1 && store.find('files') !== undefined);
    await new Promise((r) => setTimeout(r, 200));
    seen.length = 0;
    fs.mkdirSync(path.join(dir, 'evals'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'evals', 'epoch-0099.json'), '{}');
    await until('a change for the new eval file', () => seen.includes('files'));
    seen.length = 0;
    fs.writeFileSync(path.join(dir, 'classes.json'), '{}');
    await until('a change for classes.json', () => seen.includes('files'));
  } finally {
    watcher.dispose();
    store.dispose();
  }
});
