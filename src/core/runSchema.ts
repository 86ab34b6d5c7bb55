// The run files' schemas with ranges (docs/run-folder.md): run.json, classes.json, evals/<tag>.json
// and checkpoints/index.json entries. A run folder is untrusted input, so every number a viewer
// prints or sizes something by is checked here, once, and a bad file is a `RunFileError` naming
// the field. Readers accept unknown fields.
import * as path from 'node:path';
import {
  EVAL_SCHEMA,
  EVAL_SCHEMA_V1,
  RUN_FILES,
  RUN_SCHEMA,
  RUN_STATUSES,
  SHOT_GROUPS,
  type CheckpointEntry,
  type ClassesFile,
  type EvalFile,
  type GroupRule,
  type RunManifest,
  type RunStatus,
  type ShotGroup,
} from './contract';
import { EvalEncodingError, decodeConfusion, decodePredictionsField } from './evalEncoding';
import { RunFileError } from './runFile';

type Json = Record<string, unknown>;

/** Upper bounds no real run reaches; beyond them a number is corrupt or hostile. */
export const RUN_LIMITS = {
  epochs: 1_000_000,
  steps: 1e12,
  classes: 1_000_000,
  count: 1e12,
  pid: 2 ** 31 - 1,
  exitCode: 2 ** 31 - 1,
  bytes: 2 ** 53 - 1,
  textLength: 100_000,
} as const;

/** Checkpoint and eval tags: a plain file name (no "/", no "..", no leading dot). */
const TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isValidTag(tag: unknown): tag is string {
  return typeof tag === 'string' && TAG_PATTERN.test(tag) && !tag.includes('..');
}

/** Throws unless `tag` is a valid tag (it becomes part of a path). */
export function checkTag(tag: string, file: string): string {
  if (!isValidTag(tag))
    throw new RunFileError(
      file,
      `invalid tag ${JSON.stringify(String(tag).slice(0, 200))}: tags are plain names (letters, digits, ".", "_", "-"; no "/" or "..")`,
    );
  return tag;
}

/**
 * `rel` resolved inside `dir`, or undefined when it would leave it (".." or an absolute path).
 * Every path built from run-file content goes through here.
 */
export function pathInside(dir: string, rel: string): string | undefined {
  const base = path.resolve(dir);
  const full = path.resolve(base, rel);
  const r = path.relative(base, full);
  if (r === '' || r.startsWith('..') || path.isAbsolute(r) || r.split(path.sep).includes('..')) return undefined;
  return full;
}

// ---------------------------------------------------------------------------------------------
// Field checks

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const intIn =
  (lo: number, hi: number) =>
  (v: unknown): v is number =>
    Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
const numIn =
  (lo: number, hi: number) =>
  (v: unknown): v is number =>
    isFiniteNumber(v) && v >= lo && v <= hi;
const isFraction = numIn(0, 1);
const isCount = intIn(0, RUN_LIMITS.count);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;
export const isIsoTime = (v: unknown): v is string => typeof v === 'string' && ISO_TIME.test(v) && Number.isFinite(Date.parse(v));
const isText = (v: unknown): v is string => typeof v === 'string' && v.length <= RUN_LIMITS.textLength;
const orNull =
  <T>(check: (v: unknown) => v is T) =>
  (v: unknown): v is T | null =>
    v === null || check(v);
const arrayOf =
  <T>(check: (v: unknown) => v is T, max: number) =>
  (v: unknown): v is T[] =>
    Array.isArray(v) && v.length <= max && v.every(check);

function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object' && v !== null) return 'an object';
  // JSON.stringify gives undefined only for a function or a symbol (never in parsed JSON).
  const s = JSON.stringify(v) ?? `a ${typeof v}`;
  return s.length > 60 ? `${s.slice(0, 57)}..."` : s;
}

