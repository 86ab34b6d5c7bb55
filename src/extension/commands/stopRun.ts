// gpaco.stopRun: a queued run leaves the queue (stopped); a running one gets SIGINT (it finishes
// its step and checkpoints), with a force-stop offered if it has not stopped after a grace time.
// Only a process the launcher knows to be this run's trainer is signalled (SECURITY.md).
import * as vscode from 'vscode';
import type { Lab } from '../lab';
import { runLabel } from '../model/presentation';
import type { CommandResult, LabCommand } from './command';
import { optionsFromArgs } from './commandArgs';
import { pickRuns } from './runPicker';

async function stopRun(lab: Lab, ...args: unknown[]): Promise<CommandResult> {
  const { scheduler, store, notifier } = lab;
  const opts = optionsFromArgs<{ force?: boolean; graceMs?: number }>(args);
  const runs = await pickRuns(lab, args, 'Stop Run', (v) => v.status === 'running' || v.pending !== null || v.status === 'queued');
  for (const v of runs) {
    const owner = lab.launcherFor(v);
    if (v.pending !== null || (v.status === 'queued' && !owner.isAlive(v))) {
      await scheduler.cancel(v.dir);
      // Restricted Mode: leaving this window's queue is all; nothing in the workspace is written.
      if (v.status === 'queued' && vscode.workspace.isTrusted) {
        const { updateRunManifest } = await import('../../core/runDirectory');
        updateRunManifest(v.dir, { status: 'stopped', endedAt: new Date().toISOString() });
      }
      store.reload(v.dir);
      continue;
    }
    try {
      await owner.stop(v, { force: opts.force === true });
    } catch (err) {
      void notifier.show('error', (err as Error).message, []);
      continue;
    }
    if (opts.force) continue;
    const graceMs = typeof opts.graceMs === 'number' ? opts.graceMs : 30_000;
    lab.later(graceMs, () => {
      if (!owner.isAlive(v)) return;
      void notifier
        .show('warning', `Run "${runLabel(v)}" has not stopped ${Math.round(graceMs / 1000)} s after being asked to.`, [
          'Force Stop',
          'Show Log',
        ])
        .then((c) => {
          if (c === 'Force Stop') void owner.stop(v, { force: true });
          else if (c === 'Show Log') void vscode.commands.executeCommand('gpaco.showLog', v.dir);
        });
    });
  }
  return runs.length ? { ok: true } : { ok: false, reason: 'no-run', message: 'no running run given' };
}

export const stopRunCommand: LabCommand = { id: 'gpaco.stopRun', run: stopRun };
