// The status-bar item: running / queued counts and the most recent running run's progress;
// clicking it opens that run's dashboard.
import * as vscode from 'vscode';
import { statusBarModel } from '../model/statusBarModel';
import type { RunStore } from '../watch/runStore';

export class RunsStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscription: { dispose(): void };

  constructor(private readonly store: RunStore) {
    this.item = vscode.window.createStatusBarItem('gpaco.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'GPaCo Lab runs';
    this.subscription = store.onDidChange(() => this.update());
    this.update();
  }

  update(): void {
    const model = statusBarModel(this.store.views());
    if (!model) {
      this.item.hide();
      return;
    }
    this.item.text = model.text;
    this.item.tooltip = model.tooltip;
    this.item.command = model.targetDir
      ? { command: 'gpaco.openDashboard', title: 'Open Dashboard', arguments: [model.targetDir] }
      : { command: 'workbench.view.extension.gpaco', title: 'Show Runs' };
    this.item.show();
  }

  /** What the item shows now (tests). */
  snapshot(): { text: string; tooltip: string; visible: boolean } {
    const model = statusBarModel(this.store.views());
    return { text: model?.text ?? '', tooltip: model?.tooltip ?? '', visible: model !== null };
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
