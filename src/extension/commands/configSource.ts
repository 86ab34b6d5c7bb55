// What New Run and New Sweep share: which workspace folder's runs directory gets the runs,
// whether that directory can be written, and the quick pick of a preset or a config file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runsRoots, type RootInfo } from '../settings';

/** The glob of run config files (also the `jsonValidation` patterns in package.json). */
export const CONFIG_GLOB = '{**/*.gpaco.json,**/experiments/*.json}';

export const NO_FOLDER_MESSAGE = 'Open a folder first: runs are kept in the runs directory of a workspace folder.';

/** The runs directory of the workspace folder at `folder` (a path), or of the first folder. */
export function pickRunsRoot(folder: string | undefined): RootInfo | undefined {
  const roots = runsRoots();
  if (folder) return roots.find((r) => path.resolve(r.folder.uri.fsPath) === path.resolve(folder)) ?? roots[0];
  return roots[0];
}

/** Checks that the runs directory exists or can be created, and can be written. */
export function ensureRunsDirectory(root: string): string | undefined {
  try {
    fs.mkdirSync(root, { recursive: true });
    fs.accessSync(root, fs.constants.W_OK);
    const probe = path.join(root, `.gpaco-write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe, { force: true });
    return undefined;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS'
        ? 'permission denied'
        : e.code === 'ENOTDIR' || e.code === 'EEXIST'
          ? 'a file is in the way'
          : e.message;
    return `The runs directory ${root} cannot be created or written (${why}). Change the setting gpaco.runsDirectory or the folder's permissions.`;
  }
}

export interface ConfigSource {
  preset?: string;
  configPath?: string;
}

/** A built-in preset or a config file of the workspace, picked by the user (undefined: cancelled). */
export async function chooseConfigSource(title: string): Promise<ConfigSource | undefined> {
  const { PRESETS } = await import('../../core/config/presets');
  const files = await vscode.workspace.findFiles(CONFIG_GLOB, '**/{node_modules,runs,.git}/**', 100);
  type Item = vscode.QuickPickItem & ConfigSource;
  const items: Item[] = [
    { label: 'Presets', kind: vscode.QuickPickItemKind.Separator },
    ...PRESETS.map((p) => ({ label: `$(beaker) ${p.name}`, detail: p.description, preset: p.name })),
  ];
  if (files.length) {
    items.push({ label: 'Config files', kind: vscode.QuickPickItemKind.Separator });
    for (const f of files) items.push({ label: `$(json) ${vscode.workspace.asRelativePath(f)}`, configPath: f.fsPath });
  }
  const pick = await vscode.window.showQuickPick(items, { title, placeHolder: 'A preset or a config file' });
  return pick
    ? { ...(pick.preset ? { preset: pick.preset } : {}), ...(pick.configPath ? { configPath: pick.configPath } : {}) }
    : undefined;
}
