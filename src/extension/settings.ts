// The extension's settings (package.json `contributes.configuration`). Settings that name a
// program or a folder to load code from are `machine` scoped: VS Code never takes them from a
// workspace's .vscode/settings.json, so opening a repository cannot make the editor run its code.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BackendName } from '../core/config/schema';
import { normalizeMaxConcurrent } from './model/queuePolicy';

export const SECTION = 'gpaco';

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

export interface RootInfo {
  root: string;
  folder: vscode.WorkspaceFolder;
}

/** The runs directory of every (local-disk) workspace folder. */
export function runsRoots(): RootInfo[] {
  const out: RootInfo[] = [];
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    if (folder.uri.scheme !== 'file') continue;
    const dir = vscode.workspace.getConfiguration(SECTION, folder.uri).get<string>('runsDirectory', 'runs').trim() || 'runs';
    out.push({ root: path.resolve(folder.uri.fsPath, expandHome(dir)), folder });
  }
  return out;
}

export function nodePath(): string {
  return vscode.workspace.getConfiguration(SECTION).get<string>('nodePath', '').trim() || 'node';
}

export function nativeModulesPath(): string {
  return expandHome(vscode.workspace.getConfiguration(SECTION).get<string>('nativeModulesPath', '').trim());
}

export function maxConcurrentRuns(): number {
  return normalizeMaxConcurrent(vscode.workspace.getConfiguration(SECTION).get<number>('maxConcurrentRuns', 1));
}

/**
 * Backend for runs whose config does not name one. (The setting is an enum in package.json; the
 * config validation that follows checks the value, so the TypeBox schema need not load here.)
 */
export function defaultBackend(folder?: vscode.WorkspaceFolder): BackendName {
  return vscode.workspace.getConfiguration(SECTION, folder?.uri).get<BackendName>('backend', 'auto');
}
