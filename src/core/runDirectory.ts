// The run directory (docs/run-folder.md): creating a run, and reading / writing its JSON files.
// Every JSON file is replaced atomically; readers accept unknown fields and name the file in
// every error.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeJsonAtomic } from './atomicWrite';
import type { Config } from './config/schema';
import {
  RUN_FILES,
  RUN_SCHEMA,
  type CheckpointEntry,
  type CheckpointIndex,
  type ClassesFile,
  type EvalFile,
  type EvalFileV1,
  type RunManifest,
  type RunProgress,
} from './contract';
import { RunFileError, readRunJson, readRunJsonIfExists } from './runFile';
import {
  checkTag,
  isObject,
  isValidTag,
  parseCheckpointEntry,
  parseClassesFile,
  parseEvalFile,
  parseRunManifest,
  pathInside,
} from './runSchema';

export { RunFileError } from './runFile';
export { parseClassesFile, parseEvalFile, parseRunManifest } from './runSchema';

/** The file written last into a checkpoint folder: the folder is complete only when it exists. */
export const CHECKPOINT_MANIFEST = 'manifest.json';

export interface RunPaths {
  dir: string;
  run: string;
  config: string;
  classes: string;
  metrics: string;
  evals: string;
  checkpoints: string;
  checkpointIndex: string;
  log: string;
  evalFile(tag: string): string;
  checkpointDir(tag: string): string;
}

export function runPaths(dir: string): RunPaths {
  const p = (rel: string) => path.join(dir, rel);
  return {
    dir,
    run: p(RUN_FILES.run),
    config: p(RUN_FILES.config),
    classes: p(RUN_FILES.classes),
    metrics: p(RUN_FILES.metrics),
    evals: p(RUN_FILES.evals),
    checkpoints: p(RUN_FILES.checkpoints),
    checkpointIndex: p(RUN_FILES.checkpointIndex),
    log: p(RUN_FILES.log),
    // Tags come from run files: a tag that is not a plain name never becomes a path.
    evalFile: (tag) => path.join(dir, RUN_FILES.evals, `${checkTag(tag, p(RUN_FILES.evals))}.json`),
    checkpointDir: (tag) => path.join(dir, RUN_FILES.checkpoints, checkTag(tag, p(RUN_FILES.checkpointIndex))),
  };
}

// ---------------------------------------------------------------------------------------------
// Creating a run

export interface CreateRunOptions {
  config: Config;
  /** Display name; defaults to `config.name`, else "run". */
  name?: string;
  /** Exact id to use (must be a plain folder name that does not exist yet). */
  id?: string;
  sweepId?: string;
  launch?: RunManifest['launch'];
  /** Clock for the id and createdAt (tests). */
  now?: Date;
}

