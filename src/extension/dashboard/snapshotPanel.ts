// What the run and compare panels share: owning a webview panel, full snapshots after `ready`
// and after changes (throttled, a snapshot identical but for its time stamp is not re-sent),
// error notices instead of snapshots when the files cannot be read, exports, and disposal.
// Subclasses build their snapshot and handle their own messages.
import * as vscode from 'vscode';
import type { Notice } from '../../protocol/messages';
import { saveExport } from './exportFile';
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

type HostMessage<S> = { type: 'snapshot'; snapshot: S } | Notice;

export abstract class SnapshotPanel<S extends { builtAt: string }> implements vscode.Disposable {
  protected readonly throttle = new Throttle(() => this.send(), SNAPSHOT_INTERVAL_MS);
  protected readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private lastSent = '';
  /** The last snapshot posted to the webview and when (ms since the epoch): tests and benchmarks read it. */
  lastPosted: { snapshot: S; at: number } | undefined;
  private disposed = false;
  /** `prepare` is running; a send asked for meanwhile runs after it. */
  private preparing = false;
  private sendAgain = false;
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    protected readonly deps: PanelDeps,
    /** Prefix of this panel's log lines, e.g. `dashboard r100`. */
    private readonly logName: string,
  ) {
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)),
      panel.onDidChangeViewState(() => {
        // Hidden webviews are torn down (no retainContextWhenHidden); a shown one says `ready` again.
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** The current snapshot; throws when the files cannot be read. */
  protected abstract build(): S;
  /**
   * Work to finish before `build`, off the event loop's critical path (reading many files
   * asynchronously); undefined when there is none (the default: `build` reads what it needs).
   */
  protected prepare(): Promise<void> | undefined {
    return undefined;
  }
  /** The notice shown instead of a snapshot when `build` throws. */
  protected abstract failureText(err: Error): string;
  protected abstract receive(raw: unknown): Promise<void>;
  /** A snapshot is about to be sent (the run panel titles itself after the run's name). */
  protected onSnapshot(_snapshot: S): void {}

  /** Files this panel shows changed (from the watcher). */
  runChanged(): void {
    if (this.ready) this.throttle.request();
  }

  /** The webview said `ready`: it needs a full snapshot now, even an unchanged one. */
  protected webviewReady(): void {
    this.ready = true;
    this.lastSent = '';
    this.throttle.flush();
  }

  protected async saveExport(format: 'png' | 'csv', fileName: string, data: string): Promise<void> {
    const outcome = await saveExport(format, fileName, data);
    if (outcome.kind === 'invalid') return this.reject(outcome.reason);
    if (outcome.kind === 'saved') this.post({ type: 'notice', level: 'info', text: `Saved ${outcome.uri.fsPath}` });
  }

  protected log(line: string): void {
    this.deps.log(`[${this.logName}] ${line}`);
  }

  protected reject(reason: string): void {
    this.log(`ignored a message from the webview: ${reason}`);
  }

  private send(): void {
    if (this.disposed || !this.ready) return;
    if (this.preparing) {
      this.sendAgain = true;
      return;
    }
    const preparing = this.prepare();
    if (!preparing) return this.sendBuilt();
    this.preparing = true;
    // A failure to prepare shows when `build` fails on the same files.
    void preparing
      .catch(() => undefined)
      .then(() => {
        this.preparing = false;
        if (this.sendAgain) {
          this.sendAgain = false;
          this.send();
        } else this.sendBuilt();
      });
  }

  private sendBuilt(): void {
    if (this.disposed || !this.ready) return;
    let message: HostMessage<S>;
    try {
      const snapshot = this.build();
      // Unchanged apart from its time stamp (a step record, a touched file): nothing to send.
      const key = JSON.stringify({ ...snapshot, builtAt: '' });
      if (key === this.lastSent) return;
      this.lastSent = key;
      this.onSnapshot(snapshot);
      message = { type: 'snapshot', snapshot };
      this.lastPosted = { snapshot, at: Date.now() };
    } catch (err) {
      const text = this.failureText(err as Error);
      if (text === this.lastSent) return;
      this.lastSent = text;
      message = { type: 'notice', level: 'error', text };
    }
    this.post(message);
  }

  protected post(message: HostMessage<S>): void {
    void this.panel.webview.postMessage(message);
  }

  reveal(): void {
    this.panel.reveal();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.throttle.dispose();
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
  }
}
