// The streaming-input part of `npm run bench:data` (scripts/bench-data.ts): generated split lists
// of 20,000 JPEGs of 500x375 ("large") and 100,000 of 64x64 ("small"), times --scale. The files
// are kept in a folder between runs (made once, extended when a larger scale asks for more);
// a few dozen distinct pictures are encoded and written under many names (jpeg-js takes ~0.4 s
// per 500x375 encode; decoding costs the same whichever picture a file holds). Each case runs in
// its own process, so its peak RSS is its own:
//   decode    images/s of the decode pool alone (1 and 2 threads; the main thread waits);
//   solo/pair the machine's own ceiling, the baseline of the pool's scaling: one process decoding
//             the same files on its main thread, and two such processes at once (their summed
//             images/s): no pool can scale past what two independent decoders get;
//   stream    data.cache none / disk (cold: the cache is built; warm: reused) / memory, at two
//             data set sizes: peak RSS and time to the first training batch (open + read + augment).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { validateConfig } from '../src/core/config/validate';
import { Rng } from '../src/core/random';
import { readRunFile } from '../src/core/runFile';
import { DecodePool } from '../src/data/decodePool';
import { decodeToModelInput } from '../src/data/imageDecode';
import { openTrainingData } from '../src/data/index';
import { epochOrder } from '../src/trainer/batches';
import { BatchFeed } from '../src/trainer/feed';

const KINDS = {
  large: { count: 20_000, width: 500, height: 375 },
  small: { count: 100_000, width: 64, height: 64 },
} as const;
type Kind = keyof typeof KINDS;
const DISTINCT = 24;
const CLASSES = 100;
const TEST_IMAGES = 200;
/** The model input (data.imageSize, the schema's largest) and the batch. */
const IMAGE_SIZE = 64;
const BATCH = 128;
/** Training batches read per stream case (enough to fill the prefetch queue many times). */
const STEPS = 4;

const peakRss = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

/** Photo-like pictures: smooth gradients plus mild noise (pure noise is JPEG's worst case). */
function picture(w: number, h: number, seed: number): Uint8Array {
  let s = seed * 7919 + 1;
  const a = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const n = (s >>> 28) - 8;
      const i = (y * w + x) * 4;
      a[i] = ((x * 255) / w + n + seed * 13) & 255;
      a[i + 1] = ((y * 255) / h + n) & 255;
      a[i + 2] = (seed * 25 + ((x + y) * 128) / (w + h) + n) & 255;
      a[i + 3] = 255;
    }
  }
  return a;
}

const fileOf = (i: number) => `${Math.floor(i / 1000)}/${i}.jpg`;

