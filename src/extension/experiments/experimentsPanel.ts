// The Experiments panel: one webview over every run of every runs folder. The host builds the
// rows with ExperimentsModel and keeps the view (value mode, grouping, sort, filter, columns) in
// workspaceState; the webview sorts, filters and groups the rows itself and reports each view
// change, which the host persists (a new value mode needs new rows: a snapshot). Every message
// from the webview is validated; run ids are checked against the table's rows.
import type * as vscode from 'vscode';
import type { ExperimentsSnapshot, ExperimentsView } from '../../protocol/experiments';
import { checkExperimentsWebviewMessage } from '../../protocol/validate';
import type { CompareTarget } from '../dashboard';
import { saveExport } from '../dashboard/exportFile';
import { panelHtml } from '../dashboard/html';
import { SnapshotPanel, SNAPSHOT_INTERVAL_MS, type PanelDeps } from '../dashboard/snapshotPanel';
import { Throttle } from '../dashboard/throttle';
import type { ExperimentsModel } from './tableModel';

export interface ExperimentsActions {
  compare(targets: CompareTarget[], band: 'std' | 'minmax'): Promise<void>;
  editTags(dirs: string[]): Promise<void>;
  editNote(dir: string): Promise<void>;
  open(dir: string): Promise<void>;
}

export class ExperimentsPanel extends SnapshotPanel<ExperimentsSnapshot> {
  private seq = 0;
  /** Live updates: the first change goes at once, later ones at most every 100 ms, coalesced. */
  private readonly live = new Throttle(() => void this.sendUpdate(), SNAPSHOT_INTERVAL_MS);
  private hasSnapshot = false;
  private closed = false;

  constructor(
    panel: vscode.WebviewPanel,
    private readonly model: ExperimentsModel,
    private view: ExperimentsView,
    private readonly saveView: (view: ExperimentsView) => void,
    private readonly actions: ExperimentsActions,
    deps: PanelDeps,
  ) {
    super(panel, deps, 'experiments');
    panel.title = 'GPaCo: Experiments';
    panel.webview.html = panelHtml(
      panel.webview,
      deps.extensionUri,
      'GPaCo Lab: experiments',
      { panel: 'experiments', view },
      'experiments.js',
    );
  }

  /** The runs not read yet are read asynchronously, so the extension host keeps answering meanwhile. */
  protected override prepare(): Promise<void> {
    return this.model.load(this.view);
  }

  protected build(): ExperimentsSnapshot {
    this.hasSnapshot = true;
    return this.model.snapshot(this.view, this.seq);
  }

  /** Runs changed: only their rows go to the webview (which sorts and groups again), not the whole table. */
  override runChanged(): void {
    if (this.hasSnapshot) this.live.request();
    else super.runChanged();
  }

  private async sendUpdate(): Promise<void> {
    let update;
    try {
      await this.model.load(this.view);
      if (this.closed) return;
      update = this.model.update(this.view);
    } catch (err) {
      return this.post({ type: 'notice', level: 'error', text: this.failureText(err as Error) });
    }
    if (!update) return this.throttle.request();
    void this.panel.webview.postMessage({ type: 'update', update });
  }

  override dispose(): void {
    this.closed = true;
    this.live.dispose();
    super.dispose();
  }

  protected failureText(err: Error): string {
    return `Cannot read the runs: ${err.message}`;
  }

  /** Run folders named by ids from the webview; unknown ids are refused. */
  private dirs(ids: readonly string[]): string[] | undefined {
    const dirs = ids.map((id) => this.model.dirOf(id));
    if (dirs.some((d) => d === undefined)) {
      this.reject(`unknown run id among ${ids.slice(0, 5).join(', ')}`);
      return undefined;
    }
    return dirs as string[];
  }

  protected async receive(raw: unknown): Promise<void> {
    const checked = checkExperimentsWebviewMessage(raw);
    if (!checked.ok) return this.reject(checked.reason);
    const m = checked.value;
    switch (m.type) {
      case 'ready':
        return this.webviewReady();
      case 'view': {
        const rowsChange = JSON.stringify(m.view.value) !== JSON.stringify(this.view.value);
        this.view = m.view;
        this.seq = m.seq;
        this.saveView(m.view);
        // A new value mode changes every row: a whole snapshot. Anything else the webview has done already.
        if (rowsChange) this.throttle.flush();
        return;
      }
      case 'compare': {
        const targets: CompareTarget[] = [];
        for (const item of m.items) {
          if (item.kind === 'run') {
            const [dir] = this.dirs([item.runId]) ?? [];
            if (!dir) return;
            targets.push({ kind: 'run', dir, id: item.runId });
          } else {
            const dirs = this.dirs(item.runIds);
            if (!dirs) return;
            targets.push({ kind: 'group', label: item.label, members: dirs.map((dir, i) => ({ dir, id: item.runIds[i]! })) });
          }
        }
        return this.actions.compare(targets, m.band);
      }
      case 'editTags': {
        const dirs = this.dirs(m.runIds);
        return dirs ? this.actions.editTags(dirs) : undefined;
      }
      case 'editNote': {
        const [dir] = this.dirs([m.runId]) ?? [];
        return dir ? this.actions.editNote(dir) : undefined;
      }
      case 'open': {
        const [dir] = this.dirs([m.runId]) ?? [];
        return dir ? this.actions.open(dir) : undefined;
      }
      case 'exportCsv': {
        const outcome = await saveExport('csv', 'experiments.csv', this.model.csv(this.view));
        if (outcome.kind === 'saved') this.post({ type: 'notice', level: 'info', text: `Saved ${outcome.uri.fsPath}` });
        return;
      }
      case 'log':
        return this.log(`webview ${m.level}: ${m.text}`);
      default: {
        const never: never = m;
        return this.reject(`unhandled message ${JSON.stringify(never)}`);
      }
    }
  }

  /** The current view (tests and the benchmark read it through the API). */
  currentView(): ExperimentsView {
    return this.view;
  }
}
