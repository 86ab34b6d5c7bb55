// What the editor knows about one run: the run directory's files reduced to what the tree, the
// status bar and notifications show. Pure data, no `vscode`.
import type { CheckpointEntry, DisplayStatus, RunManifest } from '../../core/contract';

export interface EvalSummary {
  epoch: number;
  tag: string;
  top1: number;
  /** null: not recorded (an imported run without group figures). */
  many: number | null;
  medium: number | null;
  few: number | null;
}

export interface RunView {
  /** Absolute run directory: the identity of a run in the editor. */
  dir: string;
  /** Folder name (the run id of the contract). */
  id: string;
  /** The runs root the run lives in. */
  root: string;
  status: DisplayStatus;
  /** null when run.json cannot be read (status `unreadable`). */
  manifest: RunManifest | null;
  /** Why the run is unreadable (file and reason). */
  problem: string | null;
  /** Other files of a readable run that cannot be used (the run is then "partly readable"). */
  partial?: string[];
  epoch: number;
  epochs: number;
  latestEval: EvalSummary | null;
  checkpoints: CheckpointEntry[];
  /** Waiting in this workspace's launch queue (start or resume). */
  pending: 'start' | 'resume' | null;
  /** Tags from meta.json (written by the user, never by the trainer). */
  tags: string[];
  /** Why meta.json could not be used (it is then read as empty). */
  metaProblem: string | null;
}

/** Checkpoints this tool can resume from or evaluate: not the external files an imported run lists. */
export function ownCheckpoints(view: RunView): CheckpointEntry[] {
  return view.checkpoints.filter((c) => c.external !== true);
}

/** An imported run (docs/run-folder.md, "Imported runs"): shown, never trained, resumed or evaluated. */
export function isImported(view: RunView): boolean {
  return view.manifest?.imported !== undefined;
}

/** Statuses from which a run can be resumed (from its latest checkpoint). */
export function canResume(view: RunView): boolean {
  return (
    (view.status === 'interrupted' || view.status === 'stopped' || view.status === 'failed') &&
    !isImported(view) &&
    ownCheckpoints(view).length > 0
  );
}

/** A run that may still be writing (deleting it is refused). */
export function isActive(view: RunView): boolean {
  return view.status === 'running';
}

/** Newest first (createdAt, then id), unreadable runs by id among them. */
export function compareNewestFirst(a: RunView, b: RunView): number {
  const ta = a.manifest?.createdAt ?? '';
  const tb = b.manifest?.createdAt ?? '';
  if (ta !== tb) return ta < tb ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
