// gpaco.newSweep (issue 8): a base config (preset or file) and a grid over config keys become
// runs sharing a sweep id; local runs go through the launch queue (gpaco.maxConcurrentRuns),
// Slurm runs are one job array. The compare panel then opens on the sweep's runs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Config } from '../../core/config/schema';
import type { RunManifest } from '../../core/contract';
import { NO_FOLDER_MESSAGE, chooseConfigSource, ensureRunsDirectory, pickRunsRoot, withDefaultBackend } from '../commands/configSource';

export interface NewSweepOptions {
  preset?: string;
  /** A config file (absolute, or relative to the workspace folder). */
  configPath?: string;
  /** `key=v1,v2` per axis, as `gpaco sweep --grid`. */
  grid?: string[];
  /** `key=value` applied to every run, as `--set`. */
  overrides?: string[];
  launch?: 'local' | 'slurm';
  name?: string;
  /** Workspace folder (path) whose runs directory gets the runs; default: the first. */
  folder?: string;
  /** Open the compare panel on the sweep (default true). */
  compare?: boolean;
}

export type NewSweepResult =
  | { ok: true; sweepId: string; runs: { runId: string; dir: string; label: string }[]; jobId?: string }
  | { ok: false; reason: 'cancelled' | 'no-folder' | 'invalid' | 'runs-directory' | 'launch-failed'; errors: string[] };

export interface NewSweepDeps {
  /** Created runs: make them known to the tree before launching. */
  created(root: string, dirs: string[]): void;
  /** Local runs: the launch queue. */
  queueLocal(dir: string): Promise<void>;
  /** Slurm runs: one job array; resolves to its job id. */
  submitArray(dirs: string[], sweepDir: string, name: string): Promise<string>;
  showErrors(title: string, errors: string[], file?: string): void;
  compare(runIds: string[]): Thenable<unknown> | Promise<unknown>;
  maxCompared: number;
}

