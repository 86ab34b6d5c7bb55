// The compare panel: runs, and groups of runs (from the Experiments table) drawn as a mean curve
// with a band. One CompareSnapshotSource for the runs plus one group entry per group, full
// snapshots after `ready` and after any of its runs changed (snapshotPanel.ts). The webview
// may only say ready, export and log: it cannot act on runs.
import type * as vscode from 'vscode';
import { CompareGroupsSource } from '../../core/compareGroups';
import { CompareSnapshotSource } from '../../core/snapshot';
import type { PanelState } from '../../protocol/messages';
import type { CompareSnapshot } from '../../protocol/snapshot';
import { checkCompareWebviewMessage } from '../../protocol/validate';
import { panelHtml } from './html';
import { SnapshotPanel, type PanelDeps, type RunRef } from './snapshotPanel';

export interface GroupRef {
  label: string;
  members: RunRef[];
}

export class ComparePanel extends SnapshotPanel<CompareSnapshot> {
  private readonly source: CompareSnapshotSource;
  private readonly dirs: Set<string>;
  private readonly groupsSource = new CompareGroupsSource();

  constructor(
    panel: vscode.WebviewPanel,
    readonly runs: readonly RunRef[],
    deps: PanelDeps,
    readonly groups: readonly GroupRef[] = [],
    readonly band: 'std' | 'minmax' = 'std',
  ) {
    super(panel, deps, 'compare');
    this.dirs = new Set([...runs.map((r) => r.dir), ...groups.flatMap((g) => g.members.map((m) => m.dir))]);
    this.source = new CompareSnapshotSource(runs.map((r) => r.dir));
    const n = runs.length + groups.length;
    panel.title = groups.length
      ? `GPaCo: compare ${n} (${groups.length} group${groups.length === 1 ? '' : 's'})`
      : `GPaCo: compare ${runs.length} runs`;
    const boot: PanelState = {
      panel: 'compare',
      runIds: runs.map((r) => r.id),
      groups: groups.map((g) => ({ label: g.label, runIds: g.members.map((m) => m.id) })),
      band,
    };
    panel.webview.html = panelHtml(panel.webview, deps.extensionUri, 'GPaCo Lab: compare runs', boot);
  }

  shows(dir: string): boolean {
    return this.dirs.has(dir);
  }

  /** A member's files changed: its summary is read again on the next build. */
  override runChanged(dir?: string): void {
    if (dir) this.groupsSource.invalidate(dir);
    super.runChanged();
  }

  protected build(): CompareSnapshot {
    const snapshot = this.source.build();
    if (this.groups.length === 0) return snapshot;
    return this.groupsSource.build(
      snapshot,
      this.source.configs(),
      this.groups.map((g) => ({ label: g.label, dirs: g.members.map((m) => m.dir) })),
      this.band,
    );
  }

  protected failureText(err: Error): string {
    return `Cannot compare the runs: ${err.message}`;
  }

  protected async receive(raw: unknown): Promise<void> {
    const checked = checkCompareWebviewMessage(raw);
    if (!checked.ok) return this.reject(checked.reason);
    const m = checked.value;
    switch (m.type) {
      case 'ready':
        return this.webviewReady();
      case 'export':
        return this.saveExport(m.format, m.fileName, m.data);
      case 'log':
        return this.log(`webview ${m.level}: ${m.text}`);
      default: {
        const never: never = m;
        return this.reject(`unhandled message ${JSON.stringify(never)}`);
      }
    }
  }
}
