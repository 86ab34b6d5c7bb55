// Data loading benchmark: load time and peak memory (RSS) of the data readers.
//   node --import tsx scripts/bench-data.ts [--fashion DIR] [--no-images] [--only classic|lists|decode] [--scale F] [--lists DIR]
//        [--node-flags "FLAGS"]   (lists and decode: Node / V8 flags for each case's process;
//        default: the trainer's own, src/core/trainerFlags.ts; "" for none, so a flag's effect is
//        measured with the same command)
// Each case runs in its own Node process so its peak RSS is its own. Cases:
//   - Fashion-MNIST, full (70,000 images) and long-tailed (IF 100, 500 per head class), from
//     Debian's dataset-fashion-mnist; baseline: the plain way (readFileSync + gunzipSync of whole
//     files + a float32 copy, the usual TF.js example code).
//   - A synthetic CIFAR-100-sized binary file set (50,000 + 10,000 records written to a temp
//     folder), full and long-tailed; baseline: readFileSync of both files.
//   - Image folders (decode + resize cost per image, pure-JS codecs).
//   - Streaming input (scripts/bench-data-lists.ts): generated split lists of 20,000 JPEGs of 500x375
//     and 100,000 of 64x64 (times --scale), kept in --lists DIR between runs: decode images/s with
//     1 and 2 decode threads, peak RSS and time to the first batch with data.cache none / disk
//     (and memory) at two data set sizes.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { validateConfig } from '../src/core/config/validate';
import { nodeFlagsOption } from '../src/core/trainerFlags';
import { loadDataset, preflightData } from '../src/data/index';
import { listBench, listChild } from './bench-data-lists';

interface Result {
  case: string;
  ms: number;
  preflightMs?: number;
  peakRssMiB: number;
  trainImages?: number;
  testImages?: number;
  keptMiB?: number;
}

const peakRss = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

async function runCase(name: string, data: Record<string, unknown>): Promise<Result> {
  const r = validateConfig({ data }, { checkPaths: false });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const p0 = performance.now();
  const issues = await preflightData(r.config);
  const preflightMs = performance.now() - p0;
  if (issues.some((i) => i.level === 'error')) throw new Error(issues.map((i) => i.message).join('\n'));
  const t0 = performance.now();
  const ds = await loadDataset(r.config);
  const ms = performance.now() - t0;
  return {
    case: name,
    ms,
    preflightMs,
    peakRssMiB: peakRss(),
    trainImages: ds.train.count,
    testImages: ds.test.count,
    keptMiB: +((ds.train.images.byteLength + ds.test.images.byteLength) / 2 ** 20).toFixed(1),
  };
}

/** The plain approach, for comparison: whole files in memory, then a float32 copy of the pixels. */
function plainFashion(dir: string): Result {
  const t0 = performance.now();
  let images = 0;
  for (const part of ['train', 't10k']) {
    const img = zlib.gunzipSync(fs.readFileSync(path.join(dir, `${part}-images-idx3-ubyte.gz`)));
    zlib.gunzipSync(fs.readFileSync(path.join(dir, `${part}-labels-idx1-ubyte.gz`)));
    const x = new Float32Array(img.length - 16);
    for (let i = 0; i < x.length; i++) x[i] = img[16 + i]! / 255;
    images += x.length / 784;
  }
  return {
    case: 'fashion-mnist plain gunzipSync + float32 (baseline)',
    ms: performance.now() - t0,
    peakRssMiB: peakRss(),
    trainImages: images,
  };
}

/** The plain approach, for comparison: whole files in memory, every record converted to HWC. */
function plainCifar(dir: string): Result {
  const t0 = performance.now();
  let images = 0;
  for (const file of ['train.bin', 'test.bin']) {
    const buf = fs.readFileSync(path.join(dir, file));
    const n = buf.length / 3074;
    const out = new Uint8Array(n * 3072);
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < 1024; p++) {
        for (let c = 0; c < 3; c++) out[i * 3072 + p * 3 + c] = buf[i * 3074 + 2 + c * 1024 + p]!;
      }
    }
    images += n;
  }
  return {
    case: 'cifar100-sized plain readFileSync + HWC (baseline)',
    ms: performance.now() - t0,
    peakRssMiB: peakRss(),
    trainImages: images,
  };
}

function writeCifar100Sized(dir: string): void {
  for (const [file, n] of [
    ['train.bin', 50000],
    ['test.bin', 10000],
  ] as const) {
    const rec = 3074;
    const buf = Buffer.allocUnsafe(n * rec);
    let s = 12345;
    for (let i = 0; i < n; i++) {
      const fine = i % 100;
      buf[i * rec] = Math.floor(fine / 5);
      buf[i * rec + 1] = fine;
      // Cheap pseudo-random pixels (an LCG), so nothing is suspiciously compressible or zero.
      // 3072 pixel bytes = 768 words.
      for (let p = 2; p < rec; p += 4) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        buf.writeUInt32LE(s, i * rec + p);
      }
    }
    fs.writeFileSync(path.join(dir, file), buf);
  }
}

/** Photo-like test images: smooth gradients plus mild noise (pure noise is JPEG's worst case). */
function writeImageFolder(dir: string, pngPerClass: number, jpegPerClass: number): void {
  let s = 7;
  const picture = (w: number, h: number, c: number): Uint8Array => {
    const a = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        const n = (s >>> 28) - 8;
        const i = (y * w + x) * 4;
        a[i] = (x * 255) / w + n;
        a[i + 1] = (y * 255) / h + n;
        a[i + 2] = (c * 25 + ((x + y) * 128) / (w + h) + n) & 255;
        a[i + 3] = 255;
      }
    }
    return a;
  };
  for (let c = 0; c < 10; c++) {
    const cls = path.join(dir, `class${c}`);
    fs.mkdirSync(cls, { recursive: true });
    const png = new PNG({ width: 32, height: 32 });
    png.data = Buffer.from(picture(32, 32, c));
    const pngBytes = PNG.sync.write(png);
    for (let i = 0; i < pngPerClass; i++) fs.writeFileSync(path.join(cls, `p${i}.png`), pngBytes);
    const jpg = jpeg.encode({ width: 320, height: 240, data: picture(320, 240, c) }, 90).data;
    for (let i = 0; i < jpegPerClass; i++) fs.writeFileSync(path.join(cls, `j${i}.jpg`), jpg);
  }
}

