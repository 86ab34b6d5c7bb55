// Config validation: every problem is reported with its field path (and, for a file, its line),
// and nothing is started for a config with errors.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { TSchema } from '@sinclair/typebox';
import { ConfigSchema, DEFAULT_IMBALANCE_FACTOR, type Config } from './schema';
import { forbiddenKeyPaths } from './safeKeys';

export interface ConfigIssue {
  /** Dotted field path, e.g. `loss.alpha`; empty for the whole document. */
  path: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

export type ConfigResult = { ok: true; config: Config; warnings: ConfigIssue[] } | { ok: false; errors: ConfigIssue[] };

export interface ValidateOptions {
  /** File the config came from (for messages and relative paths). */
  file?: string;
  /** Source text of that file, to attach line numbers to field paths. */
  text?: string;
  /** Folder relative data paths are resolved against (default: the file's folder, else the cwd). */
  baseDir?: string;
  /** Check that data paths exist (default true). */
  checkPaths?: boolean;
}

/** Default location of Debian's `dataset-fashion-mnist` package. */
export const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

const PATH_DATA_KINDS = new Set(['mnist', 'cifar10', 'cifar100', 'image-folder']);

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.file ? `${issue.file}${issue.line ? `:${issue.line}:${issue.column ?? 1}` : ''}: ` : '';
  return `${where}${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

function pointerToPath(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Parses JSON (comments and trailing commas allowed, as in VS Code's JSON with comments). */
export function parseConfigText(
  text: string,
  file?: string,
): { ok: true; value: unknown; tree: Node | undefined } | { ok: false; errors: ConfigIssue[] } {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0 || !tree) {
    return {
      ok: false,
      errors: (errors.length ? errors : [{ error: 0, offset: 0, length: 0 }]).map((e) => ({
        path: '',
        message: errors.length ? `invalid JSON: ${printParseErrorCode(e.error)}` : 'empty file',
        file,
        ...lineColumn(text, e.offset),
      })),
    };
  }
  // jsonc-parser's getNodeValue rebuilds the plain value from the tree.
  return { ok: true, value: nodeValue(tree), tree };
}

function nodeValue(node: Node): unknown {
  switch (node.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const prop of node.children ?? []) {
        const [key, val] = prop.children ?? [];
        // defineProperty: `out["__proto__"] = v` would set the prototype instead of a field,
        // hiding the key from validation; as an own field it is reported as unknown.
        if (key && val)
          Object.defineProperty(out, String(key.value), { value: nodeValue(val), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 'array':
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

function locate(issue: ConfigIssue, tree: Node | undefined, text: string | undefined): ConfigIssue {
  if (!tree || text === undefined) return issue;
  const segments = issue.path ? issue.path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s)) : [];
  // Walk up until a node exists (an unknown or missing key points at its parent object).
  for (let n = segments.length; n >= 0; n--) {
    const node = findNodeAtLocation(tree, segments.slice(0, n));
    if (node) {
      const target = n === segments.length && node.parent?.type === 'property' ? node.parent : node;
      return { ...issue, ...lineColumn(text, target.offset) };
    }
  }
  return issue;
}

/** A value as a message shows it: JSON, except numbers JSON cannot hold (1e400 parses as Infinity). */
function shownValue(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : `${v < 0 ? '-' : ''}a number too large to represent`;
  return JSON.stringify(v) ?? String(v);
}

function schemaMessage(e: { message: string; path: string; value: unknown; schema: { enum?: unknown[]; anyOf?: unknown[] } }): string {
  if (e.message === 'Unexpected property') return 'unknown field';
  if (typeof e.value === 'number' && !Number.isFinite(e.value)) return `too large (got ${shownValue(e.value)})`;
  const anyOf = e.schema.anyOf as { const?: unknown }[] | undefined;
  if (anyOf && anyOf.every((s) => s.const !== undefined)) {
    return `must be one of ${anyOf.map((s) => JSON.stringify(s.const)).join(', ')} (got ${shownValue(e.value)})`;
  }
  return `${e.message.replace(/^Expected/, 'expected')} (got ${shownValue(e.value)})`;
}

/**
 * A union of objects told apart by `kind` (e.g. `trainer`): the errors of the member the value
 * names, field by field, instead of one "expected union value"; undefined for other unions.
 */
function taggedUnionErrors(schema: TSchema, value: unknown, at: string): ConfigIssue[] | undefined {
  const members = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!members?.length || typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const kindOf = (m: TSchema) => (m as { properties?: { kind?: { const?: unknown } } }).properties?.kind?.const;
  const kinds = members.map(kindOf);
  if (kinds.some((k) => typeof k !== 'string')) return undefined;
  const kind = (value as { kind?: unknown }).kind;
  const member = members[kinds.indexOf(kind)];
  if (!member)
    return [
      { path: `${at}.kind`, message: `must be one of ${kinds.map((k) => JSON.stringify(k)).join(', ')} (got ${JSON.stringify(kind)})` },
    ];
  const out: ConfigIssue[] = [];
  for (const e of Value.Errors(member, value)) {
    const rel = pointerToPath(e.path).join('.');
    const p = rel ? `${at}.${rel}` : at;
    if (!out.some((o) => o.path === p)) out.push({ path: p, message: schemaMessage(e as Parameters<typeof schemaMessage>[0]) });
  }
  return out;
}

/**
 * Validates a parsed config: schema (unknown fields, types, ranges), defaults, then the rules
 * that span fields. Relative data paths are made absolute.
 */
export function validateConfig(value: unknown, options: ValidateOptions = {}): ConfigResult {
  const { file, text } = options;
  const tree = text !== undefined ? parseConfigText(text, file) : undefined;
  const where = (issue: ConfigIssue): ConfigIssue => locate({ ...issue, file }, tree && tree.ok ? tree.tree : undefined, text);

  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, errors: [where({ path: '', message: 'a config must be a JSON object' })] };
  }
  // Prototype keys are unknown fields wherever they are (also where a section allows any key).
  const forbidden = forbiddenKeyPaths(value);
  if (forbidden.length > 0) return { ok: false, errors: forbidden.map((p) => where({ path: p, message: 'unknown field' })) };
  const withDefaults = Value.Default(ConfigSchema, structuredClone(value));
  const errors: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(ConfigSchema, withDefaults)) {
    const p = pointerToPath(e.path).join('.');
    // A union error is followed by one error per member; report the field once.
    if (seen.has(p)) continue;
    seen.add(p);
    const tagged = taggedUnionErrors(e.schema, e.value, p);
    if (tagged) errors.push(...tagged.map(where));
    else errors.push(where({ path: p, message: schemaMessage(e as Parameters<typeof schemaMessage>[0]) }));
  }
  if (errors.length > 0) return { ok: false, errors };

  const config = withDefaults as Config;
  const warnings: ConfigIssue[] = [];
  const baseDir = options.baseDir ?? (file ? path.dirname(path.resolve(file)) : process.cwd());
  for (const issue of listKindIssues(config, baseDir, options.checkPaths ?? true)) errors.push(where(issue));
  for (const issue of crossFieldIssues(config, baseDir, options.checkPaths ?? true, warnings)) errors.push(where(issue));
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config, warnings: warnings.map(where) };
}

const LIST_FILES = ['train', 'test', 'val', 'classNames'] as const;

/**
 * data.kind "list": root + train + test lists are required; the profile is the list's own, so
 * imbalanceFactor / maxPerClass, which would subsample it, are refused (imbalanceFactor has no
 * schema default for this reason); the list fields are refused for every other kind. Paths are
 * made absolute.
 */
function listKindIssues(config: Config, baseDir: string, checkPaths: boolean): ConfigIssue[] {
  const errors: ConfigIssue[] = [];
  const { data } = config;
  for (const key of ['root', ...LIST_FILES] as const) {
    const p = data[key];
    if (p !== undefined) data[key] = path.resolve(baseDir, p);
  }
  if (data.kind !== 'list') {
    for (const key of ['root', ...LIST_FILES] as const) {
      if (data[key] !== undefined) errors.push({ path: `data.${key}`, message: 'only used with data.kind "list"' });
    }
    return errors;
  }
  for (const key of ['imbalanceFactor', 'maxPerClass'] as const) {
    if (data[key] !== undefined) {
      errors.push({
        path: `data.${key}`,
        message: 'not used with data.kind "list": the training list is already the long-tailed split (its own profile); remove the field',
      });
    }
  }
  for (const key of ['path', 'testPath'] as const) {
    if (data[key] !== undefined)
      errors.push({ path: `data.${key}`, message: 'not used with data.kind "list": use data.root and the list files' });
  }
  const required = {
    root: 'the image folder the list paths are relative to',
    train: 'the training list file',
    test: 'the test list file',
  } as const;
  for (const key of ['root', 'train', 'test'] as const) {
    if (data[key] === undefined) errors.push({ path: `data.${key}`, message: `required for data.kind "list": ${required[key]}` });
  }
  if (!checkPaths) return errors;
  const kindOf = (p: string): 'file' | 'folder' | 'missing' => {
    try {
      return fs.statSync(p).isDirectory() ? 'folder' : 'file';
    } catch {
      return 'missing';
    }
  };
  if (data.root !== undefined) {
    const k = kindOf(data.root);
    if (k !== 'folder')
      errors.push({ path: 'data.root', message: k === 'missing' ? `does not exist: ${data.root}` : `is not a folder: ${data.root}` });
  }
  for (const key of LIST_FILES) {
    const p = data[key];
    if (p === undefined) continue;
    const k = kindOf(p);
    if (k !== 'file')
      errors.push({ path: `data.${key}`, message: k === 'missing' ? `does not exist: ${p}` : `is a folder, expected a list file: ${p}` });
  }
  return errors;
}

function crossFieldIssues(config: Config, baseDir: string, checkPaths: boolean, warnings: ConfigIssue[]): ConfigIssue[] {
  const errors: ConfigIssue[] = [];
  const { data } = config;
  for (const key of ['path', 'testPath'] as const) {
    const p = data[key];
    if (p !== undefined) data[key] = path.resolve(baseDir, p);
  }
  if (data.kind === 'fashion-mnist' && data.path === undefined) data.path = DEBIAN_FASHION_MNIST;
  if (data.cacheDir !== undefined) data.cacheDir = path.resolve(baseDir, data.cacheDir);
  for (const key of ['cache', 'cacheDir', 'decodeWorkers'] as const) {
    if (data[key] !== undefined && data.kind !== 'image-folder' && data.kind !== 'list')
      errors.push({
        path: `data.${key}`,
        message: 'only used with data.kind "image-folder" or "list" (the other kinds are read whole, without decoding)',
      });
  }
  if (data.decodeWorkers !== undefined && (data.kind === 'image-folder' || data.kind === 'list') && (data.cache ?? 'memory') === 'memory')
    warnings.push({
      path: 'data.decodeWorkers',
      message:
        'not used with data.cache "memory" (the default): the images are decoded once, on the trainer\u2019s thread; set data.cache "disk" or "none" to use decode threads',
    });
  if (data.cacheDir !== undefined && data.cache !== 'disk')
    errors.push({ path: 'data.cacheDir', message: 'only used with data.cache "disk"' });

  if (data.kind !== 'list' && data.imbalanceFactor === undefined) data.imbalanceFactor = DEFAULT_IMBALANCE_FACTOR;
  if (PATH_DATA_KINDS.has(data.kind) && data.path === undefined) {
    errors.push({ path: 'data.path', message: `required for data.kind "${data.kind}": the folder holding its files` });
  }
  if (data.testPath !== undefined && data.kind !== 'image-folder') {
    errors.push({ path: 'data.testPath', message: 'only used with data.kind "image-folder"' });
  }
  if (checkPaths) {
    for (const key of ['path', 'testPath'] as const) {
      const p = data[key];
      if (p === undefined) continue;
      let stat: fs.Stats | undefined;
      try {
        stat = fs.statSync(p);
      } catch {
        stat = undefined;
      }
      if (!stat) {
        const hint =
          data.kind === 'fashion-mnist' && p === DEBIAN_FASHION_MNIST
            ? ' (install Debian\u2019s dataset-fashion-mnist package, or set data.path to a folder with the four IDX files)'
            : '';
        errors.push({ path: `data.${key}`, message: `does not exist: ${p}${hint}` });
      } else if (!stat.isDirectory()) {
        errors.push({ path: `data.${key}`, message: `is not a folder: ${p}` });
      }
    }
  }
  errors.push(...trainerIssues(config, baseDir, checkPaths));
  if (config.eval.groups === 'shots' && config.eval.fewThreshold > config.eval.manyThreshold) {
    errors.push({ path: 'eval.fewThreshold', message: `must not exceed eval.manyThreshold (${config.eval.manyThreshold})` });
  }
  const { optim } = config;
  if (optim.microBatchSize !== undefined && optim.microBatchSize > optim.batchSize) {
    errors.push({ path: 'optim.microBatchSize', message: `must not exceed optim.batchSize (${optim.batchSize})` });
  }
  if (optim.shards !== undefined && optim.shards > optim.batchSize) {
    errors.push({ path: 'optim.shards', message: `must not exceed optim.batchSize (${optim.batchSize}): every shard needs an image` });
  }
  if (optim.shards !== undefined && optim.shards > 1 && optim.microBatchSize !== undefined) {
    errors.push({
      path: 'optim.microBatchSize',
      message: 'cannot be combined with optim.shards > 1 (shards already bound the images per forward pass); remove one',
    });
  }
  if (optim.schedule === 'cosine' && optim.warmupEpochs >= optim.epochs) {
    warnings.push({ path: 'optim.warmupEpochs', message: `is not below optim.epochs (${optim.epochs}): the run never leaves warm-up` });
  }
  if (optim.schedule === 'step') {
    const sorted = [...optim.stepEpochs].sort((a, b) => a - b);
    if (sorted.some((v, i) => v !== optim.stepEpochs[i])) {
      errors.push({ path: 'optim.stepEpochs', message: 'must be in increasing order' });
    }
  }
  return errors;
}

/** A command trainer's folder is made absolute (default: the config's folder) and must exist. */
function trainerIssues(config: Config, baseDir: string, checkPaths: boolean): ConfigIssue[] {
  const trainer = config.trainer;
  if (trainer?.kind !== 'command') return [];
  const errors: ConfigIssue[] = [];
  trainer.cwd = path.resolve(baseDir, trainer.cwd ?? '.');
  if (checkPaths) {
    let isDir: boolean;
    try {
      isDir = fs.statSync(trainer.cwd).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) errors.push({ path: 'trainer.cwd', message: `is not an existing folder: ${trainer.cwd}` });
  }
  for (const name of Object.keys(trainer.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      errors.push({ path: `trainer.env.${name}`, message: 'is not a valid environment variable name' });
    else if (name === 'GPACO_RUN_DIR' || name === 'GPACO_RUN_ID')
      errors.push({ path: `trainer.env.${name}`, message: 'is set by GPaCo Lab for each run' });
  }
  return errors;
}