/** Lower-case, ASCII, dash-separated, at most 40 characters; "run" when nothing is left. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return slug || 'run';
}

/** `YYYYMMDD-HHMMSS` in local time, so ids read like the user's clock and sort by time. */
export function timestampId(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${two(d.getMonth() + 1)}${two(d.getDate())}-${two(d.getHours())}${two(d.getMinutes())}${two(d.getSeconds())}`;
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Creates `<root>/<id>/` with `config.json` and `run.json` (status `queued`). The id is
 * `YYYYMMDD-HHMMSS-<slug>`, with `-2`, `-3`, ... appended when that folder already exists
 * (the folder is claimed with an exclusive mkdir, so two launchers never share one).
 */
export function createRunDirectory(root: string, options: CreateRunOptions): { id: string; dir: string } {
  const now = options.now ?? new Date();
  const name = options.name ?? options.config.name ?? 'run';
  const { id, dir } = claimRunFolder(root, name, now, options.id);

  const manifest: RunManifest = {
    schema: RUN_SCHEMA,
    id,
    name,
    createdAt: now.toISOString(),
    status: 'queued',
    pid: null,
    host: os.hostname(),
    backend: null,
    startedAt: null,
    endedAt: null,
    exitCode: null,
    error: null,
    progress: { epoch: 0, epochs: options.config.optim.epochs },
    config: options.config,
    ...(options.sweepId !== undefined ? { sweepId: options.sweepId } : {}),
    ...(options.launch !== undefined ? { launch: options.launch } : {}),
  };
  try {
    const paths = runPaths(dir);
    writeJsonAtomic(paths.config, options.config);
    // run.json last: a folder without it is not (yet) a run for the catalog.
    writeJsonAtomic(paths.run, manifest);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { id, dir };
}

/**
 * Makes a new, empty run folder under `root` and returns it: `id` exactly (refused when it
 * exists), else `YYYYMMDD-HHMMSS-<slug of name>` with `-2`, `-3`, ... appended when taken. The
 * exclusive mkdir means two writers never share a folder.
 */
export function claimRunFolder(root: string, name: string, now: Date, exactId?: string): { id: string; dir: string } {
  fs.mkdirSync(root, { recursive: true });
  if (exactId !== undefined) {
    if (!SAFE_ID.test(exactId)) throw new Error(`invalid run id "${exactId}": use letters, digits, ".", "_" and "-"`);
    const dir = path.join(root, exactId);
    fs.mkdirSync(dir); // throws EEXIST for an existing run, which must never be overwritten
    return { id: exactId, dir };
  }
  const base = `${timestampId(now)}-${slugify(name)}`;
  for (let n = 1; ; n++) {
    const id = n === 1 ? base : `${base}-${n}`;
    const dir = path.join(root, id);
    try {
      fs.mkdirSync(dir);
      return { id, dir };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n > 1000) throw err;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// run.json (schemas with ranges: runSchema.ts)

/** Reads `<dir>/run.json`; throws `RunFileError` when it is missing or malformed. */
export function readRunManifest(dir: string): RunManifest {
  const file = runPaths(dir).run;
  return parseRunManifest(readRunJson('run', file), file);
}

export type ManifestPatch = Partial<Omit<RunManifest, 'schema' | 'id' | 'progress'>> & { progress?: Partial<RunProgress> };

/** Reads run.json, applies `patch` (progress is merged field by field) and writes it atomically. */
export function updateRunManifest(dir: string, patch: ManifestPatch): RunManifest {
  const current = readRunManifest(dir);
  const { progress, ...rest } = patch;
  const next: RunManifest = { ...current, ...rest, progress: { ...current.progress, ...progress } };
  writeJsonAtomic(runPaths(dir).run, next);
  return next;
}

// ---------------------------------------------------------------------------------------------
// config.json

/** The config as the run started. Not validated again: it was valid when the run was made. */
export function readRunConfig(dir: string): Config {
  const file = runPaths(dir).config;
  const v = readRunJson('config', file);
  if (!isObject(v)) throw new RunFileError(file, 'must be a JSON object');
  return v as unknown as Config;
}

// ---------------------------------------------------------------------------------------------
// classes.json

/** `undefined` when the trainer has not written classes.json yet. */
export function readClassesFile(dir: string): ClassesFile | undefined {
  const file = runPaths(dir).classes;
  const v = readRunJsonIfExists('classes', file);
  return v === undefined ? undefined : parseClassesFile(v, file);
}

export function writeClassesFile(dir: string, classes: ClassesFile): void {
  writeJsonAtomic(runPaths(dir).classes, classes);
}

// ---------------------------------------------------------------------------------------------
// evals/<tag>.json

export function readEvalFile(dir: string, tag: string): EvalFile {
  const file = runPaths(dir).evalFile(tag);
  return parseEvalFile(readRunJson('eval', file), file);
}

/** Trainers write v2 (EvalFile); v1 is accepted so tests can lay down files of the first contract. */
export function writeEvalFile(dir: string, evalFile: EvalFile | EvalFileV1): void {
  const paths = runPaths(dir);
  fs.mkdirSync(paths.evals, { recursive: true });
  writeJsonAtomic(paths.evalFile(evalFile.tag), evalFile);
}

/** Tags of the eval files present, sorted (tags are zero-padded, so this is epoch order). */
export function listEvalTags(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(runPaths(dir).evals);
  } catch {
    return [];
  }
  // Temp files of atomic writes start with "." and end in ".tmp"; skip them.
  return names
    .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
    .map((n) => n.slice(0, -'.json'.length))
    .filter(isValidTag)
    .sort();
}

// ---------------------------------------------------------------------------------------------
// checkpoints/index.json

/** True when `<dir>/<relPath>/manifest.json` exists (written last, so the folder is complete). */
export function isCheckpointComplete(dir: string, relPath: string): boolean {
  // An index entry must never point outside its run directory.
  const folder = pathInside(dir, relPath);
  return folder !== undefined && fs.existsSync(path.join(folder, CHECKPOINT_MANIFEST));
}

/** An index entry worth listing: an external file (only listed, never read here) or a complete folder. */
function isListedEntry(dir: string, e: CheckpointEntry): boolean {
  return e.external === true || isCheckpointComplete(dir, e.path);
}

/**
 * The checkpoint index, keeping external entries and the others whose folder is complete (a writer killed between
 * writing the index and the folder, or a folder deleted by hand, leaves nothing false), sorted
 * by epoch. A missing index is an empty one; a malformed index throws `RunFileError`.
 */
export function readCheckpointIndex(dir: string): CheckpointIndex {
  const file = runPaths(dir).checkpointIndex;
  const v = readRunJsonIfExists('checkpointIndex', file);
  if (v === undefined) return { checkpoints: [] };
  if (!isObject(v) || !Array.isArray(v.checkpoints)) throw new RunFileError(file, 'field "checkpoints" must be an array');
  const checkpoints = v.checkpoints
    .map(parseCheckpointEntry)
    .filter((e): e is CheckpointEntry => e !== undefined && isListedEntry(dir, e))
    .sort((a, b) => a.epoch - b.epoch || a.step - b.step);
  return { checkpoints };
}

export function writeCheckpointIndex(dir: string, index: CheckpointIndex): void {
  const paths = runPaths(dir);
  fs.mkdirSync(paths.checkpoints, { recursive: true });
  writeJsonAtomic(paths.checkpointIndex, index);
}

/** The complete checkpoint with the highest epoch (what `--resume` continues from); never an external one. */
export function latestCheckpoint(dir: string): CheckpointEntry | undefined {
  const own = readCheckpointIndex(dir).checkpoints.filter((c) => c.external !== true);
  return own[own.length - 1];
}
