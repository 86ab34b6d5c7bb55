// One run's dashboard panel: the run's snapshot source on top of snapshotPanel.ts (full
// snapshots after `ready` and after every change of the run's files). Every message from the
// webview is validated; its run id and tags are checked against this panel's run before
// anything happens.
import * as vscode from 'vscode';
import { readCheckpointIndex } from '../../core/runDirectory';
import { readabilityLine } from '../../core/readability';
import { RunSnapshotSource } from '../../core/snapshot';
import type { RunHostMessage, RunWebviewMessage } from '../../protocol/messages';
import type { RunSnapshot } from '../../protocol/snapshot';
import { checkRunWebviewMessage } from '../../protocol/validate';
import { panelHtml } from './html';
import { TestImageCache, imagesPage } from './imagesPage';
import { SnapshotPanel, type PanelDeps, type RunRef } from './snapshotPanel';

function hasCheckpoint(dir: string, tag: string): boolean {
  try {
    return readCheckpointIndex(dir).checkpoints.some((c) => c.tag === tag);
  } catch {
    return false; // a malformed index offers nothing to evaluate
  }
}

export class DashboardPanel extends SnapshotPanel<RunSnapshot> {
  private readonly source: RunSnapshotSource;
  private readonly images = new TestImageCache();

  constructor(
    panel: vscode.WebviewPanel,
    readonly run: RunRef,
    deps: PanelDeps,
    private selectedTag: string | null = null,
  ) {
    super(panel, deps, `dashboard ${run.id}`);
    this.source = new RunSnapshotSource(run.dir);
    panel.title = `GPaCo: ${run.id}`;
    panel.webview.html = panelHtml(panel.webview, deps.extensionUri, `GPaCo Lab: ${run.id}`, { panel: 'run', runId: run.id });
  }

  protected build(): RunSnapshot {
    return this.source.build({ selectedTag: this.selectedTag });
  }

  protected failureText(err: Error): string {
    // The wording the tree and the CLI show for the same run (an unreadable run.json is what throws).
    return `Run ${this.run.id}: ${readabilityLine('unreadable', [err.message])!}`;
  }

  protected override onSnapshot(snapshot: RunSnapshot): void {
    this.panel.title = `GPaCo: ${snapshot.run.name}`;
  }

  protected async receive(raw: unknown): Promise<void> {
    const checked = checkRunWebviewMessage(raw);
    if (!checked.ok) return this.reject(checked.reason);
    const m: RunWebviewMessage = checked.value;
    if ('runId' in m && m.runId !== this.run.id)
      return this.reject(`message "${m.type}" names run ${m.runId}, but this panel shows ${this.run.id}`);
    switch (m.type) {
      case 'ready':
        return this.webviewReady();
      case 'select':
        if (m.tag !== null && !this.source.evaluationTags().has(m.tag)) return this.reject(`run ${this.run.id} has no evaluation ${m.tag}`);
        this.selectedTag = m.tag;
        this.throttle.flush();
        return;
      case 'stop':
        await vscode.commands.executeCommand('gpaco.stopRun', this.run.dir);
        return;
      case 'resume':
        await vscode.commands.executeCommand('gpaco.resumeRun', this.run.dir);
        return;
      case 'evaluate': {
        if (!hasCheckpoint(this.run.dir, m.tag)) return this.reject(`run ${this.run.id} has no complete checkpoint ${m.tag}`);
        await vscode.commands.executeCommand('gpaco.evaluateCheckpoint', { kind: 'checkpoint', dir: this.run.dir, tag: m.tag });
        return;
      }
      case 'images': {
        if (!this.source.evaluationTags().has(m.tag)) return this.reject(`run ${this.run.id} has no evaluation ${m.tag}`);
        const reply = await imagesPage(this.run.dir, m.tag, m.selection, m.page, this.images);
        void this.panel.webview.postMessage(reply satisfies RunHostMessage);
        return;
      }
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
