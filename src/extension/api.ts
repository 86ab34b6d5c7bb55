// What activate() returns: used by the extension-host tests and the benchmarks (and available to
// other extensions). Plain data only.
import type { RunSnapshot } from '../protocol/snapshot';
import type { RunView } from './model/runView';
import type { NotificationRecord } from './views/notifier';
import type { TreeItemInfo } from './views/runsTree';

export interface GpacoApi {
  /** Time spent in activate() (ms), from the start of the bundle's evaluation. */
  readonly activationMs: number;
  /**
   * activationMs split into evaluating the bundle's modules, the extension host's own work
   * between loading the module and calling activate() (not ours), and activate() itself.
   */
  readonly activationBreakdown: { moduleEvaluationMs: number; hostGapMs: number; activateMs: number };
  /** The runs roots being watched. */
  roots(): string[];
  runs(): RunView[];
  /** The tree item of a run (by id or folder) as VS Code gets it. */
  treeItem(ref: string): TreeItemInfo | undefined;
  /** Root items of the Runs tree, in order. */
  treeRoots(): TreeItemInfo[];
  /** Checkpoint items under a run. */
  treeChildren(ref: string): TreeItemInfo[];
  /** Fires after the tree has been told about changed runs (folders). */
  onDidUpdate(listener: (dirs: string[]) => void): { dispose(): void };
  statusBar(): { text: string; tooltip: string; visible: boolean };
  notifications(): NotificationRecord[];
  /** Number of chokidar watchers (one per existing runs root). */
  watchedRoots(): number;
  /** Restricted-mode message shown on the Runs view ('' when trusted). */
  viewMessage(): string;
  /** The last snapshot the run's open dashboard posted to its webview, and when (ms since the epoch). */
  dashboardSnapshot(ref: string): { snapshot: RunSnapshot; postedAt: number } | undefined;
  /** Test hook: the trainer script the local launcher runs. */
  setTrainerScript(file: string): void;
  trainerScript(): string;
}
