// gpaco.deleteRun: removes run folders after a confirmation; a running run is refused.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { Lab } from '../lab';
import { runLabel } from '../model/presentation';
import { isActive } from '../model/runView';
import type { CommandResult, LabCommand } from './command';
import { optionsFromArgs } from './commandArgs';
import { pickRuns } from './runPicker';
import { requireTrust } from './trust';

async function deleteRun(lab: Lab, ...args: unknown[]): Promise<CommandResult> {
  const blocked = requireTrust(lab, 'delete a run');
  if (blocked) return blocked;
  const opts = optionsFromArgs<{ confirm?: boolean }>(args);
  const runs = await pickRuns(lab, args, 'Delete Run', (x) => !isActive(x), true);
  if (!runs.length) return { ok: false, reason: 'no-run', message: 'no run given' };
  // A trainer that has written its final status may still be exiting: only a running run (or a
  // queued one whose trainer is starting) is refused.
  const busy = runs.filter((v) => isActive(v) || (v.status === 'queued' && lab.launcherFor(v).isAlive(v)));
  if (busy.length) {
    const message = `Run "${runLabel(busy[0]!)}" is running: stop it before deleting it.`;
    void lab.notifier.show('warning', message, ['Stop Run']).then((c) => {
      if (c) void vscode.commands.executeCommand('gpaco.stopRun', busy[0]!.dir);
    });
    return { ok: false, reason: 'running', message };
  }
  if (opts.confirm !== false) {
    const names = runs.map(runLabel).join(', ');
    // An imported run's folder holds only what the import wrote: its source stays where it is.
    const sources = runs.flatMap((v) => (v.manifest?.imported ? [v.manifest.imported.source] : []));
    const kept = sources.length
      ? ` The imported ${sources.length === 1 ? 'source' : 'sources'} (${sources.join(', ')}) and ${sources.length === 1 ? 'its' : 'their'} checkpoint files are not touched.`
      : '';
    const ok = await vscode.window.showWarningMessage(
      `Delete ${runs.length === 1 ? 'run' : `${runs.length} runs`} ${names}? Its folder, checkpoints and logs are removed.${kept}`,
      { modal: true },
      'Delete',
    );
    if (ok !== 'Delete') return { ok: false, reason: 'cancelled', message: 'cancelled' };
  }
  for (const v of runs) {
    await lab.scheduler.cancel(v.dir);
    fs.rmSync(v.dir, { recursive: true, force: true });
    lab.store.applyChanges(new Map([[v.dir, { root: v.root, parts: new Set(['all'] as const) }]]));
  }
  return { ok: true };
}

export const deleteRunCommand: LabCommand = { id: 'gpaco.deleteRun', run: deleteRun };
