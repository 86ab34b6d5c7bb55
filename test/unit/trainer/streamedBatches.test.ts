// Streaming input (data.cache "none" / "disk", docs/architecture.md, Data loading) on generated
// JPEG lists: the batches equal the in-memory ones bit for bit, the disk cache is reused, and
// rebuilt when the list or the file changes, and undecodable files follow the in-memory rule.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { validateConfig } from '../../../src/core/config/validate';
import { Rng } from '../../../src/core/random';
import { DataError, type TrainingData, dataCacheDir, openTrainingData } from '../../../src/data/index';
import { DecodePool, DecodeWorkerFailure } from '../../../src/data/decodePool';
import { IMAGE_CACHE_HEADER } from '../../../src/data/imageCache';
import { isStreamed } from '../../../src/data/types';
import { epochOrder, stepsPerEpoch } from '../../../src/trainer/batches';
import { BatchFeed, PREFETCH_BATCHES } from '../../../src/trainer/feed';
import { type JpegList, writeJpegList } from '../../../test/shared/jpegList';
import { tempDir } from '../../../test/shared/tmp';

const SIZE = 12;

function configOf(list: JpegList, cache?: 'memory' | 'disk' | 'none', extra: Record<string, unknown> = {}) {
  const r = validateConfig({
    seed: 5,
    data: {
      kind: 'list',
      root: list.root,
      train: list.train,
      test: list.test,
      imageSize: SIZE,
      channels: 3,
      ...(cache ? { cache } : {}),
      decodeWorkers: 2,
      ...extra,
    },
    augment: { padding: 2, flip: true, strongSecondView: true },
    optim: { batchSize: 8 },
  });
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  return r.config;
}

async function open(list: JpegList, cacheDir: string, cache?: 'memory' | 'disk' | 'none', log: string[] = []): Promise<TrainingData> {
  return openTrainingData(configOf(list, cache), {
    cacheDir,
    onWarning: (m) => log.push(`warn ${m}`),
    onInfo: (m) => log.push(`info ${m}`),
  });
}

/** Two epochs of training batches (two views, the strong one included) as bytes, in step order. */
async function batches(ds: TrainingData, epochs = 2): Promise<Buffer[]> {
  const geo = { height: ds.height, width: ds.width, channels: ds.channels };
  const feed = new BatchFeed(ds.train, geo, 8, 2, { padding: 2, flip: true, strongSecondView: true });
  const shuffle = Rng.derive(5, 'shuffle');
  const augment = Rng.derive(5, 'augment');
  const out: Buffer[] = [];
  for (let e = 0; e < epochs; e++) {
    const order = epochOrder(ds.train.count, shuffle);
    for (let s = 0; s < stepsPerEpoch(ds.train.count, 8); s++) {
      const b = await feed.next(order, s, augment);
      out.push(Buffer.concat([...b.views.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength)), Buffer.from(b.labels.buffer)]));
    }
  }
  return out;
}

async function testImages(ds: TrainingData): Promise<Uint8Array> {
  if (!isStreamed(ds.test)) return ds.test.images;
  return (await ds.test.read(Int32Array.from({ length: ds.test.count }, (_, i) => i))).images;
}

test('streamed batches (data.cache none and disk) are bit-identical to the in-memory batches for the same seed', async (t) => {
  const dir = tempDir(t);
  const list = writeJpegList(dir, { trainCounts: [20, 12, 6], testPer: 4 });
  const cacheDir = path.join(dir, 'cache');
  const memory = await open(list, cacheDir);
  assert.equal(memory.cache, 'memory');
  const want = await batches(memory);
  assert.equal(want.length, 2 * Math.floor(38 / 8));
  for (const cache of ['none', 'disk'] as const) {
    const ds = await open(list, cacheDir, cache);
    try {
      assert.equal(ds.cache, cache);
      assert.ok(isStreamed(ds.train), `${cache}: the training set is streamed`);
      assert.equal(ds.description, memory.description);
      assert.deepEqual(ds.split, memory.split);
      assert.deepEqual(Array.from(ds.train.labels), Array.from(memory.train.labels));
      const got = await batches(ds);
      assert.equal(got.length, want.length);
      got.forEach((b, i) => assert.ok(b.equals(want[i]!), `${cache}: batch ${i} (views and labels) differs from the in-memory one`));
      assert.ok(Buffer.from(await testImages(ds)).equals(Buffer.from(await testImages(memory))), `${cache}: test images differ`);
    } finally {
      await ds.dispose();
    }
  }
});

