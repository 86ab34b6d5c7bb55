// One run's dashboard panel: owns a webview panel and the run's snapshot source. Sends a full
// snapshot when the webview says `ready` and after every change of the run's files
// (throttled, identical snapshots skipped). Every message from the webview is validated; its
// run id and tags are checked against this panel's run before anything happens.
import * as vscode from 'vscode';
import { readCheckpointIndex } from '../../core/runDirectory';
import { RunSnapshotSource } from '../../core/snapshot';
import type { RunHostMessage, RunWebviewMessage } from '../../protocol/messages';
import { checkRunWebviewMessage } from '../../protocol/validate';
import { saveExport } from './exportFile';
import { panelHtml } from './html';
import { Throttle } from './throttle';

export interface RunRef {
  id: string;
  dir: string;
}

export interface PanelDeps {
  extensionUri: vscode.Uri;
  log(line: string): void;
}

/** At most this often a changing run re-sends its snapshot (the first change goes at once). */
export const SNAPSHOT_INTERVAL_MS = 100;

function hasCheckpoint(dir: string, tag: string): boolean {
  try {
    return readCheckpointIndex(dir).checkpoints.some((c) => c.tag === tag);
  } catch {
    return false; // a malformed index offers nothing to evaluate
  }
}

export class DashboardPanel implements vscode.Disposable {
  private readonly source: RunSnapshotSource;
  private readonly throttle: Throttle;
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private lastSent = '';
  private disposed = false;
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly run: RunRef,
    private readonly deps: PanelDeps,
    private selectedTag: string | null = null,
  ) {
    this.source = new RunSnapshotSource(run.dir);
    this.throttle = new Throttle(() => this.send(), SNAPSHOT_INTERVAL_MS);
    panel.title = `GPaCo: ${run.id}`;
    panel.webview.html = panelHtml(panel.webview, deps.extensionUri, `GPaCo Lab: ${run.id}`, { panel: 'run', runId: run.id });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)),
      panel.onDidChangeViewState(() => {
        // Hidden webviews are torn down (no retainContextWhenHidden); a shown one says `ready` again.
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** The run's files changed (from the watcher). */
  runChanged(): void {
    if (this.ready) this.throttle.request();
  }

  private async receive(raw: unknown): Promise<void> {
    const checked = checkRunWebviewMessage(raw);
    if (!checked.ok) return this.reject(checked.reason);
    const m: RunWebviewMessage = checked.value;
    if ('runId' in m && m.runId !== this.run.id) return this.reject(`message "${m.type}" names run ${m.runId}, but this panel shows ${this.run.id}`);
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.lastSent = '';
        this.throttle.flush();
        return;
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
      case 'export': {
        const outcome = await saveExport(m.format, m.fileName, m.data);
        if (outcome.kind === 'invalid') return this.reject(outcome.reason);
        if (outcome.kind === 'saved') this.post({ type: 'notice', level: 'info', text: `Saved ${outcome.uri.fsPath}` });
        return;
      }
      case 'log':
        this.deps.log(`[dashboard ${this.run.id}] webview ${m.level}: ${m.text}`);
        return;
      default: {
        const never: never = m;
        return this.reject(`unhandled message ${JSON.stringify(never)}`);
      }
    }
  }

  private reject(reason: string): void {
    this.deps.log(`[dashboard ${this.run.id}] ignored a message from the webview: ${reason}`);
  }

  private send(): void {
    if (this.disposed || !this.ready) return;
    let message: RunHostMessage;
    try {
      const snapshot = this.source.build({ selectedTag: this.selectedTag });
      // Unchanged apart from its time stamp (a step record, a touched file): nothing to send.
      const key = JSON.stringify({ ...snapshot, builtAt: '' });
      if (key === this.lastSent) return;
      this.lastSent = key;
      this.panel.title = `GPaCo: ${snapshot.run.name}`;
      message = { type: 'snapshot', snapshot };
    } catch (err) {
      const text = `Cannot read run ${this.run.id}: ${(err as Error).message}`;
      if (text === this.lastSent) return;
      this.lastSent = text;
      message = { type: 'notice', level: 'error', text };
    }
    this.post(message);
  }

  private post(message: RunHostMessage): void {
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
