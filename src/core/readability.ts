// Whether a run folder's files can be used: the one "unreadable / partly readable: why" status
// every view shows (CLI, Runs tree, dashboard, experiments table, report). Which files count and
// why is in docs/run-folder.md, "Reading run files".
import * as fs from 'node:fs';
import type { ClassesFile, DisplayStatus, EvalFile } from './contract';
import { openRunFile } from './runFile';
import { evalClassesMismatch } from './runSchema';
import { listEvalTags, readCheckpointIndex, readClassesFile, readEvalFile, readRunConfig, readRunManifest, runPaths } from './runDirectory';

export interface RunFileProblems {
  /** Why run.json cannot be used; the run is then `unreadable`. */
  manifest: string | undefined;
  /** Problems of the other files that count, in a fixed order. */
  others: string[];
}

function problemOf(read: () => unknown): string | undefined {
  try {
    read();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** A file a caller has already read: its value, or why it could not be used. */
export type KnownRead<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Files the caller already read, so they are not read twice (e.g. a run summary). */
export interface KnownRunFiles {
  manifest?: KnownRead<unknown>;
  classes?: KnownRead<ClassesFile | undefined>;
}

/**
 * Reads run.json, config.json, classes.json, checkpoints/index.json, the latest eval file (only
 * that one: a run may hold hundreds, and each can be large), and checks that file's matrix size
 * against classes.json; metrics.jsonl must be a regular file. A missing optional file is no
 * problem: config.json (runs written by other programs), classes.json (not written yet), the
 * checkpoint index and evals/.
 */
export function runFileProblems(dir: string, known: KnownRunFiles = {}): RunFileProblems {
  const manifest = known.manifest ? (known.manifest.ok ? undefined : known.manifest.problem) : problemOf(() => readRunManifest(dir));
  const others: (string | undefined)[] = [];
  if (fs.existsSync(runPaths(dir).config)) others.push(problemOf(() => readRunConfig(dir)));
  let classes: ClassesFile | undefined;
  if (known.classes) {
    if (known.classes.ok) classes = known.classes.value;
    else others.push(known.classes.problem);
  } else others.push(problemOf(() => (classes = readClassesFile(dir))));
  others.push(problemOf(() => readCheckpointIndex(dir)));
  // metrics.jsonl is tailed in bounded chunks: only that it is a regular file is checked here.
  if (fs.existsSync(runPaths(dir).metrics)) others.push(problemOf(() => fs.closeSync(openRunFile('tail', runPaths(dir).metrics).fd)));
  const latest = listEvalTags(dir).at(-1);
  if (latest !== undefined) {
    let evalFile: EvalFile | undefined;
    others.push(problemOf(() => (evalFile = readEvalFile(dir, latest))));
    // A matrix whose size disagrees with classes.json cannot be drawn against its class names.
    if (evalFile && classes) others.push(evalClassesMismatch(evalFile, classes, runPaths(dir).evalFile(latest)));
  }
  return { manifest, others: others.filter((p): p is string => p !== undefined) };
}

/** The line for problems already gathered (e.g. by a view that caches them); undefined when all is well. */
export function readabilityOf(problems: RunFileProblems): string | undefined {
  return problems.manifest !== undefined
    ? readabilityLine('unreadable', [problems.manifest])
    : readabilityLine('completed', problems.others);
}

/** The shared line for a run folder, read now; undefined when every file that counts can be used. */
export function runReadability(dir: string): string | undefined {
  return readabilityOf(runFileProblems(dir));
}

/**
 * The one wording: "unreadable: why" when run.json cannot be used, "partly readable: why" when
 * another file of the run cannot; undefined when all is well.
 */
export function readabilityLine(status: DisplayStatus, problems: readonly string[]): string | undefined {
  if (status === 'unreadable') return `unreadable: ${problems[0] ?? 'run.json cannot be read'}`;
  return problems.length ? `partly readable: ${problems.join('; ')}` : undefined;
}
