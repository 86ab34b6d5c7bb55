// Fuzz test of the run-folder readers: seeded, so a failure repeats. Each case starts from a valid
// run folder and damages one file (truncation, wrong types, huge numbers, NaN / Infinity as
// strings, deep nesting, huge strings, symlinks to devices and to folders). Every reader must
// either return or throw its own RunFileError; the summaries (catalog, experiments table,
// snapshots) must never throw at all.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { listRuns, readabilityLine, summarizeRun } from '../../../src/core/catalog';
import { buildEvalFile } from '../../../src/core/evalMath';
import { readRunMeta } from '../../../src/core/experiments/meta';
import { readRunSummary } from '../../../src/core/experiments/summary';
import { MetricsTail, findLastMetric } from '../../../src/core/metricsLog';
import { Rng } from '../../../src/core/random';
import {
  createRunDirectory,
  listEvalTags,
  readCheckpointIndex,
  readClassesFile,
  readEvalFile,
  readRunConfig,
  readRunManifest,
  runPaths,
  updateRunManifest,
  writeCheckpointIndex,
  writeClassesFile,
  writeEvalFile,
} from '../../../src/core/runDirectory';
import { RunFileError } from '../../../src/core/runFile';
import { readRunLock } from '../../../src/core/runLock';
import { RunSnapshotSource } from '../../../src/core/snapshot';
import { checkpointEntry, makeCheckpointFolder, presetConfig } from './fixtures';
import { tempDir } from '../../../test/shared/tmp';

const SEED = 20261203;
const CASES = 600;

const FILES = [
  'run.json',
  'config.json',
  'classes.json',
  'checkpoints/index.json',
  'evals/epoch-0002.json',
  'metrics.jsonl',
  'meta.json',
  'run.lock',
] as const;

const HUGE_NUMBERS = ['1e308', '-1e308', '1e400', '-0', '9007199254740993', '-1', '0.5', '1e-400'];
const ODD_VALUES: unknown[] = ['NaN', 'Infinity', '-Infinity', null, true, [], {}, '', 'x'.repeat(1000), -1, 1.5, 1e308];

function makeRun(root: string): string {
  const { dir } = createRunDirectory(root, { config: presetConfig(), name: 'fuzz', now: new Date(2025, 0, 1, 9) });
  const names = ['a', 'b', 'c'];
  writeClassesFile(dir, {
    names,
    trainCounts: [30, 10, 2],
    testCounts: [3, 3, 3],
    groups: { rule: { kind: 'shots', many: 20, few: 5 }, assignment: ['many', 'medium', 'few'] },
  });
  const labels = [0, 0, 0, 1, 1, 1, 2, 2, 2];
  const scores = labels.flatMap((l, i) => names.map((_, c) => (c === (i % 4 === 0 ? (l + 1) % 3 : l) ? 1 : 0)));
  const ev = buildEvalFile({ tag: 'epoch-0002', epoch: 2, numClasses: 3, labels, scores, assignment: ['many', 'medium', 'few'] });
  writeEvalFile(dir, ev);
  fs.writeFileSync(
    runPaths(dir).metrics,
    [
      { kind: 'epoch', epoch: 1, loss: 1.2, accuracy: 0.4, lr: 0.1, seconds: 1, imagesPerSecond: 10, time: '2025-01-01T09:00:01.000Z' },
      {
        kind: 'eval',
        epoch: 2,
        tag: 'epoch-0002',
        top1: ev.top1,
        top5: ev.top5,
        many: 1,
        medium: 0.5,
        few: 0.2,
        file: 'evals/epoch-0002.json',
        time: '2025-01-01T09:00:02.000Z',
      },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );
  makeCheckpointFolder(dir, 'epoch-0002', true);
  writeCheckpointIndex(dir, { checkpoints: [checkpointEntry('epoch-0002', 2)] });
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ schema: 'gpaco-meta/1', tags: ['x'], note: 'n' }));
  updateRunManifest(dir, { status: 'completed', endedAt: '2025-01-01T10:00:00.000Z', startedAt: '2025-01-01T09:00:00.000Z', exitCode: 0 });
  return dir;
}

