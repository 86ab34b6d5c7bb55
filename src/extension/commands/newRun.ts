// gpaco.newRun: a preset or a config file in the workspace, an optional name; a preset's config
// is first written into the workspace (experiments/<preset>.json) so it can be edited and
// versioned. The config goes through the config pipeline (every error with its field path and
// line, Slurm options, the data preflight) before anything is created; then the run directory is
// created as `queued` and handed to the scheduler.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Config } from '../../core/config/schema';
import type { Lab } from '../lab';
import { readSlurmSettings } from '../launch/slurmLauncher';
import { defaultBackend } from '../settings';
import type { LabCommand } from './command';
import { optionsFromArgs } from './commandArgs';
import { NO_FOLDER_MESSAGE, chooseConfigSource, ensureRunsDirectory, pickRunsRoot } from './configSource';
import { prepareInEditor, writePresetConfig } from './prepare';
import { requireTrust } from './trust';

export interface NewRunOptions {
  /** A built-in preset (see src/core/config/presets.ts). */
  preset?: string;
  /** A config file (absolute, or relative to the workspace folder). */
  configPath?: string;
  /** Display name of the run. */
  name?: string;
  /** `key=value` overrides, as `gpaco train --set`. */
  overrides?: string[];
  /** Workspace folder (path) whose runs directory gets the run; default: the first. */
  folder?: string;
  /** Create the run but do not start it (it stays queued). */
  noStart?: boolean;
}

export type NewRunResult =
  | { ok: true; runId: string; dir: string; configPath: string }
  | { ok: false; reason: 'cancelled' | 'untrusted' | 'no-folder' | 'invalid-config' | 'runs-directory'; errors: string[] };

export interface NewRunDeps {
  /** Creates the run directory and queues it; returns the id and folder. */
  launch(root: string, config: Config, name: string | undefined, start: boolean): Promise<{ id: string; dir: string }>;
  showErrors(title: string, errors: string[], file?: string): void;
}

export async function newRun(opts: NewRunOptions, interactive: boolean, deps: NewRunDeps): Promise<NewRunResult> {
  let { preset, configPath, name } = opts;
  if (!preset && !configPath) {
    if (!interactive) preset = 'synthetic-lt';
    else {
      const src = await chooseConfigSource('New GPaCo Run');
      if (!src) return { ok: false, reason: 'cancelled', errors: [] };
      ({ preset, configPath } = src);
    }
  }
  const root = pickRunsRoot(opts.folder);
  if (!root) {
    deps.showErrors('No workspace folder', [NO_FOLDER_MESSAGE]);
    return { ok: false, reason: 'no-folder', errors: [NO_FOLDER_MESSAGE] };
  }
  if (interactive && name === undefined) {
    name = await vscode.window.showInputBox({
      title: 'New GPaCo Run',
      prompt: 'Run name (optional)',
      placeHolder: preset ?? path.basename(configPath ?? 'run', '.json'),
    });
    if (name === undefined) return { ok: false, reason: 'cancelled', errors: [] };
    name = name.trim() || undefined;
  }
  const folderPath = root.folder.uri.fsPath;
  if (preset) {
    const written = await writePresetConfig(folderPath, preset);
    if (!written.ok) {
      deps.showErrors(written.title, written.errors);
      return { ok: false, reason: 'invalid-config', errors: written.errors };
    }
    configPath = written.file;
  }
  const file = path.resolve(folderPath, configPath!);
  const result = await prepareInEditor({
    source: { kind: 'file', path: file },
    cwd: folderPath,
    sets: opts.overrides ?? [],
    defaultBackend: defaultBackend(root.folder),
    slurmDefaults: readSlurmSettings().defaults,
  });
  if (!result.ok) {
    deps.showErrors(result.title, result.errors, result.file);
    return { ok: false, reason: 'invalid-config', errors: result.errors };
  }
  const problem = ensureRunsDirectory(root.root);
  if (problem) {
    deps.showErrors('Runs directory', [problem]);
    return { ok: false, reason: 'runs-directory', errors: [problem] };
  }
  const { id, dir } = await deps.launch(root.root, result.config, name, !opts.noStart);
  return { ok: true, runId: id, dir, configPath: file };
}

/** New Run with the editor's objects: the run is created, shown in the tree and started. */
export async function newRunInEditor(lab: Lab, opts: NewRunOptions, interactive: boolean): Promise<NewRunResult> {
  const blocked = requireTrust(lab, 'start a run');
  if (blocked) return { ok: false, reason: 'untrusted', errors: [blocked.message] };
  const result = await newRun(opts, interactive, {
    showErrors: (title, errors, file) => lab.showErrors(title, errors, file),
    launch: async (root, config, name, start) => {
      const { createRunDirectory } = await import('../../core/runDirectory');
      const created = createRunDirectory(root, {
        config,
        name,
        launch: config.launch.kind === 'slurm' ? { kind: 'slurm', jobId: null } : { kind: 'local' },
      });
      lab.watcher.rootCreated(root);
      lab.store.reload(created.dir);
      lab.output.appendLine(`[new run] ${created.dir}`);
      if (start) await lab.startRun(created.dir, 'start');
      return created;
    },
  });
  if (result.ok && interactive) void vscode.commands.executeCommand('gpaco.runs.focus');
  return result;
}

export const newRunCommand: LabCommand = {
  id: 'gpaco.newRun',
  run: (lab, ...args) => {
    const opts = optionsFromArgs<NewRunOptions>(args);
    return newRunInEditor(lab, opts, args.length === 0 || Object.keys(opts).length === 0);
  },
};
