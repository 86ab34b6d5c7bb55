// gpaco.startRun: from a config file's editor title, a new run from that file; from the tree or
// the palette, queued runs are started.
import * as vscode from 'vscode';
import type { Lab } from '../lab';
import type { CommandResult, LabCommand } from './command';
import { newRunInEditor, type NewRunResult } from './newRun';
import { refuseImported } from './readOnly';
import { pickRuns } from './runPicker';
import { requireTrust } from './trust';

async function startRun(lab: Lab, ...args: unknown[]): Promise<CommandResult | NewRunResult> {
  if (args[0] instanceof vscode.Uri) return newRunInEditor(lab, { configPath: args[0].fsPath }, true);
  const blocked = requireTrust(lab, 'start a run');
  if (blocked) return blocked;
  const runs = await pickRuns(lab, args, 'Start Run', (v) => v.status === 'queued' && v.pending === null);
  const readOnly = refuseImported(lab, runs, 'be started');
  if (readOnly) return readOnly;
  for (const v of runs) await lab.startRun(v.dir, 'start');
  return runs.length ? { ok: true } : { ok: false, reason: 'no-run', message: 'no queued run given' };
}

export const startRunCommand: LabCommand = { id: 'gpaco.startRun', run: startRun };
