// Small builders of contract files for tests (each test writes them into a real temp folder).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Config } from '../../../src/core/config/schema';
import { resolvePreset } from '../../../src/core/config/presets';
import type { CheckpointEntry, ClassesFile, EvalFileV1 } from '../../../src/core/contract';
import { CHECKPOINT_MANIFEST } from '../../../src/core/runDirectory';

export function presetConfig(name = 'synthetic-lt'): Config {
  const r = resolvePreset(name);
  assert.ok(r.ok, `preset ${name} resolves`);
  return r.config;
}

/** A checkpoint folder with its manifest (complete) or without it (killed while writing). */
export function makeCheckpointFolder(runDir: string, tag: string, complete: boolean): void {
  const dir = path.join(runDir, 'checkpoints', tag);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.alloc(16));
  if (complete) fs.writeFileSync(path.join(dir, CHECKPOINT_MANIFEST), JSON.stringify({ tag }));
}

export function checkpointEntry(tag: string, epoch: number, extra: Partial<CheckpointEntry> = {}): CheckpointEntry {
  return {
    tag,
    epoch,
    step: epoch * 10,
    path: `checkpoints/${tag}`,
    top1: 0.5,
    many: 0.7,
    medium: 0.5,
    few: 0.2,
    bytes: 16,
    time: '2025-01-01T00:00:00.000Z',
    best: false,
    ...extra,
  };
}

export function classesFile(trainCounts: number[], assignment: ClassesFile['groups']['assignment']): ClassesFile {
  return {
    names: trainCounts.map((_, i) => `class-${i}`),
    trainCounts,
    testCounts: trainCounts.map(() => 10),
    groups: { rule: { kind: 'shots', many: 100, few: 20 }, assignment },
  };
}

/** A v1 (dense) eval file as written on disk by the first contract. */
export function evalFile(tag: string, epoch: number, confusion: number[][], extra: Partial<EvalFileV1> = {}): EvalFileV1 {
  const per = confusion.map(
    (row, c) =>
      row[c]! /
      Math.max(
        1,
        row.reduce((a, b) => a + b, 0),
      ),
  );
  return {
    schema: 'gpaco-eval/1',
    tag,
    epoch,
    split: 'test',
    n: confusion.flat().reduce((a, b) => a + b, 0),
    top1: 0.5,
    top5: 0.9,
    groupAccuracy: { many: 0.8, medium: 0.5, few: 0.1 },
    perClassAccuracy: per,
    confusion,
    ...extra,
  };
}
