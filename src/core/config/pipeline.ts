// The one path from "a preset or a config file" to "a config a run can start from", used by every
// entry point (gpaco train / sweep, the editor's New Run / New Sweep, bench scripts):
//   source (preset or file) -> read -> parse (JSON with comments, with positions) -> --set and flag
//   overrides -> validate -> [grid expansion] -> launch-option checks -> data preflight.
// It stops at the first stage with problems and reports all of that stage's problems, each naming
// its field (and file:line, or the flag that set it). Nothing here creates anything.
// The data preflight is passed in (src/data's `preflightData`): core does not import src/data.
import * as path from 'node:path';
import { applyOverrides, isOverride, parseOverride, type Override } from './overrides';
import { findPreset, PRESETS } from './presets';
import type { BackendName, Config } from './schema';
import { formatIssue, parseConfigText, validateConfig, type ConfigIssue, type ValidateOptions } from './validate';
import { stepMemoryProblem } from '../memory/stepMemory';
import { errorReason, readRunText } from '../runFile';
import { resolveJobOptions, type SlurmDefaults } from '../slurm/options';
import { expandSweep, isGridAxis, parseGridAxis, type ExpandedPoint, type GridAxis } from '../sweep';

export type ConfigSource = { kind: 'preset'; name: string } | { kind: 'file'; path: string };

/** An override that came from its own flag (`--backend tpu`, `--launch slurm`, a script's budget). */
export interface FlagOverride extends Override {
  flag: string;
}

/** A data problem found before a run starts (the shape of src/data's `DataIssue`). */
export interface PreflightIssue {
  /** `info`: a fact shown before the run starts (a split list's counts per shot group). */
  level: 'error' | 'warning' | 'info';
  where: string;
  message: string;
}

export type DataPreflight = (config: Config) => Promise<readonly PreflightIssue[]>;

export interface PrepareRequest {
  source: ConfigSource;
  /** Folder a relative config file and a preset's relative data paths resolve against. */
  cwd: string;
  /** `key=value` texts, as `--set`. */
  sets?: readonly string[];
  /** Overrides applied after `sets`, each blamed on its own flag. */
  flags?: readonly FlagOverride[];
  /** A backend for configs that do not name one (the editor's gpaco.backend setting). */
  defaultBackend?: BackendName;
  /** `key=v1,v2` axes: a sweep, one config per grid point. */
  grid?: readonly string[];
  /** Defaults under `launch.slurm` (the editor's gpaco.slurm settings). */
  slurmDefaults?: SlurmDefaults;
  /** Check that data paths exist (default true). */
  checkPaths?: boolean;
  /** The data preflight (src/data's `preflightData`). */
  preflight: DataPreflight;
}

export type PipelineStage = 'source' | 'read' | 'parse' | 'overrides' | 'validate' | 'grid' | 'launch' | 'data';

export interface PreparedConfig {
  ok: true;
  /** The config (a sweep: its base, before the grid). */
  config: Config;
  /** A sweep's grid points, each with its validated config; empty without a grid. */
  points: ExpandedPoint[];
  axes: GridAxis[];
  /** Non-fatal problems (config and data), formatted. */
  warnings: string[];
  /** Facts the data preflight reports (e.g. counts per shot group), formatted. */
  notes: string[];
  /** `preset NAME` or the file's absolute path, for messages. */
  label: string;
  file?: string;
}

export interface RefusedConfig {
  ok: false;
  stage: PipelineStage;
  /** One line saying what failed, without "nothing was started" (the caller adds its own words). */
  title: string;
  issues: ConfigIssue[];
  /** The config file, when there is one (an editor can open it). */
  file?: string;
}

export type PipelineResult = PreparedConfig | RefusedConfig;