function field<T>(file: string, obj: Json, key: string, check: (v: unknown) => v is T, expected: string, prefix = ''): T {
  const v = Object.hasOwn(obj, key) ? obj[key] : undefined;
  if (!check(v)) throw new RunFileError(file, `field "${prefix}${key}" must be ${expected} (got ${shown(v)})`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// run.json

const GPACO_SECTIONS = ['data', 'model', 'loss', 'optim', 'eval'];

/** The config fields viewers read (tree tooltips, `gpaco show`, the dashboard). */
const CONFIG_SHAPE: readonly [string, string, (v: unknown) => boolean, string][] = [
  ['data', 'kind', isString, 'a string'],
  ['model', 'arch', isString, 'a string'],
  ['loss', 'kind', isString, 'a string'],
  ['optim', 'epochs', isFiniteNumber, 'a number'],
  ['optim', 'batchSize', isFiniteNumber, 'a number'],
  ['optim', 'lr', isFiniteNumber, 'a number'],
  ['optim', 'schedule', isString, 'a string'],
];

function checkConfigShape(file: string, config: Json): void {
  // A config with none or only some of our sections is another program's (imported runs, the
  // Python writer): views read it through gpacoConfig() as foreign. One with all of them is ours
  // and must hold the fields views print.
  if (!GPACO_SECTIONS.every((k) => isObject(config[k]))) return;
  for (const [section, key, check, expected] of CONFIG_SHAPE) {
    const s = config[section];
    if (!isObject(s)) throw new RunFileError(file, `field "config.${section}" must be an object (got ${shown(s)})`);
    field(file, s, key, (v): v is unknown => check(v), expected, `config.${section}.`);
  }
  field(file, config, 'backend', isString, 'a string', 'config.');
}

/** Parses a run.json value; throws `RunFileError` naming the field that is wrong. */
export function parseRunManifest(value: unknown, file: string = RUN_FILES.run): RunManifest {
  if (!isObject(value)) throw new RunFileError(file, 'must be a JSON object');
  if (value.schema !== RUN_SCHEMA) throw new RunFileError(file, `field "schema" must be "${RUN_SCHEMA}" (got ${shown(value.schema)})`);
  field(file, value, 'id', isText, 'a string');
  field(file, value, 'createdAt', isIsoTime, 'an ISO time string');
  field(file, value, 'status', (v): v is RunStatus => RUN_STATUSES.includes(v as RunStatus), `one of ${RUN_STATUSES.join(', ')}`);
  checkConfigShape(file, field(file, value, 'config', isObject, 'an object'));
  const progress = field(file, value, 'progress', isObject, 'an object');
  field(file, progress, 'epoch', intIn(0, RUN_LIMITS.epochs), `a whole number 0..${RUN_LIMITS.epochs}`, 'progress.');
  field(file, progress, 'epochs', intIn(0, RUN_LIMITS.epochs), `a whole number 0..${RUN_LIMITS.epochs}`, 'progress.');
  for (const k of ['step', 'stepsPerEpoch']) {
    if (progress[k] !== undefined) field(file, progress, k, intIn(0, RUN_LIMITS.steps), 'a whole number >= 0', 'progress.');
  }
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
  field(file, manifest, 'name', isText, 'a string');
  field(file, manifest, 'pid', orNull(intIn(1, RUN_LIMITS.pid)), 'a process id or null');
  field(file, manifest, 'host', isText, 'a string');
  field(file, manifest, 'backend', orNull(isText), 'a string or null');
  field(file, manifest, 'startedAt', orNull(isIsoTime), 'an ISO time string or null');
  field(file, manifest, 'endedAt', orNull(isIsoTime), 'an ISO time string or null');
  field(file, manifest, 'exitCode', orNull(intIn(-RUN_LIMITS.exitCode, RUN_LIMITS.exitCode)), 'a whole number or null');
  if (manifest.sweepId !== undefined) field(file, manifest, 'sweepId', isText, 'a string');
  const error = manifest.error;
  if (error !== null && !(isObject(error) && isText(error.message))) {
    throw new RunFileError(file, 'field "error" must be null or {"message": "..."}');
  }
  return manifest as unknown as RunManifest;
}

// ---------------------------------------------------------------------------------------------
// classes.json

function parseGroupRule(file: string, v: unknown): GroupRule {
  if (isObject(v) && v.kind === 'terciles') return { kind: 'terciles' };
  if (isObject(v) && v.kind === 'shots' && isCount(v.many) && isCount(v.few)) return { kind: 'shots', many: v.many, few: v.few };
  throw new RunFileError(file, 'field "groups.rule" must be {"kind":"shots","many":N,"few":N} or {"kind":"terciles"}');
}

export function parseClassesFile(value: unknown, file: string = RUN_FILES.classes): ClassesFile {
  if (!isObject(value)) throw new RunFileError(file, 'must be a JSON object');
  const max = RUN_LIMITS.classes;
  const names = field(file, value, 'names', arrayOf(isText, max), 'an array of strings');
  const trainCounts = field(file, value, 'trainCounts', arrayOf(isCount, max), 'an array of whole numbers >= 0');
  const testCounts = field(file, value, 'testCounts', arrayOf(isCount, max), 'an array of whole numbers >= 0');
  const groups = field(file, value, 'groups', isObject, 'an object');
  const assignment = field(
    file,
    groups,
    'assignment',
    arrayOf((g): g is ShotGroup => SHOT_GROUPS.includes(g as ShotGroup), max),
    'an array of "many" | "medium" | "few"',
    'groups.',
  );
  const c = names.length;
  if (trainCounts.length !== c || testCounts.length !== c || assignment.length !== c) {
    throw new RunFileError(file, `names, trainCounts, testCounts and groups.assignment must have the same length (${c})`);
  }
  return { names, trainCounts, testCounts, groups: { rule: parseGroupRule(file, groups.rule), assignment } };
}

// ---------------------------------------------------------------------------------------------
// evals/<tag>.json: the one place its schema is checked.

export function parseEvalFile(value: unknown, file: string): EvalFile {
  if (!isObject(value)) throw new RunFileError(file, 'must be a JSON object');
  const version = value.schema === EVAL_SCHEMA ? 2 : value.schema === EVAL_SCHEMA_V1 ? 1 : 0;
  if (version === 0)
    throw new RunFileError(file, `field "schema" must be "${EVAL_SCHEMA}" or "${EVAL_SCHEMA_V1}" (got ${shown(value.schema)})`);
  field(file, value, 'tag', isValidTag, 'a tag (a plain name)');
  field(file, value, 'epoch', intIn(0, RUN_LIMITS.epochs), 'a whole number >= 0');
  const n = field(file, value, 'n', isCount, 'a whole number >= 0');
  field(file, value, 'top1', isFraction, 'a number 0..1');
  field(file, value, 'top5', isFraction, 'a number 0..1');
  if (value.split !== undefined) field(file, value, 'split', isText, 'a string');
  if (value.checkpoint !== undefined) field(file, value, 'checkpoint', isValidTag, 'a tag (a plain name)');
  const ga = field(file, value, 'groupAccuracy', isObject, 'an object');
  for (const g of SHOT_GROUPS) field(file, ga, g, isFraction, 'a number 0..1', 'groupAccuracy.');
  const per = field(file, value, 'perClassAccuracy', arrayOf(isFraction, RUN_LIMITS.classes), 'an array of numbers 0..1');
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

/** A problem line when an evaluation does not fit the run's classes (it is then not drawn). */
export function evalClassesMismatch(evalFile: EvalFile, classes: ClassesFile, file: string): string | undefined {
  const c = evalFile.confusion.classes;
  if (c === classes.names.length) return undefined;
  return `${file}: the confusion matrix is ${c} x ${c} but classes.json has ${classes.names.length} classes`;
}

// ---------------------------------------------------------------------------------------------
// checkpoints/index.json entries

/** One index entry, or undefined when it is not a usable entry (bad tag, path outside the run). */
export function parseCheckpointEntry(v: unknown): CheckpointEntry | undefined {
  if (!isObject(v) || !isValidTag(v.tag) || !intIn(0, RUN_LIMITS.epochs)(v.epoch)) return undefined;
  const external = v.external === true;
  const expected = `${RUN_FILES.checkpoints}/${v.tag}`;
  // An own checkpoint's folder is always checkpoints/<tag>: a path elsewhere would let an index
  // point outside the run. An external one (an imported run's file) is only listed, never read.
  if (
    external
      ? typeof v.path !== 'string'
      : v.path !== undefined && (typeof v.path !== 'string' || path.posix.normalize(v.path.replace(/\\/g, '/')) !== expected)
  )
    return undefined;
  const frac = (x: unknown) => (isFraction(x) ? x : null);
  return {
    ...v,
    tag: v.tag,
    epoch: v.epoch,
    step: intIn(0, RUN_LIMITS.steps)(v.step) ? v.step : 0,
    path: external ? (v.path as string) : expected,
    top1: frac(v.top1),
    many: frac(v.many),
    medium: frac(v.medium),
    few: frac(v.few),
    bytes: intIn(0, RUN_LIMITS.bytes)(v.bytes) ? v.bytes : 0,
    time: isIsoTime(v.time) ? v.time : '',
    best: v.best === true,
    ...(external ? { external: true, ...(typeof v.file === 'string' ? { file: v.file } : {}) } : {}),
  };
}
