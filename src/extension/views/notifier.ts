// A notification when a run completes or fails while the window watches it, with
// "Open Dashboard" / "Show Log". Runs that were already finished at start-up stay quiet.
import * as vscode from 'vscode';
import type { DisplayStatus } from '../../core/contract';
import { LaunchError } from '../launch/launcher';
import { percent, runLabel } from '../model/presentation';
import type { RunView } from '../model/runView';
import type { RunStore } from '../watch/runStore';

export interface NotificationRecord {
  level: 'info' | 'warning' | 'error';
  message: string;
  actions: string[];
  dir?: string;
}

const LIVE: ReadonlySet<DisplayStatus> = new Set(['queued', 'running']);

export class Notifier implements vscode.Disposable {
  private readonly last = new Map<string, DisplayStatus>();
  private readonly subscription: { dispose(): void };
  /** Every notification shown (tests read it; capped). */
  readonly shown: NotificationRecord[] = [];

  constructor(store: RunStore) {
    for (const v of store.views()) this.last.set(v.dir, v.status);
    this.subscription = store.onDidChange((c) => {
      for (const v of c.changed) this.observe(v);
      for (const dir of c.removed) this.last.delete(dir);
    });
  }

  private observe(v: RunView): void {
    const before = this.last.get(v.dir);
    this.last.set(v.dir, v.status);
    if (before === undefined || !LIVE.has(before) || before === v.status) return;
    const name = runLabel(v);
    if (v.status === 'completed') {
      const e = v.latestEval;
      const figures = e ? `: top-1 ${percent(e.top1)} · many ${percent(e.many)} · medium ${percent(e.medium)} · few ${percent(e.few)}` : '';
      this.show('info', `GPaCo run "${name}" completed${figures}.`, ['Open Dashboard', 'Show Log'], v.dir);
    } else if (v.status === 'failed') {
      this.show(
        'error',
        `GPaCo run "${name}" failed: ${v.manifest?.error?.message ?? 'see its log'}`,
        ['Show Log', 'Open Dashboard'],
        v.dir,
      );
    }
  }

  show(level: NotificationRecord['level'], message: string, actions: string[], dir?: string): Thenable<string | undefined> {
    this.shown.push({ level, message, actions, dir });
    if (this.shown.length > 200) this.shown.splice(0, this.shown.length - 200);
    const fn =
      level === 'info'
        ? vscode.window.showInformationMessage
        : level === 'warning'
          ? vscode.window.showWarningMessage
          : vscode.window.showErrorMessage;
    const p = fn(message, ...actions);
    void p.then((choice) => {
      if (!dir || !choice) return;
      if (choice === 'Open Dashboard') void vscode.commands.executeCommand('gpaco.openDashboard', dir);
      else if (choice === 'Show Log') void vscode.commands.executeCommand('gpaco.showLog', dir);
    });
    return p;
  }

  /** An error from launching a run, with its fix (e.g. "Open Setting") as the action. */
  showLaunchError(error: Error): Thenable<void> {
    const fix = error instanceof LaunchError ? error.fix : undefined;
    return this.show('error', error.message, fix ? [fix.label] : []).then((choice) => {
      if (choice && fix?.setting) void vscode.commands.executeCommand('workbench.action.openSettings', fix.setting);
    });
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
