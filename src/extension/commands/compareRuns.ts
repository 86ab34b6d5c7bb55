// gpaco.compareRuns: the compare panel on 2 to MAX_COMPARED_RUNS runs.
import * as vscode from 'vscode';
import { MAX_COMPARED_RUNS } from '../dashboard';
import type { Lab } from '../lab';
import type { CommandResult, LabCommand } from './command';
import { pickRuns } from './runPicker';

async function compareRuns(lab: Lab, ...args: unknown[]): Promise<CommandResult> {
  const runs = await pickRuns(lab, args, 'Compare Runs', (x) => x.status !== 'unreadable', true);
  if (runs.length < 2) {
    const message = 'Select 2 to 8 runs to compare.';
    void vscode.window.showInformationMessage(`GPaCo Lab: ${message}`);
    return { ok: false, reason: 'too-few', message };
  }
  if (runs.length > MAX_COMPARED_RUNS) {
    const message = `Select at most ${MAX_COMPARED_RUNS} runs to compare (${runs.length} selected).`;
    void vscode.window.showInformationMessage(`GPaCo Lab: ${message}`);
    return { ok: false, reason: 'too-many', message };
  }
  return (await lab.dashboards.compareRuns(runs.map((r) => r.dir)))
    ? { ok: true, detail: 'compare' }
    : { ok: false, reason: 'no-run', message: 'runs not found' };
}

export const compareRunsCommand: LabCommand = { id: 'gpaco.compareRuns', run: compareRuns };
