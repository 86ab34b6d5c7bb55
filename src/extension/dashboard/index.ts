// The dashboard's entry for the extension: `createDashboards` returns what gpaco.openDashboard
// and gpaco.compareRuns call, registers the serializers that bring panels back after a window
// reload, and routes the watcher's change notifications to the panels showing those runs.
// Activation stays light: the panels, the snapshot builder and the message validators
// (TypeBox) load on the first panel (`import('./panels')`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RUN_FILES } from '../../core/contract';
import type * as PanelsModule from './panels';
import type { ComparePanel, DashboardPanel, GroupRef, RunRef } from './panels';

export type { ComparePanel, DashboardPanel, RunRef } from './panels';

/** What the Experiments table asks to compare: runs, and groups drawn as one band each. */
export type CompareTarget = { kind: 'run'; dir: string; id: string } | { kind: 'group'; label: string; members: RunRef[] };

/** View types of the two panels (also in package.json's onWebviewPanel activation events). */
export const RUN_VIEW_TYPE = 'gpaco.dashboard';
export const COMPARE_VIEW_TYPE = 'gpaco.compare';

export interface DashboardDeps {
  /** A run the editor knows, by id or folder. */
  findRun(ref: string): RunRef | undefined;
  /** The runs roots (to find a run again after a reload, before the first scan finished). */
  runsRoots(): string[];
  /** Fires with the folders of runs whose files changed. */
  onRunsChanged(listener: (dirs: readonly string[]) => void): vscode.Disposable;
  log(line: string): void;
}

export const MAX_COMPARED_RUNS = 8;

type Panels = typeof PanelsModule;