test('the disk cache is reused, and rebuilt when a file is truncated, its header damaged or the list changes', async (t) => {
  const dir = tempDir(t);
  const list = writeJpegList(dir, { trainCounts: [10, 6], testPer: 3 });
  const cacheDir = path.join(dir, 'cache');
  const log: string[] = [];
  const first = await open(list, cacheDir, 'disk', log);
  const want = await batches(first, 1);
  await first.dispose();
  assert.equal(log.filter((l) => / built with 2 decode threads/.test(l)).length, 2, log.join('\n'));
  const files = fs.readdirSync(cacheDir).sort();
  assert.equal(files.length, 2, 'one file per list (train, test)');
  assert.ok(
    files.every((f) => /^images-[0-9a-f]{32}-12x12x3\.bin$/.test(f)),
    files.join(', '),
  );

  const again = async (): Promise<string[]> => {
    const l: string[] = [];
    const ds = await open(list, cacheDir, 'disk', l);
    try {
      const got = await batches(ds, 1);
      got.forEach((b, i) => assert.ok(b.equals(want[i]!), `batch ${i} differs after reopening the cache`));
    } finally {
      await ds.dispose();
    }
    return l;
  };
  assert.equal((await again()).filter((l) => / reused$/.test(l)).length, 2);

  const trainCache = files.map((f) => path.join(cacheDir, f)).find((f) => fs.statSync(f).size > 10 * SIZE * SIZE * 3)!;
  fs.truncateSync(trainCache, IMAGE_CACHE_HEADER + 100);
  assert.ok((await again()).some((l) => /rebuilt \(the file is \d+ bytes, expected \d+ \(truncated\?\)\)/.test(l)));
  const bytes = fs.readFileSync(trainCache);
  bytes[20] = bytes[20]! ^ 0xff; // the image count
  fs.writeFileSync(trainCache, bytes);
  assert.ok((await again()).some((l) => /rebuilt \(the header is damaged \(checksum\)\)/.test(l)));
  assert.equal(fs.readdirSync(cacheDir).filter((f) => f.endsWith('.tmp')).length, 0, 'no temp file left');

  // A changed list is another cache file (the identity names the files, sizes and times).
  fs.writeFileSync(list.train, fs.readFileSync(list.train, 'utf8').split('\n').slice(1).join('\n'));
  const l: string[] = [];
  const changed = await open(list, cacheDir, 'disk', l);
  await changed.dispose();
  assert.equal(changed.train.count, 15);
  assert.ok(
    l.some((x) => /^info train images: .* built with/.test(x)),
    l.join('\n'),
  );
  assert.equal(fs.readdirSync(cacheDir).length, 3);
});

