// Runs the real trainer bundle (dist/trainer.js) the way launchers do: no shell, stdout and
// stderr appended to <run>/trainer.log. Run directories are made with core's createRunDirectory.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { validateConfig } from '../../src/core/config/validate';
import type { Config } from '../../src/core/config/schema';
import type { MetricRecord } from '../../src/core/contract';
import { readAllMetrics } from '../../src/core/metricsLog';
import { createRunDirectory, runPaths } from '../../src/core/runDirectory';
import { trainerNodeArgs } from '../../src/core/trainerFlags';
import { pollUntil } from '../../test/shared/poll';
import { tempDir } from '../../test/shared/tmp';

export const TRAINER = path.resolve(__dirname, '../../dist/trainer.js');

/** Tiny synthetic long-tailed data: 12x12 grey images, 4 classes, seconds per run. */
export function tinyConfig(over: Record<string, Record<string, unknown>> = {}): Config {
  const base: Record<string, Record<string, unknown>> = {
    data: { kind: 'synthetic', classes: 4, imageSize: 12, channels: 1, maxPerClass: 48, imbalanceFactor: 12, testPerClass: 8 },
    model: { arch: 'convnet', width: 4 },
    loss: { kind: 'balanced-softmax' },
    optim: { batchSize: 16, epochs: 3, lr: 0.05, warmupEpochs: 1 },
    eval: { every: 2, manyThreshold: 30, fewThreshold: 8 },
    checkpoint: { every: 2, keepLast: 2, keepBest: true },
  };
  for (const [k, v] of Object.entries(over)) base[k] = { ...(base[k] ?? {}), ...v };
  const r = validateConfig(base);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.config;
}

export function makeRun(t: TestContext, config: Config): string {
  assert.ok(fs.existsSync(TRAINER), `${TRAINER} is missing: run \`npm run build\` first`);
  const root = tempDir(t, 'gpaco-trainer-');
  return createRunDirectory(root, { config, name: 'tiny' }).dir;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  log: string;
}

export function startTrainer(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Exit> } {
  const runDir = args[1]!;
  const logFile = runPaths(runDir).log;
  const fd = fs.openSync(logFile, 'a');
  // Started as the launchers start it: with the trainer's Node flags.
  const child = spawn(process.execPath, trainerNodeArgs(TRAINER, args), {
    stdio: ['ignore', fd, fd],
    env: { ...process.env, GPACO_FAIL_BACKENDS: '', GPACO_STOP_AFTER_STEPS: '', ...env },
  });
  fs.closeSync(fd);
  const done = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, log: fs.readFileSync(logFile, 'utf8') }));
  });
  return { child, done };
}

export function runTrainer(args: string[], env: Record<string, string> = {}): Promise<Exit> {
  return startTrainer(args, env).done;
}

export function metrics(runDir: string): MetricRecord[] {
  return readAllMetrics(runPaths(runDir).metrics);
}

export function epochNumbers(runDir: string): number[] {
  return metrics(runDir)
    .filter((r) => r.kind === 'epoch')
    .map((r) => r.epoch);
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  await pollUntil(what, cond, timeoutMs, 10);
}

export { readJson } from '../../test/shared/json';
