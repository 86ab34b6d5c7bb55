// `gpaco export tensorboard`: a run's curves as a TensorBoard event file (one TFRecord per
// epoch / evaluation, scalars as simple_value), with the tag names `gpaco import tensorboard`
// maps back to the same metrics.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../atomicWrite';
import type { MetricRecord } from '../contract';
import { readAllMetrics } from '../metricsLog';
import { readRunManifest, runPaths } from '../runDirectory';
import { fileVersionEvent, scalarEvent, type ScalarValue } from './event';
import { frameTfRecord } from './tfrecord';

/** Exported tag of each metric; accuracies as fractions (0..1), as in the run folder. */
export const EXPORT_TAGS = {
  loss: 'train/loss',
  accuracy: 'train/accuracy',
  lr: 'lr',
  top1: 'test/acc1',
  top5: 'test/acc5',
  many: 'test/many',
  medium: 'test/medium',
  few: 'test/few',
} as const;

export interface ExportResult {
  file: string;
  events: number;
  scalars: number;
}

function scalarsOf(rec: MetricRecord): ScalarValue[] {
  const out: ScalarValue[] = [];
  const add = (tag: string, v: number | null) => {
    if (v !== null && Number.isFinite(v)) out.push({ tag, value: v });
  };
  switch (rec.kind) {
    case 'epoch':
      add(EXPORT_TAGS.loss, rec.loss);
      add(EXPORT_TAGS.accuracy, rec.accuracy);
      add(EXPORT_TAGS.lr, rec.lr);
      break;
    case 'eval':
      add(EXPORT_TAGS.top1, rec.top1);
      add(EXPORT_TAGS.top5, rec.top5);
      add(EXPORT_TAGS.many, rec.many);
      add(EXPORT_TAGS.medium, rec.medium);
      add(EXPORT_TAGS.few, rec.few);
      break;
    case 'step':
    case 'checkpoint':
    case 'event':
      break;
    default: {
      const never: never = rec;
      void never;
    }
  }
  return out;
}

/** The event file's bytes for a run's records: the file version, then one event per record with scalars. */
export function encodeRunEvents(
  records: readonly MetricRecord[],
  startWallTime: number,
): { bytes: Uint8Array; events: number; scalars: number } {
  const frames: Uint8Array[] = [frameTfRecord(fileVersionEvent(startWallTime))];
  let scalars = 0;
  for (const rec of records) {
    if (rec.kind !== 'epoch' && rec.kind !== 'eval') continue;
    const values = scalarsOf(rec);
    if (!values.length) continue;
    const t = Date.parse(rec.time);
    frames.push(frameTfRecord(scalarEvent(Number.isFinite(t) ? t / 1000 : startWallTime, rec.epoch, values)));
    scalars += values.length;
  }
  return { bytes: Buffer.concat(frames), events: frames.length, scalars };
}

/** Writes `<outDir>/events.out.tfevents.<seconds>.<host>.gpaco` (a new file each time; TensorBoard reads them all). */
export function exportRunToTensorboard(runDir: string, outDir: string, now = new Date()): ExportResult {
  const manifest = readRunManifest(runDir);
  const records = readAllMetrics(runPaths(runDir).metrics);
  const start = Date.parse(manifest.createdAt);
  const { bytes, events, scalars } = encodeRunEvents(records, Number.isFinite(start) ? start / 1000 : now.getTime() / 1000);
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `events.out.tfevents.${Math.floor(now.getTime() / 1000)}.${os.hostname()}.${manifest.id}`);
  writeFileAtomic(file, bytes);
  return { file, events, scalars };
}
