// gpaco.newSweep: a base config (preset or file) and a grid over config keys become runs sharing
// a sweep id; local runs go through the launch queue (gpaco.maxConcurrentRuns), Slurm runs are
// one job array. The compare panel then opens on the sweep's runs. A preset is written into the
// workspace first and the config goes through the config pipeline, as for New Run.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunManifest } from '../../core/contract';
import { MAX_COMPARED_RUNS } from '../dashboard';
import type { Lab } from '../lab';
import { readSlurmSettings } from '../launch/slurmLauncher';
import { defaultBackend } from '../settings';
import type { LabCommand } from './command';
import { optionsFromArgs } from './commandArgs';
import { NO_FOLDER_MESSAGE, chooseConfigSource, ensureRunsDirectory, pickRunsRoot } from './configSource';
import { prepareInEditor, writePresetConfig } from './prepare';
import { requireTrust } from './trust';

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

  const folderPath = root.folder.uri.fsPath;
  if (preset) {
    const written = await writePresetConfig(folderPath, preset);
    if (!written.ok) {
      deps.showErrors(written.title, written.errors);
      return { ok: false, reason: 'invalid', errors: written.errors };
    }
    configPath = written.file;
  }
  const file = path.resolve(folderPath, configPath!);
  if (interactive && !launch) {
    const { readConfigFile } = await import('../../core/config/pipeline');
    const read = readConfigFile(file);
    const current = read.ok && (read.raw as { launch?: { kind?: string } } | null)?.launch?.kind === 'slurm' ? 'slurm' : 'local';
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
  const prepared = await prepareInEditor({
    source: { kind: 'file', path: file },
    cwd: folderPath,
    sets: opts.overrides ?? [],
    ...(launch ? { flags: [{ path: ['launch', 'kind'], value: launch, flag: `launch ${launch}` }] } : {}),
    grid,
    defaultBackend: defaultBackend(root.folder),
    slurmDefaults: readSlurmSettings().defaults,
  });
  if (!prepared.ok) {
    deps.showErrors(prepared.title, prepared.errors, prepared.file);
    return { ok: false, reason: 'invalid', errors: prepared.errors };
  }
  const { axes, points } = prepared;
  const kind = prepared.config.launch.kind;

  const problem = ensureRunsDirectory(root.root);
  if (problem) {
    deps.showErrors('Runs directory', [problem]);
    return { ok: false, reason: 'runs-directory', errors: [problem] };
  }

  const sweeps = await import('../../core/sweep');
  const { createRunDirectory } = await import('../../core/runDirectory');
  const name = opts.name ?? prepared.config.name ?? 'sweep';
  const sweepId = sweeps.newSweepId(name);
  const runs = points.map((p) => {
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

async function newSweepInEditor(lab: Lab, ...args: unknown[]): Promise<NewSweepResult> {
  const blocked = requireTrust(lab, 'start a sweep');
  if (blocked) return { ok: false, reason: 'cancelled', errors: [blocked.message] };
  const opts = optionsFromArgs<NewSweepOptions>(args);
  return newSweep(opts, Object.keys(opts).length === 0, {
    created: (root, dirs) => {
      lab.watcher.rootCreated(root);
      for (const d of dirs) lab.store.reload(d);
    },
    queueLocal: (dir) => lab.scheduler.request(dir, 'start'),
    submitArray: (dirs, sweepDir, name) => lab.slurm.startArray(dirs, sweepDir, name),
    showErrors: (title, errors, file) => lab.showErrors(title, errors, file),
    compare: (runIds) => vscode.commands.executeCommand('gpaco.compareRuns', { runIds }),
    maxCompared: MAX_COMPARED_RUNS,
  });
}

export const newSweepCommand: LabCommand = { id: 'gpaco.newSweep', run: newSweepInEditor };