/** Every path to a value inside a JSON value (objects and arrays), up to a few levels. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = [], depth = 0): (string | number)[][] {
  if (depth > 4 || typeof v !== 'object' || v === null) return out;
  const keys = Array.isArray(v) ? v.map((_, i) => i).slice(0, 6) : Object.keys(v);
  for (const k of keys) {
    const p = [...prefix, k];
    out.push(p);
    paths((v as Record<string | number, unknown>)[k], p, out, depth + 1);
  }
  return out;
}

function setAt(root: unknown, p: (string | number)[], value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (const k of p.slice(0, -1)) {
    // An earlier change may have replaced a parent with a plain value.
    if (typeof node[k] !== 'object' || node[k] === null) return;
    node = node[k] as Record<string | number, unknown>;
  }
  node[p[p.length - 1]!] = value;
}

type Mutation = (text: string, file: string, rng: Rng) => string | { symlink: string };

const MUTATIONS: [string, Mutation][] = [
  ['truncate', (text, _f, rng) => text.slice(0, rng.int(Math.max(1, text.length)))],
  [
    'wrong type',
    (text, _f, rng) => {
      const v = parseOr(text);
      const ps = paths(v);
      if (!ps.length) return JSON.stringify(ODD_VALUES[rng.int(ODD_VALUES.length)]);
      setAt(v, ps[rng.int(ps.length)]!, ODD_VALUES[rng.int(ODD_VALUES.length)]);
      return JSON.stringify(v);
    },
  ],
  [
    'huge number',
    (text, _f, rng) => {
      // Replace a number in the text itself, so 1e400 and -0 reach the parser as written.
      const nums = [...text.matchAll(/-?\d+(\.\d+)?([eE][-+]?\d+)?/g)];
      if (!nums.length) return `${text}${HUGE_NUMBERS[rng.int(HUGE_NUMBERS.length)]}`;
      const m = nums[rng.int(nums.length)]!;
      return text.slice(0, m.index) + HUGE_NUMBERS[rng.int(HUGE_NUMBERS.length)] + text.slice(m.index + m[0].length);
    },
  ],
  [
    'NaN / Infinity as strings',
    (text, _f, rng) => {
      const v = parseOr(text);
      const ps = paths(v);
      for (let i = 0; i < 3 && ps.length; i++) setAt(v, ps[rng.int(ps.length)]!, ['NaN', 'Infinity', '-Infinity'][rng.int(3)]);
      return JSON.stringify(v);
    },
  ],
  [
    'deep nesting',
    (text, _f, rng) => {
      const depth = 100 + rng.int(20_000);
      const deep = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const v = parseOr(text);
      const ps = paths(v);
      if (!ps.length || rng.next() < 0.3) return deep;
      const marker = '"__deep__"';
      setAt(v, ps[rng.int(ps.length)]!, '__deep__');
      return JSON.stringify(v).replace(marker, deep);
    },
  ],
  [
    'huge string',
    (text, _f, rng) => {
      const v = parseOr(text);
      const ps = paths(v);
      const big = 'A'.repeat(100_000 + rng.int(300_000));
      if (!ps.length) return JSON.stringify(big);
      setAt(v, ps[rng.int(ps.length)]!, big);
      return JSON.stringify(v);
    },
  ],
  ['symlink', (_t, _f, rng) => ({ symlink: ['/dev/zero', '/dev/null', '/', '/proc/self/status', '.'][rng.int(5)]! })],
  ['not JSON', (text, _f, rng) => text.replace(/[{}[\]",:]/, ['', '\u0000', '\u001b]52;c;x\u0007', '\ufeff'][rng.int(4)]!)],
];

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

/** Runs `read`; a throw other than RunFileError fails with the case's description. */
function ownErrorsOnly(what: string, read: () => unknown): void {
  try {
    read();
  } catch (err) {
    assert.ok(err instanceof RunFileError, `${what} threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message?.slice(0, 300)}`);
  }
}

function neverThrows(what: string, read: () => unknown): void {
  try {
    read();
  } catch (err) {
    assert.fail(`${what} threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message?.slice(0, 300)}`);
  }
}

test(`fuzz: ${CASES} damaged run folders (seed ${SEED}); readers throw only their own RunFileError, summaries never`, (t) => {
  const t0 = performance.now();
  const root = tempDir(t);
  const template = makeRun(path.join(root, 'template'));
  const originals = new Map(
    FILES.map((f) => [f, fs.existsSync(path.join(template, f)) ? fs.readFileSync(path.join(template, f), 'utf8') : '{}']),
  );
  const rng = new Rng(SEED);
  const runs = path.join(root, 'runs');
  const dir = path.join(runs, path.basename(template));
  fs.cpSync(template, dir, { recursive: true });
  const counts = new Map<string, number>();
  for (let i = 0; i < CASES; i++) {
    const file = FILES[rng.int(FILES.length)]!;
    const [name, mutate] = MUTATIONS[rng.int(MUTATIONS.length)]!;
    const what = `case ${i} (${name} of ${file})`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
    const target = path.join(dir, file);
    const result = mutate(originals.get(file)!, file, rng);
    fs.rmSync(target, { force: true, recursive: true });
    if (typeof result === 'string') fs.writeFileSync(target, result);
    else fs.symlinkSync(result.symlink, target);

    ownErrorsOnly(`${what}: readRunManifest`, () => readRunManifest(dir));
    ownErrorsOnly(`${what}: readRunConfig`, () => readRunConfig(dir));
    ownErrorsOnly(`${what}: readClassesFile`, () => readClassesFile(dir));
    ownErrorsOnly(`${what}: readCheckpointIndex`, () => readCheckpointIndex(dir));
    for (const tag of listEvalTags(dir)) ownErrorsOnly(`${what}: readEvalFile`, () => readEvalFile(dir, tag));
    ownErrorsOnly(`${what}: MetricsTail`, () => new MetricsTail(runPaths(dir).metrics).read());
    ownErrorsOnly(`${what}: findLastMetric`, () => findLastMetric(runPaths(dir).metrics, 'eval'));
    neverThrows(`${what}: readRunMeta`, () => readRunMeta(dir));
    neverThrows(`${what}: readRunLock`, () => readRunLock(dir));
    neverThrows(`${what}: summarizeRun`, () => {
      const s = summarizeRun(dir);
      // A damaged file is never hidden: the run says what is wrong, or reads as it should.
      if (s.status === 'unreadable') assert.match(readabilityLine(s.status, s.problems) ?? '', /^unreadable: /);
    });
    neverThrows(`${what}: readRunSummary`, () => readRunSummary(dir));
    ownErrorsOnly(`${what}: RunSnapshotSource.build`, () => new RunSnapshotSource(dir).build());
    if (i % 50 === 0) neverThrows(`${what}: listRuns`, () => listRuns(runs));

    // Back to the original for the next case.
    fs.rmSync(target, { force: true, recursive: true });
    if (fs.existsSync(path.join(template, file))) fs.copyFileSync(path.join(template, file), target);
  }
  const seconds = (performance.now() - t0) / 1000;
  t.diagnostic(`${CASES} cases in ${seconds.toFixed(1)} s; mutations: ${[...counts].map(([k, n]) => `${k} ${n}`).join(', ')}`);
});
