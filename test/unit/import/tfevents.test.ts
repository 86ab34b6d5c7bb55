// TensorBoard event files: CRC-32C, TFRecord framing (torn and corrupt records), Event /
// Summary / TensorProto decoding, `importTensorboard`, and `gpaco export tensorboard` read back
// by our reader and by an independent Python decoder (tfevents_reader.py).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { MetricRecord } from '../../../src/core/contract';
import { importPacoLog } from '../../../src/core/import/pacoLogImport';
import { ImportError } from '../../../src/core/import/sourceFile';
import { importTensorboard } from '../../../src/core/import/tensorboardImport';
import { readAllMetrics } from '../../../src/core/metricsLog';
import { readRunManifest } from '../../../src/core/runDirectory';
import { crc32c, maskedCrc32c } from '../../../src/core/tfevents/crc32c';
import { decodeEvent, fileVersionEvent, scalarEvent } from '../../../src/core/tfevents/event';
import { EXPORT_TAGS, exportRunToTensorboard } from '../../../src/core/tfevents/exportRun';
import { ProtoWriter } from '../../../src/core/tfevents/protobuf';
import { frameTfRecord, readTfRecords } from '../../../src/core/tfevents/tfrecord';
import { tempDir } from '../../../test/shared/tmp';
import { generatePacoLog } from './pacoLogGenerator';

const f32 = (x: number) => Math.fround(x);

test('CRC-32C matches the standard check value and a bitwise reference', () => {
  // The published CRC-32C check value of the ASCII digits 1..9.
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  const bitwise = (b: Uint8Array) => {
    let c = 0xffffffff;
    for (const x of b) {
      c ^= x;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    return (c ^ 0xffffffff) >>> 0;
  };
  const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31 + 7) & 0xff);
  assert.equal(crc32c(data), bitwise(data));
  assert.notEqual(maskedCrc32c(data), crc32c(data));
});

function eventFile(events: Uint8Array[]): Uint8Array {
  return Buffer.concat([frameTfRecord(fileVersionEvent(1000)), ...events.map(frameTfRecord)]);
}

test('TFRecord: a torn last record is left for later; bad CRCs are reported with byte offsets', () => {
  const evs = [1, 2, 3, 4].map((s) => scalarEvent(1000 + s, s, [{ tag: 'train/loss', value: 1 / s }]));
  const whole = eventFile(evs);
  const clean = readTfRecords(whole);
  assert.equal(clean.records.length, 5);
  assert.deepEqual(clean.problems, []);
  assert.equal(clean.tornAt, null);
  const offsets = clean.records.map((r) => r.offset);

  for (const cut of [whole.length - 1, offsets[4]! + 5, offsets[4]! + 13]) {
    const torn = readTfRecords(whole.subarray(0, cut));
    assert.equal(torn.records.length, 4, `cut at ${cut}`);
    assert.equal(torn.tornAt, offsets[4]);
    assert.deepEqual(torn.problems, [], 'a torn record is not an error');
  }

  const badData = Uint8Array.from(whole);
  badData[offsets[2]! + 14]! ^= 0xff;
  const r1 = readTfRecords(badData);
  assert.deepEqual(
    r1.problems.map((p) => p.offset),
    [offsets[2]],
  );
  assert.match(r1.problems[0]!.reason, /bad data CRC; skipped/);
  assert.equal(r1.records.length, 4, 'the records after a bad one are still read');

  const badLength = Uint8Array.from(whole);
  badLength[offsets[3]!]! ^= 0x01;
  const r2 = readTfRecords(badLength);
  assert.deepEqual(
    r2.problems.map((p) => p.offset),
    [offsets[3]],
  );
  assert.match(r2.problems[0]!.reason, /bad length CRC; the last \d+ bytes of the file are skipped/);
  assert.equal(r2.records.length, 3);
});

