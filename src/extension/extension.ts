// GPaCo Lab's extension entry point. activate() only wires objects together: the first scan of
// the runs directories and the chokidar watchers start right after it returns, and TypeBox /
// config validation load on first use (TensorFlow.js never loads here: only the trainer process
// uses it). Every resource is owned by `context.subscriptions`.
import { activationTimes, bundleStart } from './activationClock';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GpacoApi } from './api';
import { runRefsFromArgs, optionsFromArgs } from './commands/commandArgs';
import { runEvaluation } from './commands/evaluate';
import { newRun, type NewRunOptions, type NewRunResult } from './commands/newRun';
import { createDashboards, MAX_COMPARED_RUNS } from './dashboard';
import { LaunchError } from './launch/launcher';
import { LocalLauncher } from './launch/localLauncher';
import { newSweep, type NewSweepOptions, type NewSweepResult } from './commands/newSweep';
import { isSlurmRun, readSlurmSettings, SlurmLauncher } from './launch/slurmLauncher';
import { Scheduler } from './launch/scheduler';
import { canResume, isActive, type RunView } from './model/runView';
import { RunStore } from './watch/runStore';
import { RunsWatcher } from './watch/runsWatcher';
import { maxConcurrentRuns, nativeModulesPath, nodePath, runsRoots, SECTION } from './settings';
import { Notifier } from './views/notifier';
import { itemInfo, RunsTreeProvider, type TreeNode } from './views/runsTree';
import { RunsStatusBar } from './views/statusBar';

export type { GpacoApi } from './api';

// Every imported module has been evaluated by the time this line runs.
const bundleEvaluated = performance.now();

const RESTRICTED_MESSAGE =
  'Restricted Mode: runs are shown read-only. Launching, resuming, evaluating or deleting runs is disabled because it would run code (the trainer, with the configured Node and native modules) for a workspace you have not trusted.';

export type CommandResult = { ok: true; detail?: string } | { ok: false; reason: string; message: string };

