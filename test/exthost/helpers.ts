// Helpers for the in-host mocha suites (real `vscode` API).
/// <reference types="mocha" />
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GpacoApi } from '../../src/extension/api';
import { pollUntil } from '../../test/shared/poll';

export const EXTENSION_ID = 'gpaco-lab.gpaco-lab';

export function extension(): vscode.Extension<GpacoApi> {
  const ext = vscode.extensions.getExtension<GpacoApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return ext;
}

export async function api(): Promise<GpacoApi> {
  return extension().activate();
}

export function workspaceDir(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  if (!f) throw new Error('no workspace folder');
  return f.uri.fsPath;
}

/** The repository (extension development path), for dist/ and test fixtures. */
export function repoRoot(): string {
  return extension().extensionPath;
}

export function fixtureScript(name: string): string {
  return path.join(repoRoot(), 'test', 'shared', 'trainers', name);
}

export function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  timeoutMs = 20_000,
  everyMs = 25,
): Promise<T> {
  return pollUntil(what, probe, timeoutMs, everyMs);
}

/** Sets gpaco.runsDirectory for the workspace and waits until the extension watches it. */
export async function useRunsDirectory(gpaco: GpacoApi, dir: string): Promise<string> {
  await vscode.workspace.getConfiguration('gpaco').update('runsDirectory', dir, vscode.ConfigurationTarget.Workspace);
  const want = path.resolve(workspaceDir(), dir);
  await waitFor(`runs root ${want}`, () => gpaco.roots().includes(want));
  return want;
}

export async function setMachineSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('gpaco').update(key, value, vscode.ConfigurationTarget.Global);
}

export { readJson } from '../../test/shared/json';

export function figure(name: string, value: string): void {
  console.log(`[figure] ${name}: ${value}`);
}

export function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