test('corrupt JPEGs in a streamed list: skipped and counted as in memory (disk), or when read (none)', async (t) => {
  const dir = tempDir(t);
  const list = writeJpegList(dir, { trainCounts: [20, 12, 8], testPer: 4 });
  const cacheDir = path.join(dir, 'cache');
  // Not a JPEG at all (found by its first bytes), and a JPEG signature followed by garbage (found by decoding).
  const notJpeg = list.trainFiles[3]!;
  const garbage = list.trainFiles[25]!;
  const testGarbage = list.testFiles[2]!;
  fs.writeFileSync(path.join(list.root, notJpeg), 'plain text');
  for (const rel of [garbage, testGarbage])
    fs.writeFileSync(path.join(list.root, rel), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]));

  const memLog: string[] = [];
  const memory = await open(list, cacheDir, undefined, memLog);
  assert.equal(memory.train.count, 38);
  assert.equal(memory.test.count, 11);
  const diskLog: string[] = [];
  const disk = await open(list, cacheDir, 'disk', diskLog);
  try {
    assert.equal(disk.train.count, 38);
    assert.equal(disk.test.count, 11);
    assert.deepEqual(disk.split, memory.split);
    assert.deepEqual(
      diskLog.filter((l) => l.startsWith('warn')),
      memLog.filter((l) => l.startsWith('warn')),
      'the same files are skipped with the same reasons',
    );
    const want = await batches(memory, 1);
    (await batches(disk, 1)).forEach((b, i) => assert.ok(b.equals(want[i]!), `batch ${i}`));
  } finally {
    await disk.dispose();
  }

  const noneLog: string[] = [];
  const none = await open(list, cacheDir, 'none', noneLog);
  try {
    // Up front only the file that is not a JPEG is known; the garbage one is found when read.
    assert.equal(none.train.count, 39);
    assert.deepEqual(
      noneLog.filter((l) => l.startsWith('warn')),
      [`warn ${path.join(list.root, notJpeg)}: skipped: not a PNG or JPEG file (starts with 70 6c 61 69)`],
    );
    const all = Int32Array.from({ length: none.train.count }, (_, i) => i);
    assert.ok(isStreamed(none.train));
    const got = await none.train.read(all);
    assert.equal(got.failed.length, 1);
    await batches(none, 2);
    const found = noneLog.filter((l) => l.includes(garbage));
    assert.equal(found.length, 1, 'warned once, however often it is read');
    assert.match(found[0]!, /skipped: cannot decode .*found while reading it; data\.cache "none"/);
  } finally {
    await none.dispose();
  }

  // More than 10% undecodable: refused, whichever way they are found.
  for (const rel of list.trainFiles.slice(30, 36)) fs.writeFileSync(path.join(list.root, rel), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 9]));
  const late = await open(list, cacheDir, 'none');
  try {
    assert.ok(isStreamed(late.train));
    await assert.rejects(
      late.train.read(Int32Array.from({ length: late.train.count }, (_, i) => i)),
      (e: unknown) => e instanceof DataError && /could not be read, more than 10% allowed/.test(e.message),
    );
  } finally {
    await late.dispose();
  }
  await assert.rejects(open(list, cacheDir, 'disk'), (e: unknown) => e instanceof DataError && /more than 10% allowed/.test(e.message));
});

test('a decode worker that dies fails the batches in flight with its name; dispose leaves no thread', async (t) => {
  const dir = tempDir(t);
  const list = writeJpegList(dir, { trainCounts: [8, 8], testPer: 1 });
  const files = list.trainFiles.map((f) => path.join(list.root, f));
  const pool = new DecodePool({ workers: 2, exitAt: { worker: 2, job: 2 } });
  const ok = await pool.decode(files.slice(0, 4), 8, 3);
  assert.equal(ok.images.length, 4 * 8 * 8 * 3);
  await assert.rejects(
    pool.decode(files, 8, 3),
    (e: unknown) =>
      e instanceof DecodeWorkerFailure && /decode worker thread 2 of 2 died while decoding images \(exit code 70\)/.test(e.message),
  );
  await assert.rejects(pool.decode(files, 8, 3), DecodeWorkerFailure);
  await pool.dispose();
  assert.equal(pool.live, 0);
});