test('Event decoding: simple_value, float / double tensors (content, packed, unpacked); other values counted', () => {
  const value = (tag: string, body: (w: ProtoWriter) => ProtoWriter) => body(new ProtoWriter().string(1, tag)).finish();
  const tensor = (w: ProtoWriter) => w;
  const floatContent = new Uint8Array(4);
  new DataView(floatContent.buffer).setFloat32(0, 0.25, true);
  const packedDoubles = new Uint8Array(8);
  new DataView(packedDoubles.buffer).setFloat64(0, 0.123456789012, true);
  const values = [
    value('a', (w) => w.float(2, 0.5)),
    value('b', (w) => w.bytes(8, tensor(new ProtoWriter().int64(1, 1).bytes(4, floatContent)).finish())),
    value('c', (w) => w.bytes(8, new ProtoWriter().int64(1, 2).bytes(6, packedDoubles).finish())),
    value('d', (w) => w.bytes(8, new ProtoWriter().int64(1, 1).float(5, 3.5).finish())),
    value('int', (w) => w.bytes(8, new ProtoWriter().int64(1, 3).int64(7, 4).finish())),
    value('two-floats', (w) => w.bytes(8, new ProtoWriter().int64(1, 1).float(5, 1).float(5, 2).finish())),
    value('image', (w) => w.bytes(4, new Uint8Array([1, 2, 3]))),
  ];
  const summary = new ProtoWriter();
  for (const v of values) summary.bytes(1, v);
  const ev = decodeEvent(new ProtoWriter().double(1, 1234.5).int64(2, 7).bytes(5, summary.finish()).finish());
  assert.equal(ev.wallTime, 1234.5);
  assert.equal(ev.step, 7);
  assert.deepEqual(ev.scalars, [
    { tag: 'a', value: 0.5 },
    { tag: 'b', value: 0.25 },
    { tag: 'c', value: 0.123456789012 },
    { tag: 'd', value: 3.5 },
  ]);
  assert.equal(ev.otherValues, 3);
  assert.equal(decodeEvent(fileVersionEvent(5)).fileVersion, 'brain.Event:2');
  assert.equal(decodeEvent(new ProtoWriter().int64(2, -3).finish()).step, -3);
  assert.throws(() => decodeEvent(Uint8Array.from([0x2a, 0x05, 0x01])), /runs past the end/);
});

test('importTensorboard: built-in and --map tags, percent accuracies, nested files; torn and corrupt records reported', (t) => {
  const root = tempDir(t);
  const logdir = path.join(root, 'tb');
  fs.mkdirSync(path.join(logdir, 'sub'), { recursive: true });
  const a = [1, 2, 3].map((s) =>
    scalarEvent(1_700_000_000 + s, s, [
      { tag: 'train/loss', value: 2 / s },
      { tag: 'lr', value: 0.1 / s },
      { tag: 'val/acc1', value: 40 + s },
      { tag: 'MyFew', value: 10 + s },
      { tag: 'weird/thing', value: s },
    ]),
  );
  const fileA = eventFile(a);
  const corruptAt = readTfRecords(fileA).records[2]!.offset;
  const damaged = Uint8Array.from(fileA);
  damaged[corruptAt + 15]! ^= 0x55;
  fs.writeFileSync(path.join(logdir, 'events.out.tfevents.1700000000.host'), damaged);
  // A second file, still being written: its last record is cut short.
  const b = eventFile([
    scalarEvent(1_700_000_010, 4, [{ tag: 'train/loss', value: 0.4 }]),
    scalarEvent(1_700_000_011, 5, [{ tag: 'train/loss', value: 0.3 }]),
  ]);
  const bRecords = readTfRecords(b).records;
  fs.writeFileSync(path.join(logdir, 'sub', 'events.out.tfevents.1700000009.host'), b.subarray(0, b.length - 3));
  fs.writeFileSync(path.join(logdir, 'notes.txt'), 'not an event file');

  const r = importTensorboard({ dir: logdir, runsDir: path.join(root, 'runs'), map: ['MyFew=few'] });
  assert.equal(r.files.length, 2);
  assert.deepEqual(r.problems, [
    `${path.join(logdir, 'events.out.tfevents.1700000000.host')}@${corruptAt}: record of ${readTfRecords(fileA).records[2]!.data.length} bytes has a bad data CRC; skipped`,
  ]);
  assert.deepEqual(r.torn, [
    `${path.join(logdir, 'sub', 'events.out.tfevents.1700000009.host')}@${bRecords[2]!.offset}: last record incomplete`,
  ]);
  assert.deepEqual(r.unmapped, ['weird/thing']);
  assert.deepEqual(r.used, [
    ['MyFew', 'few'],
    ['lr', 'lr'],
    ['train/loss', 'loss'],
    ['val/acc1', 'top1'],
  ]);

  const recs = readAllMetrics(path.join(r.dir, 'metrics.jsonl'));
  const epochs = recs.filter((x) => x.kind === 'epoch');
  // Step 2 was in the corrupt record; step 5 is in the torn one.
  assert.deepEqual(
    epochs.map((e) => e.epoch),
    [1, 3, 4],
  );
  const e3 = epochs[1]!;
  assert.ok(e3.kind === 'epoch' && e3.loss === f32(2 / 3) && e3.lr === f32(0.1 / 3) && e3.accuracy === null);
  const evals = recs.filter((x) => x.kind === 'eval');
  assert.deepEqual(
    evals.map((e) => e.kind === 'eval' && [e.epoch, e.top1, e.few, e.top5]),
    [
      [1, f32(41) / 100, f32(11) / 100, null],
      [3, f32(43) / 100, f32(13) / 100, null],
    ],
    'accuracies logged in percent become fractions',
  );
  const m = readRunManifest(r.dir);
  assert.equal(m.imported?.kind, 'tensorboard');
  assert.equal(m.imported?.skipped, 1);
  assert.match(m.imported?.problems[0] ?? '', /@\d+: record of/);
});

