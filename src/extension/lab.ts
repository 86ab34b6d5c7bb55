// What activate() builds and every command uses: the run store and its watcher, the launchers and
// the launch queue, the views, the dashboards, and the few helpers commands share (showing a list
// of problems, starting a run locally or on Slurm, timers that end with the extension). Every
// object made here is owned by `context.subscriptions`.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { createDashboards, type Dashboards } from './dashboard';
import { Experiments } from './experiments';
import type { Launcher, LaunchMode } from './launch/launcher';
import { LocalLauncher } from './launch/localLauncher';
import { Scheduler } from './launch/scheduler';
import { isSlurmRun, readSlurmSettings, SlurmLauncher } from './launch/slurmLauncher';
import type { RunView } from './model/runView';
import { maxConcurrentRuns, nativeModulesPath, nodePath, runsRoots, SECTION } from './settings';
import { Notifier } from './views/notifier';
import { RunsTreeProvider, type TreeNode } from './views/runsTree';
import { RunsStatusBar } from './views/statusBar';
import { RunStore } from './watch/runStore';
import { RunsWatcher } from './watch/runsWatcher';

export const RESTRICTED_MESSAGE =
  'Restricted Mode: runs are shown read-only. Launching, resuming, evaluating or deleting runs is disabled because it would run code (the trainer, with the configured Node and native modules) for a workspace you have not trusted.';

export interface Lab {
  readonly context: vscode.ExtensionContext;
  readonly output: vscode.OutputChannel;
  readonly store: RunStore;
  readonly watcher: RunsWatcher;
  readonly launcher: LocalLauncher;
  readonly slurm: SlurmLauncher;
  readonly scheduler: Scheduler;
  readonly notifier: Notifier;
  readonly tree: RunsTreeProvider;
  readonly view: vscode.TreeView<TreeNode>;
  readonly statusBar: RunsStatusBar;
  readonly dashboards: Dashboards;
  /** The Experiments panel (every run of every runs folder in one table). */
  readonly experiments: Experiments;
  /** The launcher that owns a run (Slurm runs bypass the local queue). */
  launcherFor(v: RunView): Launcher;
  /** Local runs wait in the queue; Slurm runs are submitted at once (a refusal is shown). */
  startRun(dir: string, mode: LaunchMode): Promise<void>;
  /** Problems in a notification (the first three) and all of them in the output channel. */
  showErrors(title: string, errors: string[], file?: string): void;
  /** A timer cleared when the extension is disposed. */
  later(ms: number, fn: () => void): void;
  /** Points the watcher at the runs directories of the current settings. */
  applyRoots(): void;
}

