import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { EvalRecord, MetricRecord } from '../../../src/core/contract';
import { MetricsTail, MetricsWriter, findLastMetric, parseMetricRecord, readAllMetrics } from '../../../src/core/metricsLog';
import { tempDir } from '../../../test/shared/tmp';

const T = '2025-01-01T00:00:00.000Z';
const step = (epoch: number, s: number): MetricRecord => ({ kind: 'step', epoch, step: s, loss: 1 / s, lr: 0.1, time: T });
const epochRec = (epoch: number): MetricRecord => ({
  kind: 'epoch',
  epoch,
  loss: 0.5,
  accuracy: 0.4,
  lr: 0.1,
  seconds: 2,
  imagesPerSecond: 100,
  time: T,
});
const evalRec = (epoch: number): EvalRecord => ({
  kind: 'eval',
  epoch,
  tag: `epoch-${String(epoch).padStart(4, '0')}`,
  top1: epoch / 100,
  top5: 0.9,
  many: 0.8,
  medium: 0.5,
  few: 0.1,
  file: `evals/epoch-${String(epoch).padStart(4, '0')}.json`,
  time: T,
});
const line = (r: unknown) => `${JSON.stringify(r)}\n`;

function writer(t: TestContext, file: string): MetricsWriter {
  const w = new MetricsWriter(file);
  t.after(() => w.close());
  return w;
}

test('the tail returns only records appended since the last read', (t) => {
  const file = path.join(tempDir(t), 'metrics.jsonl');
  const tail = new MetricsTail(file);
  assert.deepEqual(tail.read(), [], 'a missing file reads as empty');
  const w = writer(t, file);
  w.append(step(1, 1));
  w.append(step(1, 2));
  assert.deepEqual(tail.read(), [step(1, 1), step(1, 2)]);
  assert.equal(tail.position, fs.statSync(file).size);
  assert.deepEqual(tail.read(), []);
  // Bytes already read are never read again: overwrite the first line in place (same length),
  // then append; only the appended record comes back.
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, JSON.stringify(step(9, 9)).slice(0, 10), 0);
  fs.closeSync(fd);
  w.append(epochRec(1));
  assert.deepEqual(tail.read(), [epochRec(1)]);
  assert.equal(tail.malformed, 0);
});

test('a torn last line is held back until its newline arrives', (t) => {
  const file = path.join(tempDir(t), 'metrics.jsonl');
  const full = line(evalRec(2));
  fs.writeFileSync(file, line(step(1, 1)) + full.slice(0, 25));
  const tail = new MetricsTail(file);
  assert.deepEqual(tail.read(), [step(1, 1)]);
  assert.deepEqual(tail.read(), []);
  fs.appendFileSync(file, full.slice(25, 40));
  assert.deepEqual(tail.read(), []);
  fs.appendFileSync(file, full.slice(40));
  assert.deepEqual(tail.read(), [evalRec(2)]);
  assert.equal(tail.malformed, 0);
  assert.deepEqual(readAllMetrics(file), [step(1, 1), evalRec(2)]);
});

test('malformed lines are skipped and counted; good lines around them survive', (t) => {
  const file = path.join(tempDir(t), 'metrics.jsonl');
  fs.writeFileSync(
    file,
    [
      line(step(1, 1)),
      'not json\n',
      line({ kind: 'mystery', epoch: 1 }),
      line({ kind: 'step', epoch: 1, step: 2, loss: null, lr: 0.1, time: T }),
      line({ kind: 'event', level: 'loud', message: 'x', time: T }),
      '[1,2]\n',
      '\n',
      line({ ...epochRec(1), extraField: 'kept' }),
    ].join(''),
  );
  const tail = new MetricsTail(file);
  const recs = tail.read();
  assert.equal(recs.length, 2);
  assert.deepEqual(recs[0], step(1, 1));
  assert.equal((recs[1] as unknown as Record<string, unknown>).extraField, 'kept');
  assert.equal(tail.malformed, 5);
});

test('the tail starts over when the file shrinks or is replaced', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'metrics.jsonl');
  fs.writeFileSync(file, line(step(1, 1)) + line(step(1, 2)));
  const tail = new MetricsTail(file);
  assert.equal(tail.read().length, 2);
  // Truncated and rewritten shorter.
  fs.writeFileSync(file, line(epochRec(1)));
  assert.deepEqual(tail.readBatch(), { records: [epochRec(1)], restarted: true });
  // Replaced by another file of greater size (rename over it): a new inode.
  const other = path.join(dir, 'other.jsonl');
  fs.writeFileSync(other, line(step(2, 1)) + line(step(2, 2)) + line(step(2, 3)));
  fs.renameSync(other, file);
  assert.deepEqual(tail.readBatch(), { records: [step(2, 1), step(2, 2), step(2, 3)], restarted: true });
  // Deleted, then created again.
  fs.rmSync(file);
  assert.deepEqual(tail.readBatch(), { records: [], restarted: true });
  fs.writeFileSync(file, line(step(3, 1)));
  assert.deepEqual(tail.readBatch(), { records: [step(3, 1)], restarted: false });
  assert.equal(tail.restarts, 3);
});

