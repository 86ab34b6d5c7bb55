// The run directory (docs/run-folder.md): creating a run, and reading / writing its JSON files.
// Every JSON file is replaced atomically; readers accept unknown fields and name the file in
// every error.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeJsonAtomic } from './atomicWrite';
import type { Config } from './config/schema';
import {
  EVAL_SCHEMA,
  EVAL_SCHEMA_V1,
  RUN_FILES,
  RUN_SCHEMA,
  RUN_STATUSES,
  SHOT_GROUPS,
  type CheckpointEntry,
  type CheckpointIndex,
  type ClassesFile,
  type EvalFile,
  type EvalFileV1,
  type GroupRule,
  type RunManifest,
  type RunProgress,
  type RunStatus,
  type ShotGroup,
} from './contract';
import { EvalEncodingError, decodeConfusion, decodePredictionsField } from './evalEncoding';

/** A run file that is missing a required field, is not JSON, or cannot be read. */
export class RunFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'RunFileError';
  }
}

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
    evalFile: (tag) => path.join(dir, RUN_FILES.evals, `${tag}.json`),
    checkpointDir: (tag) => path.join(dir, RUN_FILES.checkpoints, tag),
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
// Small validation helpers: readers accept unknown fields but insist on the ones they use.

type Json = Record<string, unknown>;

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new RunFileError(file, `cannot read: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new RunFileError(file, `not valid JSON: ${(err as Error).message}`);
  }
}

function readJsonIfExists(file: string): unknown {
  if (!fs.existsSync(file)) return undefined;
  return readJson(file);
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function field<T>(file: string, obj: Json, key: string, check: (v: unknown) => v is T, expected: string): T {
  const v = obj[key];
  if (!check(v)) throw new RunFileError(file, `field "${key}" must be ${expected} (got ${JSON.stringify(v) ?? 'nothing'})`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isStringOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isNumberOrNull = (v: unknown): v is number | null => v === null || isFiniteNumber(v);
const isNumberArray = (v: unknown): v is number[] => Array.isArray(v) && v.every(isFiniteNumber);

// ---------------------------------------------------------------------------------------------
// run.json

/** Parses a run.json value; throws `RunFileError` naming the field that is wrong. */
export function parseRunManifest(value: unknown, file: string = RUN_FILES.run): RunManifest {
  if (!isObject(value)) throw new RunFileError(file, 'must be a JSON object');
  if (value.schema !== RUN_SCHEMA) throw new RunFileError(file, `field "schema" must be "${RUN_SCHEMA}" (got ${JSON.stringify(value.schema)})`);
  field(file, value, 'id', isString, 'a string');
  field(file, value, 'createdAt', isString, 'an ISO time string');
  field(file, value, 'status', (v): v is RunStatus => RUN_STATUSES.includes(v as RunStatus), `one of ${RUN_STATUSES.join(', ')}`);
  field(file, value, 'config', isObject, 'an object');
  const progress = field(file, value, 'progress', isObject, 'an object');
  field(file, progress, 'epoch', isFiniteNumber, 'a number');
  field(file, progress, 'epochs', isFiniteNumber, 'a number');
  // Optional-ish fields: default them so consumers see the full shape.
  const manifest = {
    name: typeof value.id === 'string' ? value.id : 'run',
    pid: null,
    host: '',
    backend: null,
    startedAt: null,
    endedAt: null,
    exitCode: null,
    error: null,
    ...value,
  } as Json;
  field(file, manifest, 'name', isString, 'a string');
  field(file, manifest, 'pid', isNumberOrNull, 'a number or null');
  field(file, manifest, 'host', isString, 'a string');
  field(file, manifest, 'backend', isStringOrNull, 'a string or null');
  field(file, manifest, 'exitCode', isNumberOrNull, 'a number or null');
  const error = manifest.error;
  if (error !== null && !(isObject(error) && typeof error.message === 'string')) {
    throw new RunFileError(file, 'field "error" must be null or {"message": "..."}');
  }
  return manifest as unknown as RunManifest;
}

/** Reads `<dir>/run.json`; throws `RunFileError` when it is missing or malformed. */
export function readRunManifest(dir: string): RunManifest {
  const file = runPaths(dir).run;
  return parseRunManifest(readJson(file), file);
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
  const v = readJson(file);
  if (!isObject(v)) throw new RunFileError(file, 'must be a JSON object');
  return v as unknown as Config;
}

// ---------------------------------------------------------------------------------------------
// classes.json

function parseGroupRule(file: string, v: unknown): GroupRule {
  if (isObject(v) && v.kind === 'terciles') return { kind: 'terciles' };
  if (isObject(v) && v.kind === 'shots' && isFiniteNumber(v.many) && isFiniteNumber(v.few)) return { kind: 'shots', many: v.many, few: v.few };
  throw new RunFileError(file, 'field "groups.rule" must be {"kind":"shots","many":N,"few":N} or {"kind":"terciles"}');
}

export function parseClassesFile(value: unknown, file: string = RUN_FILES.classes): ClassesFile {
  if (!isObject(value)) throw new RunFileError(file, 'must be a JSON object');
  const names = field(file, value, 'names', (v): v is string[] => Array.isArray(v) && v.every(isString), 'an array of strings');
  const trainCounts = field(file, value, 'trainCounts', isNumberArray, 'an array of numbers');
  const testCounts = field(file, value, 'testCounts', isNumberArray, 'an array of numbers');
  const groups = field(file, value, 'groups', isObject, 'an object');
  const assignment = field(
    file,
    groups,
    'assignment',
    (v): v is ShotGroup[] => Array.isArray(v) && v.every((g) => SHOT_GROUPS.includes(g as ShotGroup)),
    'an array of "many" | "medium" | "few"',
  );
  const c = names.length;
  if (trainCounts.length !== c || testCounts.length !== c || assignment.length !== c) {
    throw new RunFileError(file, `names, trainCounts, testCounts and groups.assignment must have the same length (${c})`);
  }
  return { names, trainCounts, testCounts, groups: { rule: parseGroupRule(file, groups.rule), assignment } };
}

/** `undefined` when the trainer has not written classes.json yet. */
export function readClassesFile(dir: string): ClassesFile | undefined {
  const file = runPaths(dir).classes;
  const v = readJsonIfExists(file);
  return v === undefined ? undefined : parseClassesFile(v, file);
}

export function writeClassesFile(dir: string, classes: ClassesFile): void {
  writeJsonAtomic(runPaths(dir).classes, classes);
}

// ---------------------------------------------------------------------------------------------
// evals/<tag>.json

export function parseEvalFile(value: unknown, file: string): EvalFile {
  if (!isObject(value)) throw new RunFileError(file, 'must be a JSON object');
  const version = value.schema === EVAL_SCHEMA ? 2 : value.schema === EVAL_SCHEMA_V1 ? 1 : 0;
  if (version === 0) throw new RunFileError(file, `field "schema" must be "${EVAL_SCHEMA}" or "${EVAL_SCHEMA_V1}" (got ${JSON.stringify(value.schema)})`);
  field(file, value, 'tag', isString, 'a string');
  field(file, value, 'epoch', isFiniteNumber, 'a number');
  field(file, value, 'n', isFiniteNumber, 'a number');
  field(file, value, 'top1', isFiniteNumber, 'a number');
  field(file, value, 'top5', isFiniteNumber, 'a number');
  const ga = field(file, value, 'groupAccuracy', isObject, 'an object');
  for (const g of SHOT_GROUPS) field(file, ga, g, isFiniteNumber, 'a number');
  const per = field(file, value, 'perClassAccuracy', isNumberArray, 'an array of numbers');
  const n = value.n as number;
  try {
    // v1 (dense) and v2 (sparse + predictions) decode in one place: src/core/evalEncoding.ts.
    const confusion = decodeConfusion(version, value.confusion, per.length);
    const predictions = version === 2 ? decodePredictionsField(value.predictions, per.length, n) : null;
    const { predictions: _dropped, ...rest } = value;
    return { split: 'test', ...rest, schema: EVAL_SCHEMA, confusion, ...(predictions ? { predictions } : {}) } as unknown as EvalFile;
  } catch (err) {
    if (err instanceof EvalEncodingError) throw new RunFileError(file, err.message);
    throw err;
  }
}

export function readEvalFile(dir: string, tag: string): EvalFile {
  const file = runPaths(dir).evalFile(tag);
  return parseEvalFile(readJson(file), file);
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
    .sort();
}

// ---------------------------------------------------------------------------------------------
// checkpoints/index.json

/** True when `<dir>/<relPath>/manifest.json` exists (written last, so the folder is complete). */
export function isCheckpointComplete(dir: string, relPath: string): boolean {
  const folder = path.resolve(dir, relPath);
  // An index entry must never point outside its run directory.
  const rel = path.relative(path.resolve(dir), folder);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return false;
  return fs.existsSync(path.join(folder, CHECKPOINT_MANIFEST));
}

function parseCheckpointEntry(v: unknown): CheckpointEntry | undefined {
  if (!isObject(v) || typeof v.tag !== 'string' || !isFiniteNumber(v.epoch)) return undefined;
  const num = (x: unknown) => (isFiniteNumber(x) ? x : null);
  return {
    ...v,
    tag: v.tag,
    epoch: v.epoch,
    step: isFiniteNumber(v.step) ? v.step : 0,
    path: typeof v.path === 'string' ? v.path : `${RUN_FILES.checkpoints}/${v.tag}`,
    top1: num(v.top1),
    many: num(v.many),
    medium: num(v.medium),
    few: num(v.few),
    bytes: isFiniteNumber(v.bytes) ? v.bytes : 0,
    time: typeof v.time === 'string' ? v.time : '',
    best: v.best === true,
    ...(v.external === true ? { external: true } : {}),
  };
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
  const v = readJsonIfExists(file);
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
