// What `gpaco train` shows while a run trains: a one-line progress bar on a terminal, and one
// plain line per epoch / evaluation / checkpoint / event (the only output when not a terminal).
import type { MetricRecord, RunProgress } from '../../core/contract';
import { duration, num, pct, truncate } from './format';

export interface ProgressState {
  /** Completed epochs and the total. */
  epoch: number;
  epochs: number;
  /** Step inside the current epoch, when the trainer reports it in run.json. */
  step?: number;
  stepsPerEpoch?: number;
  /** Loss of the latest step (or epoch). */
  loss?: number;
  lastTop1?: number;
  lastFew?: number;
  imagesPerSecond?: number;
}

export function initialProgress(progress: RunProgress): ProgressState {
  return { epoch: progress.epoch, epochs: progress.epochs };
}

/** run.json progress (epoch counts, step inside the epoch). */
export function withManifestProgress(state: ProgressState, progress: RunProgress): ProgressState {
  return { ...state, epoch: progress.epoch, epochs: progress.epochs, step: progress.step, stepsPerEpoch: progress.stepsPerEpoch };
}

/** The state after one metrics record. */
export function reduceProgress(state: ProgressState, rec: MetricRecord): ProgressState {
  switch (rec.kind) {
    case 'step':
      return { ...state, loss: rec.loss };
    case 'epoch':
      return {
        ...state,
        epoch: Math.max(state.epoch, rec.epoch),
        loss: rec.loss,
        imagesPerSecond: rec.imagesPerSecond ?? undefined,
        step: undefined,
      };
    case 'eval':
      return { ...state, lastTop1: rec.top1, lastFew: rec.few ?? undefined };
    case 'checkpoint':
    case 'event':
      return state;
    default: {
      const never: never = rec;
      return never;
    }
  }
}

/** Fraction of the run done: completed epochs plus the part of the current one. */
export function progressFraction(s: ProgressState): number {
  if (s.epochs <= 0) return 0;
  const inEpoch = s.step !== undefined && s.stepsPerEpoch ? Math.min(1, s.step / s.stepsPerEpoch) : 0;
  return Math.min(1, (Math.min(s.epoch, s.epochs) + (s.epoch < s.epochs ? inEpoch : 0)) / s.epochs);
}

/** `[#######.......]` of `width` characters inside the brackets. */
export function bar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(f * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/**
 * The live line, e.g.
 * `epoch 4/12 [#####.........] 31%  step 12/38  loss 1.234  top-1 45.2%  few 10.0%`,
 * cut to `columns` characters.
 */
export function renderProgressLine(s: ProgressState, columns = 100): string {
  const current = Math.min(s.epoch + 1, s.epochs);
  const f = progressFraction(s);
  const parts = [`epoch ${current}/${s.epochs} ${bar(f, 20)} ${Math.floor(f * 100)}%`];
  if (s.step && s.stepsPerEpoch && s.epoch < s.epochs) parts.push(`step ${s.step}/${s.stepsPerEpoch}`);
  if (s.loss !== undefined) parts.push(`loss ${num(s.loss)}`);
  if (s.lastTop1 !== undefined) parts.push(`top-1 ${pct(s.lastTop1)}`);
  if (s.lastFew !== undefined) parts.push(`few ${pct(s.lastFew)}`);
  return truncate(parts.join('  '), Math.max(10, columns - 1));
}

/** The permanent line for a record; `undefined` for step records (too many to print). */
export function renderRecordLine(rec: MetricRecord, epochs: number): string | undefined {
  switch (rec.kind) {
    case 'step':
      return undefined;
    case 'epoch':
      return `epoch ${rec.epoch}/${epochs}  loss ${num(rec.loss)}  train acc ${pct(rec.accuracy)}  lr ${num(rec.lr)}  ${rec.seconds === null ? '-' : duration(rec.seconds)}  ${rec.imagesPerSecond === null ? '-' : Math.round(rec.imagesPerSecond)} img/s`;
    case 'eval':
      return `eval ${rec.tag}  top-1 ${pct(rec.top1)}  top-5 ${pct(rec.top5)}  many ${pct(rec.many)}  medium ${pct(rec.medium)}  few ${pct(rec.few)}`;
    case 'checkpoint':
      return `checkpoint ${rec.tag}`;
    case 'event':
      return `${rec.level === 'info' ? '' : `${rec.level}: `}${rec.message}`;
    default: {
      const never: never = rec;
      return never;
    }
  }
}
