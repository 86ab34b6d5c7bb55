// The runs a command acts on: those given as arguments (tree items, ids, folders), else a quick
// pick of the runs the command applies to.
import * as vscode from 'vscode';
import type { Lab } from '../lab';
import { runLabel } from '../model/presentation';
import type { RunView } from '../model/runView';
import { runRefsFromArgs } from './commandArgs';

export function resolveRuns(lab: Lab, args: readonly unknown[]): RunView[] {
  return runRefsFromArgs(args)
    .map((r) => lab.store.find(r))
    .filter((v): v is RunView => v !== undefined);
}

export async function pickRuns(
  lab: Lab,
  args: readonly unknown[],
  title: string,
  filter: (v: RunView) => boolean,
  many = false,
): Promise<RunView[]> {
  const given = resolveRuns(lab, args);
  if (given.length || runRefsFromArgs(args).length) return given;
  const candidates = lab.store.views().filter(filter);
  if (!candidates.length) {
    void vscode.window.showInformationMessage(`GPaCo Lab: no run to ${title.toLowerCase()}.`);
    return [];
  }
  const items = candidates.map((v) => ({ label: runLabel(v), description: `${v.status} · ${v.id}`, view: v }));
  const picked = many
    ? await vscode.window.showQuickPick(items, { title, canPickMany: true })
    : await vscode.window.showQuickPick(items, { title }).then((p) => (p ? [p] : undefined));
  return (picked ?? []).map((p) => p.view);
}
