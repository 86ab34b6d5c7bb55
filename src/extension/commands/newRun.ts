// gpaco.newRun: a preset or a config file in the workspace, an optional name; a preset's config
// is first written into the workspace (experiments/<preset>.json) so it can be edited and
// versioned. The config is validated (every error with its field path and line) before anything
// is created; then the run directory is created as `queued` and handed to the scheduler.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Config } from '../../core/config/schema';
import { NO_FOLDER_MESSAGE, chooseConfigSource, ensureRunsDirectory, pickRunsRoot, withDefaultBackend } from './configSource';

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

/** Writes the preset's config to experiments/<preset>.json, reusing an identical file. */
function writePresetConfig(folder: string, preset: string, config: Config): string {
  const dir = path.join(folder, 'experiments');
  fs.mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(config, null, 2)}\n`;
  for (let n = 1; n < 1000; n++) {
    const file = path.join(dir, n === 1 ? `${preset}.json` : `${preset}-${n}.json`);
    if (!fs.existsSync(file)) {
      fs.writeFileSync(file, text);
      return file;
    }
    if (fs.readFileSync(file, 'utf8') === text) return file;
  }
  throw new Error(`too many preset copies in ${dir}`);
}

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
    name = await vscode.window.showInputBox({ title: 'New GPaCo Run', prompt: 'Run name (optional)', placeHolder: preset ?? path.basename(configPath ?? 'run', '.json') });
    if (name === undefined) return { ok: false, reason: 'cancelled', errors: [] };
    name = name.trim() || undefined;
  }
  // Heavy modules (TypeBox) load only when a run is made, keeping activation light.
  const { resolvePreset } = await import('../../core/config/presets');
  const { validateConfig, parseConfigText, formatIssue } = await import('../../core/config/validate');
  const { parseOverride, isOverride, applyOverrides } = await import('../../core/config/overrides');

  const folderPath = root.folder.uri.fsPath;
  if (preset) {
    const resolved = resolvePreset(preset, folderPath);
    if (!resolved.ok) {
      const errors = resolved.errors.map(formatIssue);
      deps.showErrors('Unknown preset', errors);
      return { ok: false, reason: 'invalid-config', errors };
    }
    configPath = writePresetConfig(folderPath, preset, resolved.config);
  }
  const file = path.resolve(folderPath, configPath!);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const errors = [`${file}: cannot read: ${(err as Error).message}`];
    deps.showErrors('Cannot read the config', errors, file);
    return { ok: false, reason: 'invalid-config', errors };
  }
  const parsed = parseConfigText(text, file);
  if (!parsed.ok) {
    const errors = parsed.errors.map(formatIssue);
    deps.showErrors('The config is not valid JSON', errors, file);
    return { ok: false, reason: 'invalid-config', errors };
  }
  let value = parsed.value;
  const overrides = [];
  for (const o of opts.overrides ?? []) {
    const ov = parseOverride(o);
    if (!isOverride(ov)) {
      const errors = [formatIssue(ov)];
      deps.showErrors('Bad override', errors);
      return { ok: false, reason: 'invalid-config', errors };
    }
    overrides.push(ov);
  }
  if (overrides.length) value = applyOverrides(value, overrides);
  value = withDefaultBackend(value, root);
  const result = validateConfig(value, { file, text });
  if (!result.ok) {
    const errors = result.errors.map(formatIssue);
    deps.showErrors(`The config has ${errors.length} error${errors.length === 1 ? '' : 's'}; nothing was started`, errors, file);
    return { ok: false, reason: 'invalid-config', errors };
  }
  const problem = ensureRunsDirectory(root.root);
  if (problem) {
    deps.showErrors('Runs directory', [problem]);
    return { ok: false, reason: 'runs-directory', errors: [problem] };
  }
  const { id, dir } = await deps.launch(root.root, result.config, name, !opts.noStart);
  return { ok: true, runId: id, dir, configPath: file };
}
