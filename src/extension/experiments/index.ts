// The Experiments panel's entry for the extension: `gpaco.openExperiments` opens (or reveals)
// the one panel, its serializer brings it back after a reload, and the watcher's change
// notifications invalidate exactly the changed runs' summaries before the panel refreshes.
// The panel, the core table code and TypeBox load on first use (activation stays light).
import * as vscode from 'vscode';
import type { ExperimentsView } from '../../protocol/experiments';
import type { ExperimentsActions, ExperimentsPanel } from './experimentsPanel';
import type { ExperimentsModel } from './tableModel';

export const EXPERIMENTS_VIEW_TYPE = 'gpaco.experiments';
const VIEW_KEY = 'gpaco.experiments.view';

export interface ExperimentsDeps {
  /** Every run folder of every runs root. */
  runDirs(): string[];
  onRunsChanged(listener: (dirs: readonly string[]) => void): vscode.Disposable;
  actions: ExperimentsActions;
  log(line: string): void;
}

export class Experiments implements vscode.Disposable {
  private panel: ExperimentsPanel | undefined;
  private model: ExperimentsModel | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly deps: ExperimentsDeps,
  ) {
    this.disposables.push(
      deps.onRunsChanged((dirs) => {
        if (!this.model) return;
        this.model.invalidate(dirs);
        this.panel?.runChanged();
      }),
      vscode.window.registerWebviewPanelSerializer(EXPERIMENTS_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel) => {
          await this.adopt(panel);
        },
      }),
    );
  }

  async open(): Promise<ExperimentsPanel> {
    if (this.panel) {
      this.panel.reveal();
      return this.panel;
    }
    const panel = vscode.window.createWebviewPanel(EXPERIMENTS_VIEW_TYPE, 'GPaCo: Experiments', vscode.ViewColumn.Active, {
      ...(await import('../dashboard/html')).webviewOptions(this.context.extensionUri),
      // The table keeps its scroll position, selection and expanded groups while in a background tab.
      retainContextWhenHidden: true,
    });
    return this.adopt(panel);
  }

  /** The open panel, if any (tests and the benchmark). */
  get current(): ExperimentsPanel | undefined {
    return this.panel;
  }

  private async adopt(webviewPanel: vscode.WebviewPanel): Promise<ExperimentsPanel> {
    const [{ ExperimentsPanel }, { ExperimentsModel }, { checkExperimentsView }, { webviewOptions }, { DEFAULT_EXPERIMENTS_VIEW }] =
      await Promise.all([
        import('./experimentsPanel'),
        import('./tableModel'),
        import('../../protocol/validate'),
        import('../dashboard/html'),
        import('../../protocol/experiments'),
      ]);
    webviewPanel.webview.options = webviewOptions(this.context.extensionUri);
    this.model ??= new ExperimentsModel(() => this.deps.runDirs());
    const saved = checkExperimentsView(this.context.workspaceState.get<unknown>(VIEW_KEY)) ?? DEFAULT_EXPERIMENTS_VIEW;
    this.panel?.dispose();
    const p = new ExperimentsPanel(
      webviewPanel,
      this.model,
      saved,
      (view: ExperimentsView) => void this.context.workspaceState.update(VIEW_KEY, view),
      this.deps.actions,
      { extensionUri: this.context.extensionUri, log: (l) => this.deps.log(l) },
    );
    this.panel = p;
    p.onDidDispose(() => {
      if (this.panel === p) this.panel = undefined;
    });
    return p;
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