export class Dashboards implements vscode.Disposable {
  private readonly runPanels = new Map<string, DashboardPanel>();
  private readonly comparePanels = new Set<ComparePanel>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly deps: DashboardDeps,
  ) {
    this.disposables.push(
      deps.onRunsChanged((dirs) => {
        for (const dir of dirs) {
          this.runPanels.get(dir)?.runChanged();
          for (const c of this.comparePanels) if (c.shows(dir)) c.runChanged(dir);
        }
      }),
      vscode.window.registerWebviewPanelSerializer(RUN_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state) => this.restoreRun(panel, state),
      }),
      vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state) => this.restoreCompare(panel, state),
      }),
    );
  }

  /** Opens (or reveals) the dashboard of a run given by id or folder. */
  async openDashboard(ref: string): Promise<DashboardPanel | undefined> {
    const run = this.resolve(ref);
    if (!run) return undefined;
    const open = this.runPanels.get(run.dir);
    if (open) {
      open.reveal();
      return open;
    }
    const panels = await import('./panels');
    const panel = vscode.window.createWebviewPanel(
      RUN_VIEW_TYPE,
      `GPaCo: ${run.id}`,
      vscode.ViewColumn.Active,
      panels.webviewOptions(this.extensionUri),
    );
    return this.adoptRun(panels, panel, run, null);
  }

  /** The open dashboard of a run (by folder), if any. */
  runPanel(dir: string): DashboardPanel | undefined {
    return this.runPanels.get(dir);
  }

  /** Opens a compare panel for 2 to 8 runs (ids or folders; unknown ones are left out). */
  async compareRuns(refs: readonly string[]): Promise<ComparePanel | undefined> {
    const runs = [
      ...new Map(
        refs
          .map((r) => this.resolve(r))
          .filter((r): r is RunRef => r !== undefined)
          .map((r) => [r.dir, r]),
      ).values(),
    ];
    if (runs.length < 2 || runs.length > MAX_COMPARED_RUNS) return undefined;
    const panels = await import('./panels');
    const panel = vscode.window.createWebviewPanel(
      COMPARE_VIEW_TYPE,
      'GPaCo: compare',
      vscode.ViewColumn.Active,
      panels.webviewOptions(this.extensionUri),
    );
    return this.adoptCompare(panels, panel, runs);
  }

  /**
   * Opens a compare panel for runs and groups (no limit on their number: a group is one curve
   * with a band). At least two things to compare, or one group.
   */
  async compareTargets(targets: readonly CompareTarget[], band: 'std' | 'minmax'): Promise<ComparePanel | undefined> {
    const runs = targets
      .filter((t): t is Extract<CompareTarget, { kind: 'run' }> => t.kind === 'run')
      .map((t) => ({ id: t.id, dir: t.dir }));
    const groups = targets
      .filter((t): t is Extract<CompareTarget, { kind: 'group' }> => t.kind === 'group')
      .map((t) => ({ label: t.label, members: t.members }));
    if (runs.length + groups.length < 2 && groups.length === 0) return undefined;
    const panels = await import('./panels');
    const panel = vscode.window.createWebviewPanel(
      COMPARE_VIEW_TYPE,
      'GPaCo: compare',
      vscode.ViewColumn.Active,
      panels.webviewOptions(this.extensionUri),
    );
    return this.adoptCompare(panels, panel, runs, groups, band);
  }

  private adoptRun(panels: Panels, panel: vscode.WebviewPanel, run: RunRef, tag: string | null): DashboardPanel {
    const p = new panels.DashboardPanel(panel, run, this.panelDeps(), tag);
    this.runPanels.set(run.dir, p);
    p.onDidDispose(() => {
      if (this.runPanels.get(run.dir) === p) this.runPanels.delete(run.dir);
    });
    return p;
  }

  private adoptCompare(
    panels: Panels,
    panel: vscode.WebviewPanel,
    runs: RunRef[],
    groups: GroupRef[] = [],
    band: 'std' | 'minmax' = 'std',
  ): ComparePanel {
    const p = new panels.ComparePanel(panel, runs, this.panelDeps(), groups, band);
    this.comparePanels.add(p);
    p.onDidDispose(() => this.comparePanels.delete(p));
    return p;
  }

  private panelDeps() {
    return { extensionUri: this.extensionUri, log: (l: string) => this.deps.log(l) };
  }

  /**
   * A run by id or folder: what the editor knows, else a folder `<root>/<id>` with a run.json
   * (right after a reload the first scan may not have finished). Ids come from webview state,
   * so only plain folder names are looked up.
   */
  private resolve(ref: string): RunRef | undefined {
    const known = this.deps.findRun(ref);
    if (known) return known;
    if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(ref)) return undefined;
    for (const root of this.deps.runsRoots()) {
      const dir = path.join(root, ref);
      if (path.dirname(dir) === path.resolve(root) && fs.existsSync(path.join(dir, RUN_FILES.run))) return { id: ref, dir };
    }
    return undefined;
  }

  private async restoreRun(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const panels = await import('./panels');
    panel.webview.options = panels.webviewOptions(this.extensionUri);
    const checked = panels.checkPanelState(state);
    if (!checked.ok || checked.value.panel !== 'run') {
      this.deps.log(`[dashboard] not restoring a panel: ${checked.ok ? 'not a run panel' : checked.reason}`);
      panel.webview.html = panels.missingHtml('This dashboard could not be restored. Open it again from the Runs view.');
      return;
    }
    const run = this.resolve(checked.value.runId);
    if (!run || this.runPanels.has(run.dir)) {
      panel.webview.html = panels.missingHtml(run ? 'This run is open in another panel.' : `Run ${checked.value.runId} no longer exists.`);
      return;
    }
    this.adoptRun(panels, panel, run, checked.value.tag);
  }

  private async restoreCompare(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const panels = await import('./panels');
    panel.webview.options = panels.webviewOptions(this.extensionUri);
    const checked = panels.checkPanelState(state);
    const value = checked.ok && checked.value.panel === 'compare' ? checked.value : undefined;
    const known = (ids: readonly string[]) => ids.map((id) => this.resolve(id)).filter((r): r is RunRef => r !== undefined);
    const runs = value ? known(value.runIds) : [];
    const groups = (value?.groups ?? []).map((g) => ({ label: g.label, members: known(g.runIds) })).filter((g) => g.members.length > 0);
    if (runs.length + groups.length < 2 && groups.length === 0) {
      this.deps.log(`[compare] not restoring a panel: ${checked.ok ? 'fewer than two of its runs exist' : checked.reason}`);
      panel.webview.html = panels.missingHtml('This comparison could not be restored: fewer than two of its runs exist.');
      return;
    }
    this.adoptCompare(panels, panel, runs, groups, value?.band ?? 'std');
  }

  dispose(): void {
    for (const p of [...this.runPanels.values()]) p.dispose();
    for (const p of [...this.comparePanels]) p.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

export function createDashboards(context: vscode.ExtensionContext, deps: DashboardDeps): Dashboards {
  const d = new Dashboards(context.extensionUri, deps);
  context.subscriptions.push(d);
  return d;
}
