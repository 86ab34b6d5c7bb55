// The compare panel for 2 to 8 runs: one CompareSnapshotSource, full snapshots after `ready`
// and after any of its runs changed (throttled, identical ones skipped). The webview may only
// say ready, export and log: it cannot act on runs.
import * as vscode from 'vscode';
import { CompareSnapshotSource } from '../../core/snapshot';
import type { CompareHostMessage } from '../../protocol/messages';
import { checkCompareWebviewMessage } from '../../protocol/validate';
import { SNAPSHOT_INTERVAL_MS, type PanelDeps, type RunRef } from './dashboardPanel';
import { saveExport } from './exportFile';
import { panelHtml } from './html';
import { Throttle } from './throttle';

export class ComparePanel implements vscode.Disposable {
  private readonly source: CompareSnapshotSource;
  private readonly throttle: Throttle;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly dirs: Set<string>;
  private ready = false;
  private lastSent = '';
  private disposed = false;
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly runs: readonly RunRef[],
    private readonly deps: PanelDeps,
  ) {
    this.dirs = new Set(runs.map((r) => r.dir));
    this.source = new CompareSnapshotSource(runs.map((r) => r.dir));
    this.throttle = new Throttle(() => this.send(), SNAPSHOT_INTERVAL_MS);
    panel.title = `GPaCo: compare ${runs.length} runs`;
    panel.webview.html = panelHtml(panel.webview, deps.extensionUri, 'GPaCo Lab: compare runs', { panel: 'compare', runIds: runs.map((r) => r.id) });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)),
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  shows(dir: string): boolean {
    return this.dirs.has(dir);
  }

  runChanged(): void {
    if (this.ready) this.throttle.request();
  }

  private async receive(raw: unknown): Promise<void> {
    const checked = checkCompareWebviewMessage(raw);
    if (!checked.ok) return this.reject(checked.reason);
    const m = checked.value;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.lastSent = '';
        this.throttle.flush();
        return;
      case 'export': {
        const outcome = await saveExport(m.format, m.fileName, m.data);
        if (outcome.kind === 'invalid') return this.reject(outcome.reason);
        if (outcome.kind === 'saved') this.post({ type: 'notice', level: 'info', text: `Saved ${outcome.uri.fsPath}` });
        return;
      }
      case 'log':
        this.deps.log(`[compare] webview ${m.level}: ${m.text}`);
        return;
      default: {
        const never: never = m;
        return this.reject(`unhandled message ${JSON.stringify(never)}`);
      }
    }
  }

  private reject(reason: string): void {
    this.deps.log(`[compare] ignored a message from the webview: ${reason}`);
  }

  private send(): void {
    if (this.disposed || !this.ready) return;
    let message: CompareHostMessage;
    try {
      const snapshot = this.source.build();
      const key = JSON.stringify({ ...snapshot, builtAt: '' });
      if (key === this.lastSent) return;
      this.lastSent = key;
      message = { type: 'snapshot', snapshot };
    } catch (err) {
      const text = `Cannot compare the runs: ${(err as Error).message}`;
      if (text === this.lastSent) return;
      this.lastSent = text;
      message = { type: 'notice', level: 'error', text };
    }
    this.post(message);
  }

  private post(message: CompareHostMessage): void {
    void this.panel.webview.postMessage(message);
  }

  reveal(): void {
    this.panel.reveal();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.throttle.dispose();
    this.disposables.forEach((d) => d.dispose());
    this.panel.dispose();
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
  }
}