export function activate(context: vscode.ExtensionContext): GpacoApi {
  activationTimes.activateStart = performance.now();
  const output = vscode.window.createOutputChannel('GPaCo Lab');
  const store = new RunStore();
  const pollIntervalMs = () => Math.max(0, vscode.workspace.getConfiguration(SECTION).get<number>('pollIntervalMs', 0) || 0);
  const watcher = new RunsWatcher(store, { pollIntervalMs: pollIntervalMs() });
  const launcher = new LocalLauncher(context.asAbsolutePath(path.join('dist', 'trainer.js')), () => ({
    nodePath: nodePath(),
    nativeModulesPath: nativeModulesPath(),
  }));
  const scheduler = new Scheduler(store, launcher, context.workspaceState, maxConcurrentRuns);
  // Slurm runs (launch.kind "slurm", issue 8) bypass the local queue: the cluster schedules them.
  const slurm = new SlurmLauncher(context.asAbsolutePath(path.join('dist', 'trainer.js')), readSlurmSettings, nodePath);
  const launcherFor = (v: RunView) => (isSlurmRun(v) ? slurm : launcher);
  store.setStatusOverlay((dir, m, base) => (m.launch?.kind === 'slurm' ? slurm.displayStatus(dir, m, base) : base));
  context.subscriptions.push(
    slurm,
    slurm.onDidChangeJobs((dirs) => dirs.forEach((d) => store.reload(d))),
    store.onDidChange((c) => slurm.notice(c.changed)),
  );
  const tree = new RunsTreeProvider(store);
  const view = vscode.window.createTreeView('gpaco.runs', { treeDataProvider: tree, canSelectMany: true, showCollapseAll: true });
  const statusBar = new RunsStatusBar(store);
  const notifier = new Notifier(store);
  const stopTimers = new Set<ReturnType<typeof setTimeout>>();
  context.subscriptions.push(output, { dispose: () => store.dispose() }, { dispose: () => watcher.dispose() }, launcher, { dispose: () => scheduler.dispose() }, tree, view, statusBar, notifier, {
    dispose: () => stopTimers.forEach((t) => clearTimeout(t)),
  });

  const setTrustState = () => {
    view.message = vscode.workspace.isTrusted ? undefined : RESTRICTED_MESSAGE;
  };
  setTrustState();
  context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(setTrustState));

  // A run leaving `running` frees a slot; a launched trainer's exit is checked at once.
  context.subscriptions.push(
    store.onDidChange((c) => {
      if (c.changed.some((v) => v.status !== 'running') || c.removed.length) void scheduler.pump();
    }),
    launcher.onDidExit((e) => {
      store.reload(e.target.dir);
      void scheduler.pump();
    }),
    scheduler.onDidFailToLaunch(({ dir, error }) => {
      output.appendLine(`[launch] ${dir}: ${error.message}`);
      const fix = error instanceof LaunchError ? error.fix : undefined;
      void notifier.show('error', error.message, fix ? [fix.label] : [], undefined).then((choice) => {
        if (choice && fix?.setting) void vscode.commands.executeCommand('workbench.action.openSettings', fix.setting);
      });
    }),
  );

  const applyRoots = () => watcher.setRoots(runsRoots().map((r) => r.root));
  context.subscriptions.push(
    vscode.workspace.onDidChangeWorkspaceFolders(applyRoots),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.runsDirectory`)) applyRoots();
      if (e.affectsConfiguration(`${SECTION}.maxConcurrentRuns`)) void scheduler.pump();
      if (e.affectsConfiguration(`${SECTION}.slurm`) || e.affectsConfiguration(`${SECTION}.pollIntervalMs`)) slurm.refreshSettings();
      if (e.affectsConfiguration(`${SECTION}.pollIntervalMs`)) watcher.setPollInterval(pollIntervalMs());
    }),
  );

  // ---- helpers -----------------------------------------------------------------------------
  const resolveRuns = (args: unknown[]): RunView[] => runRefsFromArgs(args).map((r) => store.find(r)).filter((v): v is RunView => v !== undefined);

  const pickRuns = async (args: unknown[], title: string, filter: (v: RunView) => boolean, many = false): Promise<RunView[]> => {
    const given = resolveRuns(args);
    if (given.length || runRefsFromArgs(args).length) return given;
    const candidates = store.views().filter(filter);
    if (!candidates.length) {
      void vscode.window.showInformationMessage(`GPaCo Lab: no run to ${title.toLowerCase()}.`);
      return [];
    }
    const items = candidates.map((v) => ({ label: v.manifest?.name ?? v.id, description: `${v.status} · ${v.id}`, view: v }));
    const picked = many
      ? await vscode.window.showQuickPick(items, { title, canPickMany: true })
      : await vscode.window.showQuickPick(items, { title }).then((p) => (p ? [p] : undefined));
    return (picked ?? []).map((p) => p.view);
  };

  const requireTrust = (what: string): { ok: false; reason: string; message: string } | undefined => {
    if (vscode.workspace.isTrusted) return undefined;
    const message = `GPaCo Lab cannot ${what} in Restricted Mode: it would run code (the trainer, with the configured Node and native modules) for a workspace you have not trusted. Runs can still be viewed.`;
    void notifier.show('warning', message, ['Manage Workspace Trust']).then((c) => {
      if (c) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return { ok: false, reason: 'untrusted', message };
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

  const register = (id: string, fn: (...args: unknown[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));

  // Dashboard panels (src/extension/dashboard): they follow the store's change notifications
  // and come back after a window reload through their serializers.
  const dashboards = createDashboards(context, {
    findRun: (ref) => {
      const v = store.find(ref);
      return v ? { id: v.id, dir: v.dir } : undefined;
    },
    runsRoots: () => runsRoots().map((r) => r.root),
    onRunsChanged: (listener) => {
      const sub = store.onDidChange((c) => listener(c.changed.map((v) => v.dir)));
      return { dispose: () => sub.dispose() };
    },
    log: (line) => output.appendLine(line),
  });

  // ---- commands ----------------------------------------------------------------------------
  /** Local runs wait in the queue; Slurm runs are submitted at once (a refusal is shown). */
  const startRun = async (dir: string, mode: 'start' | 'resume'): Promise<void> => {
    const v = store.get(dir) ?? store.reload(dir);
    if (!v || !isSlurmRun(v)) return scheduler.request(dir, mode);
    try {
      await slurm.start({ dir: v.dir, id: v.id }, mode);
    } catch (err) {
      const error = err as Error;
      output.appendLine(`[slurm] ${dir}: ${error.message}`);
      const fix = error instanceof LaunchError ? error.fix : undefined;
      void notifier.show('error', error.message, fix ? [fix.label] : [], undefined).then((choice) => {
        if (choice && fix?.setting) void vscode.commands.executeCommand('workbench.action.openSettings', fix.setting);
      });
    }
    store.reload(dir);
  };

  const doNewRun = async (opts: NewRunOptions, interactive: boolean): Promise<NewRunResult> => {
    const blocked = requireTrust('start a run');
    if (blocked && !blocked.ok) return { ok: false, reason: 'untrusted', errors: [blocked.message] };
    const result = await newRun(opts, interactive, {
      showErrors,
      launch: async (root, config, name, start) => {
        const { createRunDirectory } = await import('../core/runDirectory');
        const created = createRunDirectory(root, { config, name, launch: config.launch.kind === 'slurm' ? { kind: 'slurm', jobId: null } : { kind: 'local' } });
        watcher.rootCreated(root);
        store.reload(created.dir);
        output.appendLine(`[new run] ${created.dir}`);
        if (start) await startRun(created.dir, 'start');
        return created;
      },
    });
    if (result.ok && interactive) void vscode.commands.executeCommand('gpaco.runs.focus');
    return result;
  };

  register('gpaco.newRun', (...args) => {
    const opts = optionsFromArgs<NewRunOptions>(args);
    return doNewRun(opts, args.length === 0 || Object.keys(opts).length === 0);
  });

  register('gpaco.startRun', async (...args): Promise<CommandResult | NewRunResult> => {
    // From the editor title of a config file: a new run from that file.
    if (args[0] instanceof vscode.Uri) return doNewRun({ configPath: args[0].fsPath }, true);
    const blocked = requireTrust('start a run');
    if (blocked) return blocked;
    const runs = await pickRuns(args, 'Start Run', (v) => v.status === 'queued' && v.pending === null);
    for (const v of runs) await startRun(v.dir, 'start');
    return runs.length ? { ok: true } : { ok: false, reason: 'no-run', message: 'no queued run given' };
  });

  register('gpaco.stopRun', async (...args): Promise<CommandResult> => {
    const opts = optionsFromArgs<{ force?: boolean; graceMs?: number }>(args);
    const runs = await pickRuns(args, 'Stop Run', (v) => v.status === 'running' || v.pending !== null || v.status === 'queued');
    for (const v of runs) {
      if (v.pending !== null || (v.status === 'queued' && !launcherFor(v).isAlive(v))) {
        await scheduler.cancel(v.dir);
        if (v.status === 'queued') {
          const { updateRunManifest } = await import('../core/runDirectory');
          updateRunManifest(v.dir, { status: 'stopped', endedAt: new Date().toISOString() });
        }
        store.reload(v.dir);
        continue;
      }
      try {
        await launcherFor(v).stop(v, { force: opts.force === true });
      } catch (err) {
        void notifier.show('error', (err as Error).message, []);
        continue;
      }
      if (opts.force) continue;
      // SIGINT lets the trainer finish its step and checkpoint; offer a force-stop if it hangs.
      const graceMs = typeof opts.graceMs === 'number' ? opts.graceMs : 30_000;
      const timer = setTimeout(() => {
        stopTimers.delete(timer);
        if (!launcherFor(v).isAlive(v)) return;
        void notifier.show('warning', `Run "${v.manifest?.name ?? v.id}" has not stopped ${Math.round(graceMs / 1000)} s after being asked to.`, ['Force Stop', 'Show Log'], undefined).then((c) => {
          if (c === 'Force Stop') void launcherFor(v).stop(v, { force: true });
          else if (c === 'Show Log') void vscode.commands.executeCommand('gpaco.showLog', v.dir);
        });
      }, graceMs);
      stopTimers.add(timer);
    }
    return runs.length ? { ok: true } : { ok: false, reason: 'no-run', message: 'no running run given' };
  });

  register('gpaco.resumeRun', async (...args): Promise<CommandResult> => {
    const blocked = requireTrust('resume a run');
    if (blocked) return blocked;
    const runs = await pickRuns(args, 'Resume Run', canResume);
    for (const v of runs) {
      if (!canResume(v)) {
        const message = `Run "${v.manifest?.name ?? v.id}" cannot be resumed: it is ${v.status}${v.checkpoints.length ? '' : ' and has no checkpoint'}.`;
        void notifier.show('warning', message, []);
        return { ok: false, reason: 'not-resumable', message };
      }
      await startRun(v.dir, 'resume');
    }
    return runs.length ? { ok: true } : { ok: false, reason: 'no-run', message: 'no resumable run given' };
  });

  register('gpaco.openDashboard', async (...args): Promise<CommandResult> => {
    const [v] = await pickRuns(args, 'Open Dashboard', (x) => x.status !== 'unreadable');
    if (!v) return { ok: false, reason: 'no-run', message: 'no run given' };
    return (await dashboards.openDashboard(v.dir)) ? { ok: true, detail: 'dashboard' } : { ok: false, reason: 'no-run', message: `run ${v.id} not found` };
  });

  register('gpaco.compareRuns', async (...args): Promise<CommandResult> => {
    const runs = await pickRuns(args, 'Compare Runs', (x) => x.status !== 'unreadable', true);
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
    return (await dashboards.compareRuns(runs.map((r) => r.dir))) ? { ok: true, detail: 'compare' } : { ok: false, reason: 'no-run', message: 'runs not found' };
  });

  register('gpaco.evaluateCheckpoint', async (...args): Promise<CommandResult> => {
    const blocked = requireTrust('evaluate a checkpoint');
    if (blocked) return blocked;
    const ckptArg = args.find((a): a is TreeNode => typeof a === 'object' && a !== null && (a as TreeNode).kind === 'checkpoint') as
      | { kind: 'checkpoint'; dir: string; tag: string }
      | undefined;
    const opts = optionsFromArgs<{ tag?: string }>(args.filter((a) => a !== ckptArg));
    const [v] = ckptArg ? [store.get(ckptArg.dir)].filter((x): x is RunView => !!x) : await pickRuns(args, 'Evaluate Checkpoint', (x) => x.checkpoints.length > 0);
    if (!v) return { ok: false, reason: 'no-run', message: 'no run given' };
    let tag = ckptArg?.tag ?? opts.tag ?? (typeof args[1] === 'string' ? args[1] : undefined);
    if (!tag) {
      const pick = await vscode.window.showQuickPick(
        [...v.checkpoints].reverse().map((c) => ({ label: c.tag, description: `epoch ${c.epoch}` })),
        { title: `Evaluate a checkpoint of ${v.manifest?.name ?? v.id}` },
      );
      if (!pick) return { ok: false, reason: 'cancelled', message: 'cancelled' };
      tag = pick.label;
    }
    if (!v.checkpoints.some((c) => c.tag === tag)) return { ok: false, reason: 'no-checkpoint', message: `run ${v.id} has no complete checkpoint ${tag}` };
    let node: string;
    try {
      node = await launcher.preflight();
    } catch (err) {
      const e = err as LaunchError;
      void notifier.show('error', e.message, e.fix ? [e.fix.label] : []).then((c) => {
        if (c && e.fix?.setting) void vscode.commands.executeCommand('workbench.action.openSettings', e.fix.setting);
      });
      return { ok: false, reason: 'node', message: e.message };
    }
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.ELECTRON_RUN_AS_NODE;
    if (nativeModulesPath()) env.GPACO_NATIVE_MODULES = nativeModulesPath();
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Evaluating ${v.manifest?.name ?? v.id} at ${tag}`, cancellable: true },
      (_progress, token) => runEvaluation(node, launcher.trainer, v.dir, tag, env, token),
    );
    store.reload(v.dir);
    if (outcome.code === 0) {
      void notifier.show('info', `Evaluated ${v.manifest?.name ?? v.id} at ${tag}: evals/${tag}.json written.`, ['Open Dashboard'], v.dir);
      return { ok: true, detail: `evals/${tag}.json` };
    }
    const message = `Evaluating ${tag} of ${v.manifest?.name ?? v.id} failed (${outcome.signal ?? `exit code ${outcome.code}`}).`;
    void notifier.show('error', message, ['Show Log'], v.dir);
    return { ok: false, reason: 'eval-failed', message };
  });

  register('gpaco.deleteRun', async (...args): Promise<CommandResult> => {
    const blocked = requireTrust('delete a run');
    if (blocked) return blocked;
    const opts = optionsFromArgs<{ confirm?: boolean }>(args);
    const runs = await pickRuns(args, 'Delete Run', (x) => !isActive(x), true);
    if (!runs.length) return { ok: false, reason: 'no-run', message: 'no run given' };
    // A trainer that has written its final status may still be exiting: only a running run (or a
    // queued one whose trainer is starting) is refused.
    const busy = runs.filter((v) => isActive(v) || (v.status === 'queued' && launcherFor(v).isAlive(v)));
    if (busy.length) {
      const message = `Run "${busy[0]!.manifest?.name ?? busy[0]!.id}" is running: stop it before deleting it.`;
      void notifier.show('warning', message, ['Stop Run'], undefined).then((c) => {
        if (c) void vscode.commands.executeCommand('gpaco.stopRun', busy[0]!.dir);
      });
      return { ok: false, reason: 'running', message };
    }
    if (opts.confirm !== false) {
      const names = runs.map((v) => v.manifest?.name ?? v.id).join(', ');
      const ok = await vscode.window.showWarningMessage(`Delete ${runs.length === 1 ? 'run' : `${runs.length} runs`} ${names}? Its folder, checkpoints and logs are removed.`, { modal: true }, 'Delete');
      if (ok !== 'Delete') return { ok: false, reason: 'cancelled', message: 'cancelled' };
    }
    for (const v of runs) {
      await scheduler.cancel(v.dir);
      fs.rmSync(v.dir, { recursive: true, force: true });
      store.applyChanges(new Map([[v.dir, { root: v.root, parts: new Set(['all'] as const) }]]));
    }
    return { ok: true };
  });

  register('gpaco.showLog', async (...args): Promise<CommandResult> => {
    const [v] = await pickRuns(args, 'Show Log', () => true);
    if (!v) return { ok: false, reason: 'no-run', message: 'no run given' };
    const file = path.join(v.dir, 'trainer.log');
    if (!fs.existsSync(file)) fs.writeFileSync(file, '', { flag: 'a' });
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
    const last = editor.document.lineCount - 1;
    editor.revealRange(new vscode.Range(last, 0, last, 0), vscode.TextEditorRevealType.Default);
    return { ok: true, detail: file };
  });

  register('gpaco.newSweep', async (...args): Promise<NewSweepResult> => {
    const blocked = requireTrust('start a sweep');
    if (blocked) return { ok: false, reason: 'cancelled', errors: [blocked.message] };
    const opts = optionsFromArgs<NewSweepOptions>(args);
    return newSweep(opts, Object.keys(opts).length === 0, {
      created: (root, dirs) => {
        watcher.rootCreated(root);
        for (const d of dirs) store.reload(d);
      },
      queueLocal: (dir) => scheduler.request(dir, 'start'),
      submitArray: (dirs, sweepDir, name) => slurm.startArray(dirs, sweepDir, name),
      showErrors,
      compare: (runIds) => vscode.commands.executeCommand('gpaco.compareRuns', { runIds }),
      maxCompared: MAX_COMPARED_RUNS,
    });
  });

  register('gpaco.refresh', () => {
    applyRoots();
    return { ok: true };
  });

  // ---- start -------------------------------------------------------------------------------
  // The first scan and the watchers start after activate() returns (activation stays light).
  const startTimer = setTimeout(() => {
    applyRoots();
    void scheduler.pump();
  }, 0);
  context.subscriptions.push({ dispose: () => clearTimeout(startTimer) });

  activationTimes.activateEnd = performance.now();
  const activationMs = activationTimes.activateEnd - bundleStart;
  const findItem = (ref: string) => {
    const v = store.find(ref);
    return v ? itemInfo(tree.getTreeItem(tree.nodeFor(v.dir))) : undefined;
  };
  return {
    activationMs,
    activationBreakdown: {
      moduleEvaluationMs: bundleEvaluated - bundleStart,
      hostGapMs: activationTimes.activateStart - bundleEvaluated,
      activateMs: activationTimes.activateEnd - activationTimes.activateStart,
    },
    roots: () => runsRoots().map((r) => r.root),
    runs: () => store.views(),
    treeItem: findItem,
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
    setTrainerScript: (f) => launcher.setTrainerScript(f),
    trainerScript: () => launcher.trainer,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions; trainers keep running on purpose.
}

