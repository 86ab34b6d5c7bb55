// gpaco train (--preset NAME | --config FILE) [--runs-dir DIR] [--name N] [--set key=value ...]
//             [--backend B] [--detach]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyOverrides, isOverride, type Override } from '../../core/config/overrides';
import { PRESETS, findPreset } from '../../core/config/presets';
import { BACKENDS } from '../../core/config/schema';
import { formatIssue, parseConfigText, validateConfig, type ConfigIssue } from '../../core/config/validate';
import { parseOverride } from '../../core/config/overrides';
import { createRunDirectory, runPaths } from '../../core/runDirectory';
import { preflightData } from '../../trainer/data/index';
import { describeConfig } from '../describe';
import { followRun } from '../follow';
import { concludeRun } from '../outcome';
import { EXIT, RUNS_DIR_OPTION, UsageError, registerCommand, type CommandContext } from '../registry';
import { runsDirOf } from '../runLookup';
import { trainOnSlurm } from '../slurmSupport';
import { checkTrainer, spawnTrainer, trainerScript } from '../trainerProcess';

interface LoadedConfig {
  raw: unknown;
  /** Where it came from, for messages. */
  source: string;
  file?: string;
  text?: string;
}

function loadRaw(ctx: CommandContext): LoadedConfig | ConfigIssue[] {
  const preset = ctx.string('preset');
  const configFile = ctx.string('config');
  if ((preset === undefined) === (configFile === undefined)) {
    throw new UsageError(`give one of --preset NAME or --config FILE (presets: ${PRESETS.map((p) => p.name).join(', ')})`);
  }
  if (preset !== undefined) {
    const p = findPreset(preset);
    if (!p) throw new UsageError(`unknown preset "${preset}"; presets: ${PRESETS.map((x) => x.name).join(', ')}`);
    return { raw: p.config, source: `preset ${p.name}` };
  }
  const file = path.resolve(ctx.cwd, configFile!);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return [{ path: '', file, message: `cannot read: ${(err as Error).message}` }];
  }
  const parsed = parseConfigText(text, file);
  if (!parsed.ok) return parsed.errors;
  return { raw: parsed.value, source: file, file, text };
}

/** Problems on a field set by --set / --backend point at that flag, not at the file's line. */
function blameOverrides(issues: ConfigIssue[], overrides: readonly (Override & { flag: string })[]): ConfigIssue[] {
  return issues.map((issue) => {
    const o = [...overrides].reverse().find((x) => {
      const p = x.path.join('.');
      return issue.path === p || issue.path.startsWith(`${p}.`);
    });
    if (!o) return issue;
    return { path: issue.path, message: `${issue.message} (from ${o.flag})` };
  });
}

async function train(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const loaded = loadRaw(ctx);
  const fail = (issues: ConfigIssue[], what: string) => {
    io.err(`gpaco train: ${what} (${issues.length} problem${issues.length === 1 ? '' : 's'}); nothing was started:`);
    for (const i of issues) io.err(`  ${formatIssue(i)}`);
    return EXIT.usage;
  };
  if (Array.isArray(loaded)) return fail(loaded, 'the config cannot be read');

  const overrides: (Override & { flag: string })[] = [];
  const overrideErrors: ConfigIssue[] = [];
  for (const text of ctx.strings('set')) {
    const o = parseOverride(text);
    if (isOverride(o)) overrides.push({ ...o, flag: `--set ${text}` });
    else overrideErrors.push(o);
  }
  const backend = ctx.string('backend');
  if (backend !== undefined) overrides.push({ path: ['backend'], value: backend, flag: `--backend ${backend}` });
  if (overrideErrors.length) return fail(overrideErrors, 'invalid --set');

  const merged = applyOverrides(loaded.raw, overrides);
  const result = validateConfig(merged, {
    ...(loaded.file !== undefined ? { file: loaded.file, text: loaded.text } : {}),
    baseDir: loaded.file ? path.dirname(loaded.file) : ctx.cwd,
  });
  if (!result.ok) return fail(blameOverrides(result.errors, overrides), `invalid config from ${loaded.source}`);
  const config = result.config;
  for (const w of blameOverrides(result.warnings, overrides)) io.err(`warning: ${formatIssue(w)}`);

  // Data preflight (headers, sizes, counts): cheap, and it keeps a run folder from being made
  // for data that cannot load.
  const dataIssues = await preflightData(config);
  const dataErrors = dataIssues.filter((i) => i.level === 'error');
  for (const w of dataIssues.filter((i) => i.level === 'warning')) io.err(`warning: ${w.message.startsWith(w.where) ? w.message : `${w.where}: ${w.message}`}`);
  if (dataErrors.length) {
    return fail(
      dataErrors.map((e) => ({ path: '', message: e.message.startsWith(e.where) ? e.message : `${e.where}: ${e.message}` })),
      'the data cannot be used',
    );
  }

  const script = trainerScript(ctx);
  const missing = checkTrainer(script);
  if (missing) {
    io.err(`gpaco train: ${missing}`);
    return EXIT.failed;
  }

  const runsDir = runsDirOf(ctx);
  const name = ctx.string('name');
  // launch.kind "slurm": a batch job on the cluster instead of a child process (issue 8).
  if (config.launch.kind === 'slurm') return trainOnSlurm(ctx, config, runsDir, name);
  const { id, dir } = createRunDirectory(runsDir, { config, ...(name !== undefined ? { name } : {}), launch: { kind: 'local' } });
  io.out(`run ${id}`);
  io.out(`  ${describeConfig(config)}`);
  io.out(`  directory ${dir}`);
  io.out(`  log ${runPaths(dir).log}`);

  const detach = ctx.flag('detach');
  const child = spawnTrainer(script, ['run', dir], dir, { detach });
  if (detach) {
    io.out(`started in the background (pid ${child.pid ?? '?'}); watch it with: gpaco show ${id}`);
    return EXIT.ok;
  }
  if (io.isTTY) io.out('Ctrl-C stops after the current step and saves a checkpoint (gpaco resume continues)');
  const outcome = await followRun(child, dir, { io, fromStart: true });
  return concludeRun(dir, outcome, io);
}

registerCommand({
  name: 'train',
  summary: 'start a training run from a preset or a config file and follow it',
  usage: ['gpaco train (--preset NAME | --config FILE) [--runs-dir DIR] [--name N] [--set key=value ...] [--backend B] [--detach]'],
  options: [
    { name: 'preset', type: 'string', value: 'NAME', help: `built-in config: ${PRESETS.map((p) => p.name).join(', ')}` },
    { name: 'config', type: 'string', value: 'FILE', help: 'a run config JSON file (comments allowed; schema: schemas/run-config.schema.json)' },
    RUNS_DIR_OPTION,
    { name: 'name', type: 'string', value: 'N', help: 'display name of the run (default: the config name)' },
    { name: 'set', type: 'string', multiple: true, value: 'key=value', help: 'override a config field, e.g. --set loss.alpha=0.01 --set optim.epochs=5' },
    { name: 'backend', type: 'string', value: 'B', help: `TensorFlow.js backend: ${BACKENDS.join(', ')}` },
    { name: 'detach', type: 'boolean', help: 'start the run in the background and return at once' },
  ],
  positionals: [],
  details: [
    'The config is validated before anything starts: every problem is listed with its field path',
    '(and file line), and no run folder is made. Progress is shown while the run trains; at the end',
    'top-1 and many / medium / few accuracy and the run folder are printed.',
  ],
  run: train,
});