/** The problems of a refused config as lines (`file:line:col: field: message`). */
export function refusalLines(r: RefusedConfig): string[] {
  return r.issues.map(formatIssue);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export type ReadResult =
  { ok: true; raw: unknown; text: string; file: string } | { ok: false; stage: 'read' | 'parse'; issues: ConfigIssue[] };

/** Reads and parses a config file (comments and trailing commas allowed), keeping its text for positions. */
export function readConfigFile(file: string): ReadResult {
  let text: string;
  try {
    // The guarded reader: a config linked to /dev/zero or a FIFO is refused, not read forever.
    text = readRunText('config', file);
  } catch (err) {
    return { ok: false, stage: 'read', issues: [{ path: '', file, message: `cannot read: ${errorReason(err)}` }] };
  }
  const parsed = parseConfigText(text, file);
  return parsed.ok ? { ok: true, raw: parsed.value, text, file } : { ok: false, stage: 'parse', issues: parsed.errors };
}

/** Problems on a field set by an override point at its flag, not at the file's line. */
function blameOverrides(issues: readonly ConfigIssue[], overrides: readonly FlagOverride[]): ConfigIssue[] {
  return issues.map((issue) => {
    const o = [...overrides].reverse().find((x) => {
      const p = x.path.join('.');
      return issue.path === p || issue.path.startsWith(`${p}.`);
    });
    return o ? { path: issue.path, message: `${issue.message} (from ${o.flag})` } : issue;
  });
}

function withBackend(raw: unknown, backend: BackendName | undefined): unknown {
  if (backend === undefined || typeof raw !== 'object' || raw === null || Array.isArray(raw) || 'backend' in raw) return raw;
  return { ...(raw as Record<string, unknown>), backend };
}

function preflightLine(i: PreflightIssue): string {
  return i.message.startsWith(i.where) ? i.message : `${i.where}: ${i.message}`;
}

/** Bytes the trainer may hold for data and the queue before it refuses to start (far above real use). */
export const SIZE_LIMITS = { dataBytes: 16 * 1024 ** 3, queueBytes: 2 * 1024 ** 3, stepInputBytes: 2 * 1024 ** 3 } as const;

const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;

/**
 * Derived sizes a config asks for, checked before anything is created: the synthetic data kept
 * in memory, the contrastive queue, and one step's input (both views, float32) against what a
 * backend can allocate, and one training step's estimated memory against the backend's limit
 * (src/core/memory/stepMemory.ts). Each field is bounded by the schema; their products may still be absurd.
 */
export function sizeIssues(config: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const { data, loss, model, optim } = config;
  const side = data.imageSize ?? 32;
  const imageBytes = side * side * (data.channels ?? 3);
  if (data.kind === 'synthetic') {
    const perClass = (data.maxPerClass ?? 500) + data.testPerClass;
    const bytes = data.classes * perClass * imageBytes;
    if (bytes > SIZE_LIMITS.dataBytes) {
      issues.push({
        path: 'data.testPerClass',
        message: `the synthetic data would take ${gib(bytes)} of memory (${data.classes} classes x ${perClass} images x ${imageBytes} bytes); at most ${gib(SIZE_LIMITS.dataBytes)}`,
      });
    }
  }
  const queueBytes = (loss.queueSize ?? 0) * (model.projectionDim ?? 128) * 4 * 2;
  if (queueBytes > SIZE_LIMITS.queueBytes) {
    issues.push({
      path: 'loss.queueSize',
      message: `the queue would take ${gib(queueBytes)} (${loss.queueSize} keys x ${model.projectionDim} floats, features and labels); at most ${gib(SIZE_LIMITS.queueBytes)}`,
    });
  }
  const stepBytes = optim.batchSize * 2 * imageBytes * 4;
  if (stepBytes > SIZE_LIMITS.stepInputBytes) {
    issues.push({
      path: 'optim.batchSize',
      message: `one step's input alone would take ${gib(stepBytes)}; at most ${gib(SIZE_LIMITS.stepInputBytes)} (use optim.microBatchSize or a smaller batch)`,
    });
  }
  // A command trainer's memory is its own business.
  const step = config.trainer?.kind === 'command' ? null : stepMemoryProblem(config);
  if (step && !issues.length) issues.push(step);
  return issues;
}

/** Slurm options (with the caller's defaults) and, for a sweep, one launch for every point. */
function launchIssues(config: Config, points: readonly ExpandedPoint[], defaults: SlurmDefaults | undefined): ConfigIssue[] {
  const kind = config.launch.kind;
  if (points.some((p) => p.config.launch.kind !== kind)) {
    return [{ path: 'launch.kind', message: 'cannot vary within a sweep (use --launch, or the sweep\u2019s "where to train" choice)' }];
  }
  switch (kind) {
    case 'local':
      return [];
    case 'slurm': {
      const first = JSON.stringify(config.launch.slurm);
      if (points.some((p) => JSON.stringify(p.config.launch.slurm) !== first)) {
        return [{ path: 'launch.slurm', message: 'cannot vary within a sweep: a job array gives every task the same resources' }];
      }
      const r = resolveJobOptions(config.launch.slurm, defaults);
      return r.ok ? [] : r.errors.map((e) => ({ path: e.path, message: e.message }));
    }
    default: {
      const never: never = kind;
      return [{ path: 'launch.kind', message: `unknown launch kind ${JSON.stringify(never)}` }];
    }
  }
}

/** Runs the whole pipeline; see the file comment. */
export async function prepareConfig(req: PrepareRequest): Promise<PipelineResult> {
  let raw: unknown;
  let label: string;
  let file: string | undefined;
  let text: string | undefined;
  const src = req.source;
  switch (src.kind) {
    case 'preset': {
      const p = findPreset(src.name);
      if (!p) {
        return {
          ok: false,
          stage: 'source',
          title: 'unknown preset',
          issues: [{ path: '', message: `unknown preset "${src.name}"; presets: ${PRESETS.map((x) => x.name).join(', ')}` }],
        };
      }
      raw = p.config;
      label = `preset ${p.name}`;
      break;
    }
    case 'file': {
      file = path.resolve(req.cwd, src.path);
      const r = readConfigFile(file);
      if (!r.ok)
        return {
          ok: false,
          stage: r.stage,
          title: r.stage === 'read' ? 'the config cannot be read' : 'the config is not valid JSON',
          issues: r.issues,
          file,
        };
      ({ raw, text } = r);
      label = file;
      break;
    }
    default: {
      const never: never = src;
      throw new Error(`unknown config source ${JSON.stringify(never)}`);
    }
  }
  const refuse = (stage: PipelineStage, title: string, issues: ConfigIssue[]): RefusedConfig => ({
    ok: false,
    stage,
    title,
    issues,
    ...(file ? { file } : {}),
  });

  const overrides: FlagOverride[] = [];
  const bad: ConfigIssue[] = [];
  for (const s of req.sets ?? []) {
    const o = parseOverride(s);
    if (isOverride(o)) overrides.push({ ...o, flag: `--set ${s}` });
    else bad.push(o);
  }
  if (bad.length) return refuse('overrides', 'invalid --set', bad);
  overrides.push(...(req.flags ?? []));

  const merged = applyOverrides(withBackend(raw, req.defaultBackend), overrides);
  const vopts: ValidateOptions = {
    ...(file ? { file } : {}),
    baseDir: file ? path.dirname(file) : req.cwd,
    ...(req.checkPaths === false ? { checkPaths: false } : {}),
  };
  const base = validateConfig(merged, { ...vopts, ...(text !== undefined ? { text } : {}) });
  if (!base.ok)
    return refuse(
      'validate',
      `invalid config from ${label} (${plural(base.errors.length, 'problem')})`,
      blameOverrides(base.errors, overrides),
    );
  const warnings = blameOverrides(base.warnings, overrides).map(formatIssue);

  const axes: GridAxis[] = [];
  let points: ExpandedPoint[] = [];
  if (req.grid) {
    const gridIssues: ConfigIssue[] = [];
    for (const g of req.grid) {
      const a = parseGridAxis(g);
      if (isGridAxis(a)) axes.push(a);
      else gridIssues.push(a);
    }
    if (gridIssues.length) return refuse('grid', 'invalid --grid', gridIssues);
    const expanded = expandSweep(merged, axes, vopts);
    if (!expanded.ok)
      return refuse(
        'grid',
        `${plural(expanded.errors.length, 'grid point')} ${expanded.errors.length === 1 ? 'is' : 'are'} invalid`,
        expanded.errors.map((message) => ({ path: '', message })),
      );
    points = expanded.points;
  }

  const sizes = [base.config, ...points.map((p) => p.config)].flatMap((c) => sizeIssues(c));
  if (sizes.length)
    return refuse('validate', `the config asks for too much memory (${plural(sizes.length, 'problem')})`, blameOverrides(sizes, overrides));

  const launch = launchIssues(base.config, points, req.slurmDefaults);
  if (launch.length) return refuse('launch', `invalid launch options (${plural(launch.length, 'problem')})`, launch);

  // Each distinct data section once (a sweep over loss.alpha reads its data once).
  const configs = points.length
    ? points.map((p) => ({ config: p.config, where: `grid point ${p.index + 1} (${p.label}): ` }))
    : [{ config: base.config, where: '' }];
  const seen = new Set<string>();
  const dataErrors: ConfigIssue[] = [];
  const notes: string[] = [];
  for (const c of configs) {
    // A command trainer (trainer.kind "command") reads its data itself.
    if (c.config.trainer?.kind === 'command') continue;
    const key = JSON.stringify(c.config.data);
    if (seen.has(key)) continue;
    seen.add(key);
    const prefix = seen.size > 1 || configs.some((o) => JSON.stringify(o.config.data) !== key) ? c.where : '';
    for (const i of await req.preflight(c.config)) {
      if (i.level === 'error') dataErrors.push({ path: '', message: `${prefix}${preflightLine(i)}` });
      else if (i.level === 'info') notes.push(`${prefix}${preflightLine(i)}`);
      else warnings.push(`${prefix}${preflightLine(i)}`);
    }
  }
  if (dataErrors.length) return refuse('data', 'the data cannot be used', dataErrors);
  return { ok: true, config: base.config, points, axes, warnings, notes, label, ...(file ? { file } : {}) };
}
