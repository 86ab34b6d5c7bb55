// The Runs tree: every run, newest first, with a status icon, `epoch 12/100 · top-1 54.1% ·
// few 31.0%`, a tooltip, and its checkpoints as children. Labels come from model/presentation.
import * as vscode from 'vscode';
import {
  CHECKPOINT_CONTEXT,
  EXTERNAL_CHECKPOINT_CONTEXT,
  checkpointDescription,
  checkpointLabel,
  runContextValue,
  runDescription,
  runLabel,
  runTooltipLines,
  statusIcon,
} from '../model/presentation';
import type { RunView } from '../model/runView';
import type { RunStore, StoreChange } from '../watch/runStore';

export interface RunNode {
  kind: 'run';
  dir: string;
}
export interface CheckpointNode {
  kind: 'checkpoint';
  dir: string;
  tag: string;
}
export type TreeNode = RunNode | CheckpointNode;

export class RunsTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly runNodes = new Map<string, RunNode>();
  private readonly updated = new vscode.EventEmitter<string[]>();
  /** Fired right after the tree was told which runs changed (tests and benchmarks listen). */
  readonly onDidUpdate = this.updated.event;
  private readonly subscription: { dispose(): void };

  constructor(private readonly store: RunStore) {
    this.subscription = store.onDidChange((c) => this.onStoreChange(c));
  }

  private onStoreChange(c: StoreChange): void {
    for (const dir of c.removed) this.runNodes.delete(dir);
    if (c.structural) this.emitter.fire(undefined);
    else this.emitter.fire(c.changed.map((v) => this.nodeFor(v.dir)));
    this.updated.fire([...c.changed.map((v) => v.dir), ...c.removed]);
  }

  nodeFor(dir: string): RunNode {
    let n = this.runNodes.get(dir);
    if (!n) {
      n = { kind: 'run', dir };
      this.runNodes.set(dir, n);
    }
    return n;
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) return this.store.views().map((v) => this.nodeFor(v.dir));
    if (node.kind === 'checkpoint') return [];
    const view = this.store.get(node.dir);
    if (!view) return [];
    return [...view.checkpoints].reverse().map((c) => ({ kind: 'checkpoint', dir: view.dir, tag: c.tag }));
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.kind === 'checkpoint' ? this.nodeFor(node.dir) : undefined;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const view = this.store.get(node.dir);
    if (!view) return new vscode.TreeItem('(removed)');
    return node.kind === 'run' ? runItem(view) : checkpointItem(view, node.tag);
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
    this.updated.dispose();
  }
}

function icon(spec: { id: string; color?: string }): vscode.ThemeIcon {
  return new vscode.ThemeIcon(spec.id, spec.color ? new vscode.ThemeColor(spec.color) : undefined);
}

function runItem(view: RunView): vscode.TreeItem {
  const item = new vscode.TreeItem(
    runLabel(view),
    view.checkpoints.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
  );
  item.id = `run:${view.dir}`;
  item.description = runDescription(view);
  item.tooltip = runTooltipLines(view).join('\n');
  item.iconPath = icon(statusIcon(view.status));
  item.contextValue = runContextValue(view);
  item.resourceUri = undefined;
  if (view.status !== 'unreadable') {
    item.command = { command: 'gpaco.openDashboard', title: 'Open Dashboard', arguments: [view.dir] };
  }
  item.accessibilityInformation = { label: `${runLabel(view)}, ${view.status}, ${runDescription(view)}` };
  return item;
}

function checkpointItem(view: RunView, tag: string): vscode.TreeItem {
  const c = view.checkpoints.find((x) => x.tag === tag);
  const item = new vscode.TreeItem(c ? checkpointLabel(c) : tag, vscode.TreeItemCollapsibleState.None);
  item.id = `ckpt:${view.dir}:${tag}`;
  item.description = c ? checkpointDescription(c) : '';
  item.iconPath = new vscode.ThemeIcon(c?.best ? 'star-full' : 'save');
  item.contextValue = c?.external ? EXTERNAL_CHECKPOINT_CONTEXT : CHECKPOINT_CONTEXT;
  item.tooltip = `${runLabel(view)} · ${tag}${c ? `\n${checkpointDescription(c)}` : ''}`;
  return item;
}

/** The plain facts of a tree item (what tests and benchmarks compare). */
export interface TreeItemInfo {
  label: string;
  description: string;
  tooltip: string;
  contextValue: string;
  icon: string;
  collapsible: boolean;
}

export function itemInfo(item: vscode.TreeItem): TreeItemInfo {
  const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
  const tooltip = typeof item.tooltip === 'string' ? item.tooltip : (item.tooltip?.value ?? '');
  return {
    label,
    description: typeof item.description === 'string' ? item.description : '',
    tooltip,
    contextValue: item.contextValue ?? '',
    icon: item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : '',
    collapsible: item.collapsibleState !== vscode.TreeItemCollapsibleState.None,
  };
}