export async function newSweep(opts: NewSweepOptions, interactive: boolean, deps: NewSweepDeps): Promise<NewSweepResult> {
  let { preset, configPath, grid, launch } = opts;
  if (!preset && !configPath) {
    if (!interactive) preset = 'synthetic-lt';
    else {
      const b = await chooseConfigSource('New GPaCo Sweep (1/3): base config');
      if (!b) return { ok: false, reason: 'cancelled', errors: [] };
      ({ preset, configPath } = b);
    }
  }
  if (!grid?.length) {
    if (!interactive) return { ok: false, reason: 'invalid', errors: ['give at least one grid axis, e.g. loss.alpha=0.01,0.05'] };
    // core/sweep pulls in config validation (TypeBox): loaded on use, so activation stays light.
    const { splitGridText } = await import('../../core/sweep');
    const text = await vscode.window.showInputBox({
      title: 'New GPaCo Sweep (2/3): grid',
      prompt: 'Config keys and their values; each combination becomes a run',
      placeHolder: 'loss.alpha=0.01,0.05 optim.lr=0.05,0.1',
      validateInput: (v) => (splitGridText(v).length ? undefined : 'key=value1,value2 (several keys separated by spaces)'),
    });
    if (text === undefined) return { ok: false, reason: 'cancelled', errors: [] };
    grid = splitGridText(text);
  }
  const root = pickRunsRoot(opts.folder);
  if (!root) {
    deps.showErrors('No workspace folder', [NO_FOLDER_MESSAGE]);
    return { ok: false, reason: 'no-folder', errors: [NO_FOLDER_MESSAGE] };
  }

  // Heavy modules load only when a sweep is made (activation stays light).
  const { findPreset } = await import('../../core/config/presets');
  const { validateConfig, parseConfigText, formatIssue } = await import('../../core/config/validate');
  const { parseOverride, isOverride, applyOverrides } = await import('../../core/config/overrides');
  const sweeps = await import('../../core/sweep');
  const { createRunDirectory } = await import('../../core/runDirectory');

  const fail = (title: string, errors: string[], file?: string): NewSweepResult => {
    deps.showErrors(title, errors, file);
    return { ok: false, reason: 'invalid', errors };
  };
  let raw: unknown;
  let file: string | undefined;
  let text: string | undefined;
  if (preset) {
    const p = findPreset(preset);
    if (!p) return fail('Unknown preset', [`unknown preset "${preset}"`]);
    raw = p.config;
  } else {
    file = path.resolve(root.folder.uri.fsPath, configPath!);
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      return fail('Cannot read the config', [`${file}: ${(err as Error).message}`]);
    }
    const parsed = parseConfigText(text, file);
    if (!parsed.ok) return fail('Invalid config', parsed.errors.map(formatIssue), file);
    raw = parsed.value;
  }
  const overrides = [];
  for (const s of opts.overrides ?? []) {
    const o = parseOverride(s);
    if (!isOverride(o)) return fail('Invalid override', [formatIssue(o)]);
    overrides.push(o);
  }
  if (interactive && !launch) {
    const current = (raw as { launch?: { kind?: string } })?.launch?.kind === 'slurm' ? 'slurm' : 'local';
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'local', description: 'on this machine, at most gpaco.maxConcurrentRuns at once', picked: current === 'local' },
        { label: 'slurm', description: 'one Slurm job array (launch.slurm options, gpaco.slurm settings)', picked: current === 'slurm' },
      ],
      { title: 'New GPaCo Sweep (3/3): where to train' },
    );
    if (!pick) return { ok: false, reason: 'cancelled', errors: [] };
    launch = pick.label as 'local' | 'slurm';
  }
  if (launch) overrides.push({ path: ['launch', 'kind'], value: launch });
  const merged = applyOverrides(withDefaultBackend(raw, root), overrides);
  const vopts = { ...(file ? { file } : {}), baseDir: file ? path.dirname(file) : root.folder.uri.fsPath };
  const base = validateConfig(merged, { ...vopts, ...(text !== undefined ? { text } : {}) });
  if (!base.ok) return fail('Invalid config', base.errors.map(formatIssue), file);
  const axes = [];
  for (const g of grid) {
    const a = sweeps.parseGridAxis(g);
    if (!sweeps.isGridAxis(a)) return fail('Invalid grid', [formatIssue(a)]);
    axes.push(a);
  }
  const expanded = sweeps.expandSweep(merged, axes, vopts);
  if (!expanded.ok) return fail('Invalid sweep', expanded.errors, file);
  const kind = base.config.launch.kind;
  if (kind === 'slurm' && expanded.points.some((p) => JSON.stringify(p.config.launch) !== JSON.stringify(base.config.launch))) {
    return fail('Invalid sweep', ['launch.* cannot vary within a Slurm sweep: a job array gives every task the same resources']);
  }

  const problem = ensureRunsDirectory(root.root);
  if (problem) {
    deps.showErrors('Runs directory', [problem]);
    return { ok: false, reason: 'runs-directory', errors: [problem] };
  }

  const name = opts.name ?? base.config.name ?? 'sweep';
  const sweepId = sweeps.newSweepId(name);
  const runs = expanded.points.map((p: { config: Config; label: string; values: Record<string, unknown> }) => {
    const launchRecord: RunManifest['launch'] = kind === 'slurm' ? { kind: 'slurm', jobId: null } : { kind: 'local' };
    const { id, dir } = createRunDirectory(root.root, { config: p.config, name: `${name} ${p.label}`, sweepId, launch: launchRecord });
    return { runId: id, dir, label: p.label, values: p.values };
  });
  const record = {
    schema: 'gpaco-sweep/1' as const,
    id: sweepId,
    name,
    createdAt: new Date().toISOString(),
    grid: axes.map((a) => ({ key: a.key, values: a.values })),
    launch: kind === 'slurm' ? { kind: 'slurm' as const, jobId: null } : { kind: 'local' as const },
    runs: runs.map((r) => ({ id: r.runId, dir: r.dir, label: r.label, values: r.values })),
  };
  sweeps.writeSweepRecord(root.root, record);
  deps.created(
    root.root,
    runs.map((r) => r.dir),
  );
  let jobId: string | undefined;
  try {
    if (kind === 'slurm') {
      jobId = await deps.submitArray(
        runs.map((r) => r.dir),
        sweeps.sweepDir(root.root, sweepId),
        sweepId,
      );
      sweeps.writeSweepRecord(root.root, { ...record, launch: { kind: 'slurm', jobId } });
    } else {
      for (const r of runs) await deps.queueLocal(r.dir);
    }
  } catch (err) {
    const message = (err as Error).message;
    deps.showErrors('Sweep not launched', [message]);
    return { ok: false, reason: 'launch-failed', errors: [message] };
  }
  if (opts.compare !== false && runs.length >= 2) void deps.compare(runs.slice(0, deps.maxCompared).map((r) => r.runId));
  return { ok: true, sweepId, runs: runs.map(({ runId, dir, label }) => ({ runId, dir, label })), ...(jobId ? { jobId } : {}) };
}
