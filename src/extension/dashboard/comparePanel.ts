// The compare panel for 2 to 8 runs: one CompareSnapshotSource, full snapshots after `ready`
// and after any of its runs changed (snapshotPanel.ts). The webview may only say ready, export
// and log: it cannot act on runs.
import type * as vscode from 'vscode';
import { CompareSnapshotSource } from '../../core/snapshot';
import type { CompareSnapshot } from '../../protocol/snapshot';
import { checkCompareWebviewMessage } from '../../protocol/validate';
import { panelHtml } from './html';
import { SnapshotPanel, type PanelDeps, type RunRef } from './snapshotPanel';

export class ComparePanel extends SnapshotPanel<CompareSnapshot> {
  private readonly source: CompareSnapshotSource;
  private readonly dirs: Set<string>;

  constructor(
    panel: vscode.WebviewPanel,
    readonly runs: readonly RunRef[],
    deps: PanelDeps,
  ) {
    super(panel, deps, 'compare');
    this.dirs = new Set(runs.map((r) => r.dir));
    this.source = new CompareSnapshotSource(runs.map((r) => r.dir));
    panel.title = `GPaCo: compare ${runs.length} runs`;
    panel.webview.html = panelHtml(panel.webview, deps.extensionUri, 'GPaCo Lab: compare runs', { panel: 'compare', runIds: runs.map((r) => r.id) });
  }

  shows(dir: string): boolean {
    return this.dirs.has(dir);
  }

  protected build(): CompareSnapshot {
    return this.source.build();
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