test('data.cache and data.decodeWorkers are refused for kinds that are read whole', () => {
  const r = validateConfig({ data: { kind: 'synthetic', cache: 'disk', decodeWorkers: 2 } });
  assert.ok(!r.ok);
  assert.deepEqual(
    r.errors.map((e) => e.path),
    ['data.cache', 'data.decodeWorkers'],
  );
  const d = validateConfig(
    { data: { kind: 'list', root: '/x', train: '/x/a', test: '/x/b', cacheDir: 'c' } },
    { checkPaths: false, baseDir: '/w' },
  );
  assert.ok(!d.ok && d.errors.some((e) => e.path === 'data.cacheDir' && /only used with data.cache "disk"/.test(e.message)));
  const m = validateConfig({ data: { kind: 'list', root: '/x', train: '/x/a', test: '/x/b', decodeWorkers: 3 } }, { checkPaths: false });
  assert.ok(m.ok);
  assert.ok(
    m.warnings.some((w) => w.path === 'data.decodeWorkers' && /not used with data\.cache "memory"/.test(w.message)),
    JSON.stringify(m.warnings),
  );
});

test('the disk cache folder: data.cacheDir, else $GPACO_DATA_CACHE, else .gpaco-cache/data beside the runs folder', () => {
  const r = validateConfig(
    { data: { kind: 'list', root: '/d/images', train: '/d/t.txt', test: '/d/v.txt', cache: 'disk' } },
    { checkPaths: false },
  );
  assert.ok(r.ok);
  const data = r.config.data;
  assert.equal(dataCacheDir(data, '/w/runs/r1', {}), path.join('/w', '.gpaco-cache', 'data'));
  assert.equal(dataCacheDir(data, '/w/runs/r1', { GPACO_DATA_CACHE: '/big/cache' }), '/big/cache');
  assert.equal(dataCacheDir({ ...data, cacheDir: '/mine' }, '/w/runs/r1', { GPACO_DATA_CACHE: '/big/cache' }), '/mine');
});

test('a cache folder that cannot be written is a DataError naming data.cacheDir', async (t) => {
  const dir = tempDir(t);
  const list = writeJpegList(dir, { trainCounts: [4, 4], testPer: 1 });
  const blocker = path.join(dir, 'a-file');
  fs.writeFileSync(blocker, 'not a folder');
  const err = await open(list, path.join(blocker, 'cache'), 'disk').then(
    () => assert.fail('expected the open to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DataError, String(err));
  assert.equal(err.where, 'data.cacheDir');
  assert.match(
    err.message,
    /^data\.cacheDir: cannot write the image cache .*a-file\/cache\/images-.*\.bin \(ENOTDIR: .*\); set data\.cacheDir or \$GPACO_DATA_CACHE to a writable folder/,
  );
});

test('the prefetch queue is bounded: at most PREFETCH_BATCHES batches are being read at once', async (t) => {
  const dir = tempDir(t);
  const list = writeJpegList(dir, { trainCounts: [30, 20, 14], testPer: 1 });
  const ds = await open(list, path.join(dir, 'cache'), 'none');
  try {
    assert.ok(isStreamed(ds.train));
    const set = ds.train;
    let inFlight = 0;
    let most = 0;
    let reads = 0;
    // The real set, its reads counted while they are outstanding.
    const counted = {
      labels: set.labels,
      count: set.count,
      read: async (indices: ArrayLike<number>) => {
        reads++;
        most = Math.max(most, ++inFlight);
        try {
          return await set.read(indices);
        } finally {
          inFlight--;
        }
      },
    };
    const feed = new BatchFeed(counted, { height: SIZE, width: SIZE, channels: 3 }, 4, 1, {
      padding: 0,
      flip: false,
      strongSecondView: false,
    });
    const order = epochOrder(set.count, Rng.derive(1, 'shuffle'));
    const steps = stepsPerEpoch(set.count, 4);
    for (let s = 0; s < steps; s++) await feed.next(order, s, Rng.derive(1, 'augment'));
    assert.equal(reads, steps, 'each batch read once');
    assert.equal(most, PREFETCH_BATCHES, 'the queue fills up to its bound, never beyond');
  } finally {
    await ds.dispose();
  }
});