async function child(kind: string, dir: string): Promise<Result> {
  switch (kind) {
    case 'empty':
      return { case: 'empty', ms: 0, peakRssMiB: peakRss() };
    case 'fashion-plain':
      return plainFashion(dir);
    case 'fashion-full':
      return runCase('fashion-mnist full (IF 1, 60,000 + 10,000)', { kind: 'fashion-mnist', path: dir, imbalanceFactor: 1 });
    case 'fashion-lt':
      return runCase('fashion-mnist LT (500, IF 100)', { kind: 'fashion-mnist', path: dir, maxPerClass: 500, imbalanceFactor: 100 });
    case 'cifar-plain':
      return plainCifar(dir);
    case 'cifar-full':
      return runCase('cifar100-sized full (IF 1, 50,000 + 10,000)', { kind: 'cifar100', path: dir, imbalanceFactor: 1 });
    case 'cifar-lt':
      return runCase('cifar100-sized LT (500, IF 100)', { kind: 'cifar100', path: dir, imbalanceFactor: 100 });
    case 'images-png':
      return runCase('image-folder 32x32 PNG -> 32x32x3', {
        kind: 'image-folder',
        path: path.join(dir, 'png'),
        holdout: 0.2,
        imageSize: 32,
        channels: 3,
        imbalanceFactor: 1,
      });
    case 'images-jpeg':
      return runCase('image-folder 320x240 JPEG -> 32x32x3', {
        kind: 'image-folder',
        path: path.join(dir, 'jpeg'),
        holdout: 0.2,
        imageSize: 32,
        channels: 3,
        imbalanceFactor: 1,
      });
    default:
      throw new Error(`unknown case ${kind}`);
  }
}

function runChild(kind: string, dir: string): Result {
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', kind, dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`case ${kind} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Result;
}

function show(r: Result, baseline?: Result): void {
  const ratio = baseline
    ? ` (${(r.ms / baseline.ms).toFixed(2)}x time, ${(r.peakRssMiB / baseline.peakRssMiB).toFixed(2)}x RSS of baseline)`
    : '';
  const pre = r.preflightMs !== undefined ? `, preflight ${r.preflightMs.toFixed(0)} ms` : '';
  const n = r.testImages !== undefined ? `, ${r.trainImages} train + ${r.testImages} test images, ${r.keptMiB} MiB uint8 kept` : '';
  const perImage =
    r.testImages !== undefined && r.case.startsWith('image-folder')
      ? `, ${(r.ms / (r.trainImages! + r.testImages)).toFixed(2)} ms/image`
      : '';
  console.log(
    `${r.case.padEnd(52)} ${r.ms.toFixed(0).padStart(6)} ms, peak RSS ${String(r.peakRssMiB).padStart(4)} MiB${pre}${n}${perImage}${ratio}`,
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    console.log(JSON.stringify(await child(args[1]!, args[2]!)));
    return;
  }
  if (args[0] === '--list-child') {
    console.log(JSON.stringify(await listChild(args.slice(1))));
    return;
  }
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  if (only !== undefined && only !== 'classic' && only !== 'lists' && only !== 'decode')
    throw new Error(`--only: expected classic, lists or decode (the decode threads' images/s alone), got ${only}`);
  if (only !== 'lists') classicBench(args);
  if (only !== 'classic') {
    const scale = args.includes('--scale') ? Number(args[args.indexOf('--scale') + 1]) : 1;
    if (!(scale > 0 && scale <= 1)) throw new Error('--scale: expected a number in (0, 1]');
    const lists = args.includes('--lists') ? args[args.indexOf('--lists') + 1]! : path.join(os.tmpdir(), 'gpaco-bench-data-lists');
    const nodeFlags = nodeFlagsOption(args.includes('--node-flags') ? (args[args.indexOf('--node-flags') + 1] ?? '') : undefined);
    listBench(__filename, scale, lists, only === 'decode', nodeFlags);
  }
}

function classicBench(args: string[]): void {
  const fashion = args.includes('--fashion') ? args[args.indexOf('--fashion') + 1]! : '/usr/share/datasets/fashion-mnist';
  console.log(
    `node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}); each case in its own process; RSS includes Node + tsx (~${runChild('empty', '').peakRssMiB ?? '?'} MiB)`,
  );
  if (fs.existsSync(fashion)) {
    const base = runChild('fashion-plain', fashion);
    show(base);
    show(runChild('fashion-full', fashion), base);
    show(runChild('fashion-lt', fashion), base);
  } else {
    console.log(`(no Fashion-MNIST in ${fashion}: apt-get install dataset-fashion-mnist)`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gpaco-bench-data-'));
  try {
    writeCifar100Sized(tmp);
    const base = runChild('cifar-plain', tmp);
    show(base);
    show(runChild('cifar-full', tmp), base);
    show(runChild('cifar-lt', tmp), base);
    if (!args.includes('--no-images')) {
      writeImageFolder(path.join(tmp, 'png'), 200, 0);
      writeImageFolder(path.join(tmp, 'jpeg'), 0, 20);
      show(runChild('images-png', tmp));
      show(runChild('images-jpeg', tmp));
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
