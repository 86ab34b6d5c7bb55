// GPaCo Lab's extension entry point. activate() only wires: it builds the shared objects
// (lab.ts), registers each command of commands/ (one module per command), and schedules the first
// scan of the runs directories for right after it returns. TypeBox / config validation load on
// first use (TensorFlow.js never loads here: only the trainer process uses it). Every resource is
// owned by `context.subscriptions`.
import { activationTimes, bundleStart } from './activationClock';
import * as vscode from 'vscode';
import type { GpacoApi } from './api';
import { COMMANDS } from './commands';
import { createLab, type Lab } from './lab';
import { runsRoots } from './settings';
import { itemInfo } from './views/runsTree';

export type { GpacoApi } from './api';
export type { CommandResult } from './commands/command';

// Every imported module has been evaluated by the time this line runs.
const bundleEvaluated = performance.now();

export function activate(context: vscode.ExtensionContext): GpacoApi {
  activationTimes.activateStart = performance.now();
  const lab = createLab(context);
  for (const c of COMMANDS) context.subscriptions.push(vscode.commands.registerCommand(c.id, (...args: unknown[]) => c.run(lab, ...args)));

  // The first scan and the watchers start after activate() returns (activation stays light).
  const startTimer = setTimeout(() => {
    lab.applyRoots();
    void lab.scheduler.pump();
  }, 0);
  context.subscriptions.push({ dispose: () => clearTimeout(startTimer) });

  activationTimes.activateEnd = performance.now();
  return apiOf(lab, activationTimes.activateEnd - bundleStart);
}

function apiOf(lab: Lab, activationMs: number): GpacoApi {
  const { store, tree, notifier, watcher, view, statusBar, launcher } = lab;
  return {
    activationMs,
    activationBreakdown: {
      moduleEvaluationMs: bundleEvaluated - bundleStart,
      hostGapMs: activationTimes.activateStart - bundleEvaluated,
      activateMs: activationTimes.activateEnd - activationTimes.activateStart,
    },
    roots: () => runsRoots().map((r) => r.root),
    runs: () => store.views(),
    treeItem: (ref) => {
      const v = store.find(ref);
      return v ? itemInfo(tree.getTreeItem(tree.nodeFor(v.dir))) : undefined;
    },
    treeRoots: () => tree.getChildren().map((n) => itemInfo(tree.getTreeItem(n))),
    treeChildren: (ref) => {
      const v = store.find(ref);
      return v ? tree.getChildren(tree.nodeFor(v.dir)).map((n) => itemInfo(tree.getTreeItem(n))) : [];
    },
    onDidUpdate: (l) => tree.onDidUpdate(l),
    statusBar: () => statusBar.snapshot(),
    notifications: () => [...notifier.shown],
    watchedRoots: () => watcher.watchedRoots,
    viewMessage: () => view.message ?? '',
    dashboardSnapshot: (ref) => {
      const v = store.find(ref);
      const posted = v ? lab.dashboards.runPanel(v.dir)?.lastPosted : undefined;
      return posted ? { snapshot: posted.snapshot, postedAt: posted.at } : undefined;
    },
    setTrainerScript: (f) => launcher.setTrainerScript(f),
    trainerScript: () => launcher.trainer,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions; trainers keep running on purpose.
}
