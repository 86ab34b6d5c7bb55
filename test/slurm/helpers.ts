// Shared pieces of the slurm layer: tiny runs (seconds of training), the submit context of the
// real trainer bundle, polling until a run reaches a state, and the checks every finished run
// directory must pass, whoever launched it.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { displayStatus } from '../../src/core/catalog';
import type { Config } from '../../src/core/config/schema';
import {
  RUN_SCHEMA,
  type CheckpointIndex,
  type ClassesFile,
  type DisplayStatus,
  type EvalFile,
  type MetricRecord,
  type RunManifest,
} from '../../src/core/contract';
import { parseMetricRecord } from '../../src/core/metricsLog';
import { createRunDirectory, readRunManifest, runPaths } from '../../src/core/runDirectory';
import { SlurmClient } from '../../src/core/slurm/exec';
import type { SlurmSubmitContext } from '../../src/core/slurm/launch';
import { pollUntil } from '../../test/shared/poll';
import { tinyConfig } from '../trainer/harness';
import { readJson } from '../../test/shared/json';
import { tempDir } from '../../test/shared/tmp';

export const REPO = path.resolve(__dirname, '../..');
export const TRAINER = path.join(REPO, 'dist', 'trainer.js');
export const CLI = path.join(REPO, 'dist', 'cli.js');

/** The trainer layer's tiny run (seconds of training) as a Slurm run: 2 epochs, eval and checkpoint every epoch. */
export function tinySlurmConfig(over: Record<string, Record<string, unknown>> = {}): Config {
  const slurm: Record<string, Record<string, unknown>> = {
    optim: { epochs: 2 },
    eval: { every: 1 },
    checkpoint: { every: 1 },
    launch: { kind: 'slurm', slurm: { cpus: 1 } },
  };
  for (const [k, v] of Object.entries(over)) slurm[k] = k === 'launch' ? v : { ...(slurm[k] ?? {}), ...v };
  return tinyConfig(slurm);
}

export function runsRoot(t: TestContext): string {
  return tempDir(t, 'gpaco-slurm-');
}

export function makeSlurmRun(root: string, config: Config, name = 'tiny'): string {
  return createRunDirectory(root, { config, name, launch: { kind: 'slurm', jobId: null } }).dir;
}

export function submitContext(client = new SlurmClient({ timeoutMs: 20_000 })): SlurmSubmitContext {
  assert.ok(fs.existsSync(TRAINER), `${TRAINER} is missing: run \`npm run build\` first`);
  return { client, nodePath: process.execPath, trainerPath: TRAINER };
}

export function manifest(dir: string): RunManifest {
  return readRunManifest(dir);
}

export function status(dir: string): DisplayStatus {
  return displayStatus(readRunManifest(dir));
}

export function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<T> {
  return pollUntil(what, probe, timeoutMs, everyMs);
}

export function figure(name: string, value: string): void {
  console.log(`[figure] ${name}: ${value}`);
}

export { readJson };

/**
 * The checks a completed run directory passes however it was launched: run.json completed with
 * the config it started from, classes.json, one valid record per metrics line with epochs 1..E
 * once each, an eval file per eval record matching it, complete checkpoints in the index.
 */
export function checkCompletedRun(dir: string, config: Config): { evals: EvalFile[]; records: MetricRecord[] } {
  const p = runPaths(dir);
  const run = readJson<RunManifest>(p.run);
  assert.equal(run.schema, RUN_SCHEMA);
  assert.equal(run.status, 'completed', `${dir}: ${JSON.stringify(run.error)}`);
  assert.equal(run.exitCode, 0);
  assert.equal(run.error, null);
  assert.ok(run.startedAt && run.endedAt && run.endedAt >= run.startedAt);
  assert.equal(run.progress.epoch, config.optim.epochs);
  assert.deepEqual(run.config, config);
  assert.deepEqual(readJson<Config>(p.config), config);
  const classes = readJson<ClassesFile>(p.classes);
  assert.equal(classes.names.length, config.data.classes);
  assert.equal(classes.groups.assignment.length, config.data.classes);
  const lines = fs.readFileSync(p.metrics, 'utf8').split('\n');
  assert.equal(lines.pop(), '', 'metrics.jsonl ends with a newline');
  const records = lines.map((l) => parseMetricRecord(JSON.parse(l)));
  assert.ok(
    records.every((r) => r !== undefined),
    'every metrics line is a valid record',
  );
  const recs = records;
  const epochs = Array.from({ length: config.optim.epochs }, (_, i) => i + 1);
  assert.deepEqual(
    recs.filter((r) => r.kind === 'epoch').map((r) => r.epoch),
    epochs,
  );
  const evalRecs = recs.filter((r) => r.kind === 'eval');
  assert.deepEqual(
    evalRecs.map((r) => r.epoch),
    epochs,
  );
  const evals = evalRecs.map((r) => {
    const ev = readJson<EvalFile>(path.join(dir, r.kind === 'eval' ? (r.file ?? '') : ''));
    assert.equal(ev.epoch, r.epoch);
    assert.equal(r.kind === 'eval' && r.top1, ev.top1);
    assert.equal(ev.n, config.data.classes * config.data.testPerClass);
    return ev;
  });
  const index = readJson<CheckpointIndex>(p.checkpointIndex);
  assert.ok(index.checkpoints.length > 0);
  for (const c of index.checkpoints) assert.ok(fs.existsSync(path.join(dir, c.path, 'manifest.json')), `${c.tag} is complete`);
  assert.equal(index.checkpoints[index.checkpoints.length - 1]!.epoch, config.optim.epochs);
  assert.ok(recs.some((r) => r.kind === 'event' && r.message === 'completed'));
  return { evals, records: recs };
}