test('multi-byte characters split across read chunks decode intact', (t) => {
  const file = path.join(tempDir(t), 'metrics.jsonl');
  const ev: MetricRecord = { kind: 'event', level: 'warn', message: 'größe α→β 🎯 done', time: T };
  fs.writeFileSync(file, line(ev) + line(ev));
  const tail = new MetricsTail(file, 7); // 7-byte reads cut through every multi-byte sequence
  assert.deepEqual(tail.read(), [ev, ev]);
});

test('a writer reopening a file with a torn last line starts a fresh line', (t) => {
  const file = path.join(tempDir(t), 'metrics.jsonl');
  fs.writeFileSync(file, line(step(1, 1)) + line(step(1, 2)).slice(0, 20)); // killed mid-write
  const tail = new MetricsTail(file);
  assert.deepEqual(tail.read(), [step(1, 1)]);
  const w = writer(t, file);
  w.append(step(1, 2));
  w.close();
  assert.deepEqual(tail.read(), [step(1, 2)], 'the resumed record is not glued to the fragment');
  assert.equal(tail.malformed, 1, 'the fragment is a malformed line, skipped');
  assert.throws(() => w.append(step(1, 3)), /closed/);
});

test('findLastMetric finds the last record of a kind far back in a long file', (t) => {
  const file = path.join(tempDir(t), 'metrics.jsonl');
  const lines = [line(evalRec(1)), line(evalRec(2))];
  // ~200 KB of step records after the last eval, so the search crosses several 64 KB chunks.
  for (let i = 1; i <= 2500; i++) lines.push(line(step(3, i)));
  lines.push(line(evalRec(4)).slice(0, 30)); // torn: must not be returned
  fs.writeFileSync(file, lines.join(''));
  assert.ok(fs.statSync(file).size > 3 * 65536);
  assert.deepEqual(findLastMetric(file, 'eval'), evalRec(2));
  assert.deepEqual(findLastMetric(file, 'step'), step(3, 2500));
  assert.equal(findLastMetric(file, 'checkpoint'), undefined);
  assert.equal(findLastMetric(file, 'eval', 1000), undefined, 'stops after maxBytes');
  assert.equal(findLastMetric(path.join(path.dirname(file), 'none.jsonl'), 'eval'), undefined);
});

test('findLastMetric handles a record spanning a chunk boundary', (t) => {
  const file = path.join(tempDir(t), 'metrics.jsonl');
  const long: MetricRecord = { kind: 'event', level: 'info', message: 'x'.repeat(70000), time: T };
  fs.writeFileSync(file, line(evalRec(7)) + line(long) + line(step(1, 1)));
  assert.deepEqual(findLastMetric(file, 'event'), long);
  assert.deepEqual(findLastMetric(file, 'eval'), evalRec(7));
});

test('parseMetricRecord checks each kind', () => {
  assert.deepEqual(parseMetricRecord(evalRec(1)), evalRec(1));
  assert.equal(parseMetricRecord({ ...evalRec(1), tag: 3 }), undefined);
  assert.equal(parseMetricRecord({ kind: 'checkpoint', epoch: 1, tag: 'epoch-0001', time: T })?.kind, 'checkpoint');
  assert.equal(parseMetricRecord({ kind: 'toString' }), undefined);
  assert.equal(parseMetricRecord(null), undefined);
});

test('onlyKinds: only records of those kinds are returned, even when another record mentions the kind in a string', (t) => {
  const file = path.join(tempDir(t), 'metrics.jsonl');
  const lines = [
    { kind: 'step', epoch: 1, step: 1, loss: 1, lr: 0.1, time: 't' },
    { kind: 'event', level: 'info', message: 'next: "kind":"eval" soon', time: 't' },
    {
      kind: 'eval',
      epoch: 1,
      tag: 'epoch-0001',
      top1: 0.5,
      top5: 0.9,
      many: 0.6,
      medium: 0.5,
      few: 0.4,
      file: 'evals/epoch-0001.json',
      time: 't',
    },
    { kind: 'epoch', epoch: 1, loss: 1, accuracy: 0.4, lr: 0.1, seconds: 1, imagesPerSecond: 10, time: 't' },
  ];
  fs.writeFileSync(file, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  const tail = new MetricsTail(file).onlyKinds(['eval', 'epoch']);
  assert.deepEqual(
    tail.read().map((r) => r.kind),
    ['eval', 'epoch'],
  );
  fs.appendFileSync(
    file,
    `${JSON.stringify({ kind: 'step', epoch: 2, step: 2, loss: 1, lr: 0.1, time: 't' })}\n${JSON.stringify({ ...lines[2], epoch: 2, tag: 'epoch-0002' })}\n`,
  );
  assert.deepEqual(
    tail.read().map((r) => (r.kind === 'eval' ? r.tag : r.kind)),
    ['epoch-0002'],
  );
});