/** Makes sure `dir/<kind>` holds the first `n` images and the lists of `n` and `n/4` images exist. */
function ensureKind(dir: string, kind: Kind, n: number): { full: string; quarter: string; test: string; root: string } {
  const spec = KINDS[kind];
  const root = path.join(dir, kind);
  const marker = path.join(root, 'count.txt');
  const have = fs.existsSync(marker) ? Number(fs.readFileSync(marker, 'utf8')) : 0;
  if (have < n) {
    const t0 = performance.now();
    const encoded = Array.from(
      { length: DISTINCT },
      (_, k) => jpeg.encode({ width: spec.width, height: spec.height, data: picture(spec.width, spec.height, k) }, 90).data,
    );
    for (let i = have; i < n; i++) {
      const file = path.join(root, fileOf(i));
      if (i % 1000 === 0) fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, encoded[i % DISTINCT]!);
    }
    fs.writeFileSync(marker, String(n));
    console.log(
      `  generated ${n - have} ${kind} JPEGs (${spec.width}x${spec.height}) in ${root} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
  }
  const list = (count: number, name: string, from = 0) => {
    const file = path.join(dir, `${kind}-${name}.txt`);
    const lines: string[] = [];
    for (let i = from; i < from + count; i++) lines.push(`${fileOf(i)} ${i % CLASSES}`);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  };
  const q = Math.floor(n / 4);
  return { full: list(n, String(n)), quarter: list(q, String(q)), test: list(TEST_IMAGES, 'test'), root };
}

interface ListResult {
  case: string;
  images?: number;
  imagesPerSecond?: number;
  /** CPU time of the process (all threads) over wall time while decoding: cores actually used. */
  coresUsed?: number;
  firstBatchMs?: number;
  openMs?: number;
  peakRssMiB: number;
}

/** A case in this process (`--list-child ...` of bench-data.ts). */
export async function listChild(args: string[]): Promise<ListResult> {
  const [what, root, a, b, c, d] = args as [string, string, string, string, string, string];
  if (what === 'solo') {
    // What a decode thread does (read, decode, resize), on this thread, without the pool.
    const n = Number(a);
    const out = new Uint8Array(IMAGE_SIZE * IMAGE_SIZE * 3);
    const each = (i: number) => decodeToModelInput(readRunFile('data', path.join(root, fileOf(i))), IMAGE_SIZE, 3, out, 0);
    for (let i = 0; i < 8; i++) each(i);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) each(i);
    const s = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    return { case: 'solo', images: n, imagesPerSecond: n / s, coresUsed: (cpu.user + cpu.system) / 1e6 / s, peakRssMiB: peakRss() };
  }
  if (what === 'pair') {
    // Two solo processes started together; each decodes the same count, so they overlap.
    const one = () =>
      new Promise<ListResult>((resolve, reject) => {
        const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, '--list-child', 'solo', root, a], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let text = '';
        child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(lastResult(text)) : reject(new Error(`solo exited ${code}`))));
      });
    const both = await Promise.all([one(), one()]);
    return {
      case: 'pair',
      images: 2 * Number(a),
      imagesPerSecond: both[0].imagesPerSecond! + both[1].imagesPerSecond!,
      peakRssMiB: peakRss(),
    };
  }
  if (what === 'decode') {
    const workers = Number(a);
    const n = Number(b);
    const files = Array.from({ length: n }, (_, i) => path.join(root, fileOf(i)));
    const pool = new DecodePool({ workers });
    try {
      // Warm-up (threads start, code is compiled), then two batches in flight at a time.
      await pool.decode(files.slice(0, workers * 8), IMAGE_SIZE, 3);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const batches: Promise<unknown>[] = [];
      for (let i = 0; i < n; i += BATCH) {
        batches.push(pool.decode(files.slice(i, i + BATCH), IMAGE_SIZE, 3));
        if (batches.length >= 2) await batches.shift();
      }
      await Promise.all(batches);
      const s = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(c0);
      return {
        case: `decode ${workers}`,
        images: n,
        imagesPerSecond: n / s,
        coresUsed: (cpu.user + cpu.system) / 1e6 / s,
        peakRssMiB: peakRss(),
      };
    } finally {
      await pool.dispose();
    }
  }
  // stream ROOT TRAIN TEST CACHE CACHEDIR
  const cache = c as 'memory' | 'disk' | 'none';
  const r = validateConfig({
    seed: 1,
    data: {
      kind: 'list',
      root,
      train: a,
      test: b,
      imageSize: IMAGE_SIZE,
      channels: 3,
      cache,
      decodeWorkers: 2,
      ...(cache === 'disk' ? { cacheDir: d } : {}),
    },
    optim: { batchSize: BATCH },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const t0 = performance.now();
  const ds = await openTrainingData(r.config, { cacheDir: d });
  const openMs = performance.now() - t0;
  try {
    const geo = { height: ds.height, width: ds.width, channels: ds.channels };
    const feed = new BatchFeed(ds.train, geo, BATCH, 2, { padding: 4, flip: true, strongSecondView: true });
    const order = epochOrder(ds.train.count, Rng.derive(1, 'shuffle'));
    const rng = Rng.derive(1, 'augment');
    let firstBatchMs = 0;
    for (let s = 0; s < STEPS; s++) {
      await feed.next(order, s, rng);
      if (s === 0) firstBatchMs = performance.now() - t0;
    }
    return { case: `stream ${cache}`, images: ds.train.count, firstBatchMs, openMs, peakRssMiB: peakRss() };
  } finally {
    await ds.dispose();
  }
}

/** A child case prints its result as the last line of its output. */
function lastResult(stdout: string): ListResult {
  return JSON.parse(stdout.trim().split('\n').pop()!) as ListResult;
}

/** Runs a case in its own process; `nodeFlags` (V8 flags, say) go before the script. */
function run(self: string, args: string[], nodeFlags: string[]): ListResult {
  const r = spawnSync(process.execPath, [...nodeFlags, '--import', 'tsx', self, '--list-child', ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`case ${args.join(' ')} failed:\n${r.stderr}`);
  return lastResult(r.stdout);
}

const sec = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

export function listBench(self: string, scale: number, dir: string, decodeOnly = false, nodeFlags: string[] = []): void {
  console.log(
    `\nstreaming input: split lists at scale ${scale}${nodeFlags.length ? `, node ${nodeFlags.join(' ')}` : ''} (${os.cpus().length} CPUs, shared with other work while measuring; data.imageSize ${IMAGE_SIZE}, batch ${BATCH}, 2 views)`,
  );
  fs.mkdirSync(dir, { recursive: true });
  const caches = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-bench-cache-'));
  try {
    for (const kind of ['large', 'small'] as const) {
      const spec = KINDS[kind];
      const n = Math.max(16 * BATCH, Math.round(spec.count * scale));
      const lists = ensureKind(dir, kind, n);
      // Throughput: a sample of files (a fixed count whatever the scale, ~14 s with one thread).
      // Long enough that the last job's tail (one thread done, the other still decoding 16
      // images) stays a few per cent of the run: with 256 large images it was about 10%.
      const sample = Math.min(n, kind === 'large' ? 768 : 6144);
      // 1, 2, 1, 2 threads, best of each: load from other work on a shared machine comes and goes.
      const best = (a: ListResult, b: ListResult) => (a.imagesPerSecond! >= b.imagesPerSecond! ? a : b);
      const decode = (w: number) => run(self, ['decode', lists.root, String(w), String(sample)], nodeFlags);
      let one = decode(1);
      let two = decode(2);
      one = best(one, decode(1));
      two = best(two, decode(2));
      // The baseline of the same run: one and two independent decoders, no pool.
      const bestOfTwo = (what: 'solo' | 'pair') => {
        const go = () => run(self, [what, lists.root, String(sample)], nodeFlags);
        return best(go(), go());
      };
      const solo = bestOfTwo('solo');
      const pair = bestOfTwo('pair');
      const scaling = two.imagesPerSecond! / one.imagesPerSecond!;
      const ceiling = pair.imagesPerSecond! / solo.imagesPerSecond!;
      console.log(
        `${kind} ${spec.width}x${spec.height} JPEG -> ${IMAGE_SIZE}x${IMAGE_SIZE}x3: decode ${one.imagesPerSecond!.toFixed(0)} images/s with 1 thread, ${two.imagesPerSecond!.toFixed(0)} with 2 (${scaling.toFixed(2)}x; ${sample} images; cores used ${one.coresUsed!.toFixed(2)} / ${two.coresUsed!.toFixed(2)}; load average ${os.loadavg()[0]!.toFixed(1)})`,
      );
      console.log(
        `  baseline, no pool: one process ${solo.imagesPerSecond!.toFixed(0)} images/s, two processes at once ${pair.imagesPerSecond!.toFixed(0)} (${ceiling.toFixed(2)}x: this machine's ceiling for 2 decoders); the pool's 2 threads reach ${((100 * scaling) / ceiling).toFixed(0)}% of it, its 1 thread ${((100 * one.imagesPerSecond!) / solo.imagesPerSecond!).toFixed(0)}% of one process`,
      );
      if (decodeOnly) continue;
      console.log(
        `  ${'case'.padEnd(24)} ${'train images'.padStart(12)} ${'open'.padStart(8)} ${'first batch'.padStart(12)} ${'peak RSS'.padStart(10)}`,
      );
      const cases: [string, string, 'none' | 'disk' | 'memory'][] = [
        [lists.quarter, 'none', 'none'],
        [lists.full, 'none', 'none'],
        [lists.quarter, 'disk (cold: built)', 'disk'],
        [lists.quarter, 'disk (warm: reused)', 'disk'],
        [lists.full, 'disk (cold: built)', 'disk'],
        [lists.full, 'disk (warm: reused)', 'disk'],
        // The in-memory load decodes everything on one thread first: the smaller size only.
        [lists.quarter, 'memory', 'memory'],
      ];
      for (const [train, label, cache] of cases) {
        const res = run(self, ['stream', lists.root, train, lists.test, cache, path.join(caches, kind)], nodeFlags);
        console.log(
          `  ${label.padEnd(24)} ${String(res.images).padStart(12)} ${sec(res.openMs).padStart(8)} ${sec(res.firstBatchMs).padStart(12)} ${`${res.peakRssMiB} MiB`.padStart(10)}`,
        );
      }
    }
  } finally {
    fs.rmSync(caches, { recursive: true, force: true });
  }
}
