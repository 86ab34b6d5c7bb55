// `gpaco import paco-log`: a PaCo / GPaCo text log (and the checkpoint files beside it) becomes
// a read-only run folder (docs/run-folder.md, "Imported runs").
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  epochTag,
  type CheckpointEntry,
  type ClassesFile,
  type EpochRecord,
  type EvalRecord,
  type EventRecord,
  type MetricRecord,
} from '../contract';
import { countsFromSplitList, importedClasses, parseClassCounts, type ClassCounts } from './classCounts';
import { writeImportedRun } from './importedRun';
import { parsePacoLog, type LogProblem, type PacoLogEval, type PacoLogParse } from './pacoLog';
import { ImportError, readSourceText } from './sourceFile';

export interface PacoImportOptions {
  logFile: string;
  runsDir: string;
  name?: string;
  /** A `path label` train list: training images per class. */
  split?: string;
  /** A counts file (JSON array or integers). */
  classCounts?: string;
  now?: Date;
}

export interface PacoImportResult {
  id: string;
  dir: string;
  parse: PacoLogParse;
  classes: ClassesFile | null;
  checkpoints: CheckpointEntry[];
  /** Every problem, formatted `file:line: reason`. */
  problems: string[];
  records: number;
}

const CHECKPOINT = /^moco_ckpt(?:_(\d+)|\.(best))?\.pth\.tar$/;

export function formatProblem(file: string, p: LogProblem): string {
  return `${file}:${p.line}: ${p.reason}: "${p.text}"`;
}

/**
 * The scripts' checkpoint files next to the log: `moco_ckpt.pth.tar` (the latest epoch),
 * `moco_ckpt.best.pth.tar` (best top-1) and `moco_ckpt_NNNN.pth.tar` (epoch NNNN, paco_cifar.py).
 */
export function findPacoCheckpoints(folder: string, parse: PacoLogParse): CheckpointEntry[] {
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return [];
  }
  const lastEval = parse.evals[parse.evals.length - 1];
  const best = parse.evals.reduce<PacoLogEval | undefined>((b, e) => (b === undefined || e.top1 > b.top1 ? e : b), undefined);
  const out: CheckpointEntry[] = [];
  for (const name of names.sort()) {
    const m = CHECKPOINT.exec(name);
    if (!m) continue;
    const file = path.join(folder, name);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      continue;
    }
    if (!st.isFile()) continue;
    // The script saves after each epoch's validation: the latest file holds the last evaluated epoch.
    const epoch =
      m[1] !== undefined
        ? Number(m[1])
        : m[2] === 'best'
          ? (best?.epoch ?? 0)
          : (lastEval?.epoch ?? parse.epochs[parse.epochs.length - 1]?.epoch ?? 0);
    const ev = parse.evals.find((e) => e.epoch === epoch);
    out.push({
      tag: name,
      epoch,
      step: 0,
      path: file,
      file,
      top1: ev?.top1 ?? null,
      many: ev?.many ?? null,
      medium: ev?.medium ?? null,
      few: ev?.few ?? null,
      bytes: st.size,
      time: st.mtime.toISOString(),
      best: m[2] === 'best',
      external: true,
    });
  }
  return out;
}

/** The run's metrics records: per epoch its training record, then its evaluation; restarts as events. */
export function pacoRecords(parse: PacoLogParse, time: string): MetricRecord[] {
  const byEpoch = new Map<number, MetricRecord[]>();
  const at = (e: number) => byEpoch.get(e) ?? (byEpoch.set(e, []), byEpoch.get(e)!);
  for (const r of parse.resumes) {
    const ev: EventRecord = {
      kind: 'event',
      level: 'info',
      message: `training was resumed at epoch ${r.epoch} (log line ${r.line}); the later lines are kept`,
      time,
    };
    at(r.epoch).push(ev);
  }
  for (const e of parse.epochs) {
    const rec: EpochRecord = {
      kind: 'epoch',
      epoch: e.epoch,
      loss: e.loss,
      accuracy: e.accuracy,
      lr: null,
      seconds: e.seconds,
      imagesPerSecond: null,
      time,
    };
    at(e.epoch).push(rec);
  }
  for (const e of parse.evals) {
    const rec: EvalRecord = {
      kind: 'eval',
      epoch: e.epoch,
      tag: epochTag(e.epoch),
      top1: e.top1,
      top5: e.top5,
      many: e.many,
      medium: e.medium,
      few: e.few,
      time,
    };
    at(e.epoch).push(rec);
  }
  return [...byEpoch.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, recs]) => recs);
}

function classCountsOf(options: PacoImportOptions, problems: string[]): ClassesFile | null {
  const source = options.split ?? options.classCounts;
  if (source === undefined) return null;
  const parsed: ClassCounts =
    options.split !== undefined ? countsFromSplitList(readSourceText(source)) : parseClassCounts(readSourceText(source));
  for (const p of parsed.problems) problems.push(formatProblem(source, p));
  if (parsed.counts.length === 0)
    throw new ImportError(`${source}: no class counts found${parsed.problems[0] ? ` (${formatProblem(source, parsed.problems[0])})` : ''}`);
  return importedClasses(parsed.counts);
}

export function importPacoLog(options: PacoImportOptions): PacoImportResult {
  const logFile = path.resolve(options.logFile);
  const parse = parsePacoLog(readSourceText(logFile));
  if (parse.recognised === 0) {
    const first = parse.problems[0];
    throw new ImportError(
      `${logFile}: no line of a PaCo / GPaCo log found in ${parse.lines} line(s)${first ? ` (line ${first.line}: ${first.reason})` : ''}; nothing was imported`,
    );
  }
  const problems = parse.problems.map((p) => formatProblem(logFile, p));
  const classes = classCountsOf(options, problems);
  const checkpoints = findPacoCheckpoints(path.dirname(logFile), parse);
  const now = options.now ?? new Date();
  const records = pacoRecords(parse, now.toISOString());
  const lastEpoch = Math.max(0, ...parse.epochs.map((e) => e.epoch), ...parse.evals.map((e) => e.epoch));
  const batches = parse.epochs[parse.epochs.length - 1]?.batches ?? null;
  const name = options.name ?? path.basename(logFile).replace(/\.log$/, '');
  const created = writeImportedRun({
    kind: 'paco-log',
    source: logFile,
    name,
    config: { name, importedFrom: 'paco-log', log: logFile, batchesPerEpoch: batches, classes: classes?.names.length ?? null },
    classes,
    records,
    checkpoints,
    progress: { epoch: lastEpoch, epochs: lastEpoch },
    read: parse.recognised,
    problems,
    notes: parse.resumes.map((r) => `training was resumed at epoch ${r.epoch} (line ${r.line})`),
    runsDir: options.runsDir,
    now,
  });
  return { id: created.id, dir: created.dir, parse, classes, checkpoints, problems, records: records.length };
}