test('importTensorboard refuses a folder without event files or without known tags, creating nothing', (t) => {
  const root = tempDir(t);
  fs.writeFileSync(path.join(root, 'events.out.tfevents.1.h'), eventFile([scalarEvent(1, 1, [{ tag: 'x', value: 1 }])]));
  const runs = path.join(root, 'runs');
  assert.throws(
    () => importTensorboard({ dir: root, runsDir: runs }),
    (e: Error) => e instanceof ImportError && /no scalar of a known metric .* tags found: x \(map them with --map/.test(e.message),
  );
  assert.throws(() => importTensorboard({ dir: path.join(root, 'runs-none'), runsDir: runs }), /cannot read: ENOENT/);
  assert.throws(() => importTensorboard({ dir: root, runsDir: runs, map: ['x=speed'] }), /--map x=speed: expected TAG=METRIC/);
  assert.equal(fs.existsSync(runs), false);
});

function exportedRun(t: Parameters<typeof tempDir>[0]): { root: string; runDir: string; records: MetricRecord[] } {
  const root = tempDir(t);
  const log = path.join(root, 'x.log');
  fs.writeFileSync(log, generatePacoLog({ script: 'lt', epochs: 30, batches: 100, printFreq: 50, testBatches: 10 }).text);
  const r = importPacoLog({ logFile: log, runsDir: path.join(root, 'runs') });
  return { root, runDir: r.dir, records: readAllMetrics(path.join(r.dir, 'metrics.jsonl')) };
}

/** What an export must hold: [tag, step, float32 value] for every recorded number. */
function expectedScalars(records: MetricRecord[]): [string, number, number][] {
  const out: [string, number, number][] = [];
  for (const r of records) {
    if (r.kind === 'epoch') {
      for (const [tag, v] of [
        [EXPORT_TAGS.loss, r.loss],
        [EXPORT_TAGS.accuracy, r.accuracy],
        [EXPORT_TAGS.lr, r.lr],
      ] as const)
        if (v !== null) out.push([tag, r.epoch, f32(v)]);
    } else if (r.kind === 'eval') {
      const pairs = [
        [EXPORT_TAGS.top1, r.top1],
        [EXPORT_TAGS.top5, r.top5],
        [EXPORT_TAGS.many, r.many],
        [EXPORT_TAGS.medium, r.medium],
        [EXPORT_TAGS.few, r.few],
      ] as const;
      for (const [tag, v] of pairs) if (v !== null) out.push([tag, r.epoch, f32(v)]);
    }
  }
  return out;
}

test('export tensorboard: read back by our reader, every value and step as recorded', (t) => {
  const { root, runDir, records } = exportedRun(t);
  const out = path.join(root, 'tb');
  const r = exportRunToTensorboard(runDir, out);
  const read = readTfRecords(fs.readFileSync(r.file));
  assert.deepEqual(read.problems, []);
  assert.equal(read.tornAt, null);
  const got = read.records.slice(1).flatMap((rec) => {
    const ev = decodeEvent(rec.data);
    return ev.scalars.map((s): [string, number, number] => [s.tag, ev.step, s.value]);
  });
  const want = expectedScalars(records);
  assert.equal(want.length, 30 * 2 + 30 * 5, 'loss + accuracy per epoch (the log has no lr), five figures per evaluation');
  assert.deepEqual(got, want);
  // And `gpaco import tensorboard` turns it back into the same curves.
  const back = importTensorboard({ dir: out, runsDir: path.join(root, 'runs2') });
  const backRecs = readAllMetrics(path.join(back.dir, 'metrics.jsonl'));
  assert.deepEqual(
    backRecs.filter((x) => x.kind === 'eval').map((e) => e.kind === 'eval' && [e.epoch, e.few]),
    records.filter((x) => x.kind === 'eval').map((e) => e.kind === 'eval' && [e.epoch, e.few === null ? null : f32(e.few)]),
  );
});

test('export tensorboard: an independent Python decoder (own CRC-32C and protobuf) reads the same scalars', (t) => {
  const { root, runDir, records } = exportedRun(t);
  const r = exportRunToTensorboard(runDir, path.join(root, 'tb'));
  const py = spawnSync('python3', [path.join(__dirname, 'tfevents_reader.py'), r.file], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const got = py.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { tag: string; step: number; value: number; wall_time: number })
    .map((x): [string, number, number] => [x.tag, x.step, x.value]);
  assert.deepEqual(got, expectedScalars(records));
});