export function createLab(context: vscode.ExtensionContext): Lab {
  const output = vscode.window.createOutputChannel('GPaCo Lab');
  const store = new RunStore();
  const pollIntervalMs = () => Math.max(0, vscode.workspace.getConfiguration(SECTION).get<number>('pollIntervalMs', 0) || 0);
  const watcher = new RunsWatcher(store, { pollIntervalMs: pollIntervalMs() });
  const trainer = context.asAbsolutePath(path.join('dist', 'trainer.js'));
  const launcher = new LocalLauncher(trainer, () => ({ nodePath: nodePath(), nativeModulesPath: nativeModulesPath() }));
  const scheduler = new Scheduler(store, launcher, context.workspaceState, maxConcurrentRuns);
  const slurm = new SlurmLauncher(trainer, readSlurmSettings, nodePath);
  store.setStatusOverlay((dir, m, base) => (m.launch?.kind === 'slurm' ? slurm.displayStatus(dir, m, base) : base));
  const tree = new RunsTreeProvider(store);
  const view = vscode.window.createTreeView('gpaco.runs', { treeDataProvider: tree, canSelectMany: true, showCollapseAll: true });
  const statusBar = new RunsStatusBar(store);
  const notifier = new Notifier(store);
  const timers = new Set<ReturnType<typeof setTimeout>>();
  context.subscriptions.push(
    output,
    { dispose: () => store.dispose() },
    { dispose: () => watcher.dispose() },
    launcher,
    { dispose: () => scheduler.dispose() },
    slurm,
    tree,
    view,
    statusBar,
    notifier,
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  );

  // Dashboard panels follow the store's change notifications and come back after a window
  // reload through their serializers.
  const dashboards = createDashboards(context, {
    findRun: (ref) => {
      const v = store.find(ref);
      return v ? { id: v.id, dir: v.dir } : undefined;
    },
    runsRoots: () => runsRoots().map((r) => r.root),
    onRunsChanged: (listener) => store.onDidChange((c) => listener(c.changed.map((v) => v.dir))),
    log: (line) => output.appendLine(line),
  });

  // The Experiments table's summaries are invalidated run by run from the same notifications.
  const experiments = new Experiments(context, {
    runDirs: () => store.views().map((v) => v.dir),
    onRunsChanged: (listener) => store.onDidChange((c) => listener([...c.changed.map((v) => v.dir), ...c.removed])),
    actions: {
      compare: async (targets, band) => {
        await dashboards.compareTargets(targets, band);
      },
      editTags: async (dirs) => {
        await vscode.commands.executeCommand('gpaco.editTags', dirs);
      },
      editNote: async (dir) => {
        await vscode.commands.executeCommand('gpaco.editNote', dir);
      },
      open: async (dir) => {
        await vscode.commands.executeCommand('gpaco.openDashboard', dir);
      },
    },
    log: (line) => output.appendLine(line),
  });
  context.subscriptions.push(experiments);

  const applyRoots = () => watcher.setRoots(runsRoots().map((r) => r.root));
  const setTrustState = () => {
    view.message = vscode.workspace.isTrusted ? undefined : RESTRICTED_MESSAGE;
  };
  setTrustState();

  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(setTrustState),
    slurm.onDidChangeJobs((dirs) => dirs.forEach((d) => store.reload(d))),
    store.onDidChange((c) => slurm.notice(c.changed)),
    // A run leaving `running` frees a slot; a launched trainer's exit is checked at once.
    store.onDidChange((c) => {
      if (c.changed.some((v) => v.status !== 'running') || c.removed.length) void scheduler.pump();
    }),
    launcher.onDidExit((e) => {
      store.reload(e.target.dir);
      void scheduler.pump();
    }),
    scheduler.onDidFailToLaunch(({ dir, error }) => {
      output.appendLine(`[launch] ${dir}: ${error.message}`);
      void notifier.showLaunchError(error);
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(applyRoots),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.runsDirectory`)) applyRoots();
      if (e.affectsConfiguration(`${SECTION}.maxConcurrentRuns`)) void scheduler.pump();
      if (e.affectsConfiguration(`${SECTION}.slurm`) || e.affectsConfiguration(`${SECTION}.pollIntervalMs`)) slurm.refreshSettings();
      if (e.affectsConfiguration(`${SECTION}.pollIntervalMs`)) watcher.setPollInterval(pollIntervalMs());
    }),
  );

  const launcherFor = (v: RunView): Launcher => (isSlurmRun(v) ? slurm : launcher);

  const startRun = async (dir: string, mode: LaunchMode): Promise<void> => {
    const v = store.get(dir) ?? store.reload(dir);
    if (!v || !isSlurmRun(v)) return scheduler.request(dir, mode);
    try {
      await slurm.start({ dir: v.dir, id: v.id }, mode);
    } catch (err) {
      const error = err as Error;
      output.appendLine(`[slurm] ${dir}: ${error.message}`);
      void notifier.showLaunchError(error);
    }
    store.reload(dir);
  };

  const showErrors = (title: string, errors: string[], file?: string) => {
    output.appendLine(`[${title}]`);
    for (const e of errors) output.appendLine(`  ${e}`);
    const first = errors.slice(0, 3).join('; ');
    const more = errors.length > 3 ? ` (+${errors.length - 3} more in the GPaCo Lab output)` : '';
    void notifier.show('error', `${title}: ${first}${more}`, file ? ['Open Config', 'Show Output'] : ['Show Output']).then((c) => {
      if (c === 'Open Config' && file) void vscode.window.showTextDocument(vscode.Uri.file(file));
      else if (c === 'Show Output') output.show();
    });
  };

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  return {
    context,
    output,
    store,
    watcher,
    launcher,
    slurm,
    scheduler,
    notifier,
    tree,
    view,
    statusBar,
    dashboards,
    experiments,
    launcherFor,
    startRun,
    showErrors,
    later,
    applyRoots,
  };
}
