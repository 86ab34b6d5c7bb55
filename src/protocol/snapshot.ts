// Snapshot types: everything a dashboard panel shows, sent whole from the host after `ready`
// and after every change (full snapshots, never deltas: docs/architecture.md). Built by
// src/core/snapshot.ts from the run directory; drawn by webview/. Plain data only, so the
// same objects travel through postMessage and are inlined into `gpaco report` HTML.
//
// Every per-class array is in DISPLAY order: classes sorted head to tail (descending training
// count, ties by label). `ClassTable.label[i]` is the original label of display position i.

export const SNAPSHOT_SCHEMA = 'gpaco-dashboard/1';

export type ShotGroupName = 'many' | 'medium' | 'few';
export const SHOT_GROUP_NAMES: readonly ShotGroupName[] = ['many', 'medium', 'few'];

export type RunDisplayStatus = 'queued' | 'running' | 'completed' | 'failed' | 'stopped' | 'interrupted' | 'unreadable';

export type GroupRuleInfo = { kind: 'shots'; many: number; few: number } | { kind: 'terciles' };

export interface ClassTable {
  names: string[];
  /** Original label index of each display position. */
  label: number[];
  trainCounts: number[];
  testCounts: number[];
  groups: ShotGroupName[];
  rule: GroupRuleInfo;
}

/**
 * A C x C count matrix (row = true class, column = predicted class, display order), flat and
 * row-major. `dense`: all C*C counts. `gaps`: pairs [gap, count] for the non-zero cells, where
 * gap is the distance in flat index from the previous non-zero cell (the first from -1); a
 * confusion matrix of a decent classifier is mostly zeros, so this is several times smaller.
 */
export interface EncodedMatrix {
  size: number;
  encoding: 'dense' | 'gaps';
  data: number[];
}

/** Per-epoch training records; arrays of equal length, one entry per epoch (the last record wins). */
export interface EpochCurves {
  epoch: number[];
  loss: number[];
  /** null where the run did not record the value (an imported log without it). */
  lr: (number | null)[];
  accuracy: (number | null)[];
  seconds: (number | null)[];
}

/** Per-evaluation records, in epoch order (the last record of an epoch wins). */
export interface EvalCurves {
  epoch: number[];
  tag: string[];
  top1: number[];
  /** null where the run did not record the value (an imported log without group figures). */
  top5: (number | null)[];
  many: (number | null)[];
  medium: (number | null)[];
  few: (number | null)[];
}

export interface GroupAccuracy {
  many: number;
  medium: number;
  few: number;
}

/** One evaluation in full: what the confusion matrix, group bars and per-class chart show. */
/** Confused pairs sent per evaluation (the list's length). */
export const TOP_PAIRS = 200;

export interface ConfusedPair {
  /** Display index of the true class (head to tail). */
  true: number;
  /** Display index of the predicted class. */
  pred: number;
  count: number;
  /** count / test images of the true class. */
  share: number;
}

export interface EvalDetail {
  tag: string;
  epoch: number;
  split: string;
  n: number;
  top1: number;
  top5: number;
  groupAccuracy: GroupAccuracy;
  perClassAccuracy: number[];
  confusion: EncodedMatrix;
  /**
   * The most frequent confusions (off-diagonal cells), most images first: display indices (as
   * the matrix), count and share of the true class's test images. Computed by the host from the
   * sparse cells, so the list costs nothing to show at 8,142 classes.
   */
  topPairs: ConfusedPair[];
  /** Per display position: the display index of the class it is most often predicted as wrongly (-1: never), and how often. */
  mostConfusedWith: number[];
  mostConfusedCount: number[];
  /** Changes whenever the evaluation file changes (tag + size + mtime), so views redraw only then. */
  revision: string;
}

/** A row of the checkpoints list: a checkpoint, an evaluation, or both with the same tag. */
export interface CheckpointRow {
  tag: string;
  epoch: number;
  /** False when the checkpoint folder is gone (pruned) and only its evaluation remains. */
  hasCheckpoint: boolean;
  hasEval: boolean;
  best: boolean;
  /** A checkpoint file this tool did not write (an imported run's): listed, not evaluable. */
  external: boolean;
  bytes: number | null;
  time: string | null;
  top1: number | null;
  many: number | null;
  medium: number | null;
  few: number | null;
}

export interface RunHeader {
  id: string;
  name: string;
  status: RunDisplayStatus;
  backend: string | null;
  backendDetail: string | null;
  host: string;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  error: string | null;
  epoch: number;
  epochs: number;
  /** Mean wall seconds of the last few epochs, or null before the first epoch ends. */
  secondsPerEpoch: number | null;
  canStop: boolean;
  canResume: boolean;
  sweepId: string | null;
  /** The shared "partly readable: why" line (docs/run-folder.md, "Reading run files"), or null. */
  readability: string | null;
  /** Set for a run imported from another tool (read-only, no per-class results). */
  imported: ImportedInfo | null;
}

/** Where an imported run came from (docs/run-folder.md, "Imported runs"). */
export interface ImportedInfo {
  kind: string;
  source: string;
  /** Lines or records read, and those that could not be used. */
  read: number;
  skipped: number;
}

export interface RunSnapshot {
  schema: typeof SNAPSHOT_SCHEMA;
  kind: 'run';
  /** When the host built the snapshot (ISO); elapsed times tick from here. */
  builtAt: string;
  run: RunHeader;
  classes: ClassTable | null;
  curves: EpochCurves;
  evals: EvalCurves;
  checkpoints: CheckpointRow[];
  /** Tag of the evaluation shown, chosen by the user or else the latest. */
  selectedTag: string | null;
  /** True when the user picked `selectedTag`; false when the panel follows the latest evaluation. */
  pinned: boolean;
  selected: EvalDetail | null;
  /** Problems reading the run (unreadable files, size mismatches), shown, never thrown. */
  warnings: string[];
}

export interface CompareRun {
  id: string;
  name: string;
  status: RunDisplayStatus;
  epoch: number;
  epochs: number;
  curves: EpochCurves;
  evals: EvalCurves;
  /** The latest evaluation, summarised. */
  final: { tag: string; epoch: number; top1: number; top5: number; many: number; medium: number; few: number } | null;
  classes: ClassTable | null;
  /** The latest evaluation's confusion matrix (display order of this run's classes). */
  confusion: EncodedMatrix | null;
}

/** A group's value of a config key: the one its members share, or their distinct values (JSON-encoded, null = absent). */
export type GroupConfigCell = { kind: 'same'; value: string | null } | { kind: 'varies'; values: (string | null)[] };

/** A config key (dotted path) whose values differ between the compared runs and groups; values JSON-encoded, null = absent. */
export interface ConfigDifference {
  key: string;
  /** One per run. */
  values: (string | null)[];
  /** One per group, in the order of `CompareSnapshot.groups` (absent when there are none). */
  groups?: GroupConfigCell[];
}

/** Per epoch: mean, sample std (null with one member), min, max and n over a group's members. */
export interface BandSeries {
  epochs: number[];
  mean: number[];
  std: (number | null)[];
  min: number[];
  max: number[];
  n: number[];
}

export type CompareMetric = 'top1' | 'top5' | 'many' | 'medium' | 'few';

/** Statistics of one metric over a group's members. */
export interface GroupStats {
  mean: number;
  std: number | null;
  n: number;
  min: number;
  max: number;
}

/** A group of runs (e.g. the seeds of one config) drawn as one mean curve with a band. */
export interface CompareGroup {
  key: string;
  label: string;
  members: string[];
  memberNames: string[];
  curves: Record<CompareMetric, BandSeries>;
  /** The training loss by epoch (metrics.jsonl's epoch records), mean with its band. */
  loss: BandSeries;
  /** Statistics over the members' latest evaluations. */
  final: Record<CompareMetric, GroupStats | null>;
  classes: ClassTable | null;
  /**
   * The sum of the members' confusion matrices at their last common evaluated epoch (display
   * order); members without any evaluation file yet (a queued seed) are left out.
   */
  confusion: EncodedMatrix | null;
  confusionEpoch: number | null;
  /** How many members' matrices the sum holds. */
  confusionMembers: number;
  /** Why there is no summed matrix, when there is none. */
  confusionNote: string | null;
}

export interface CompareSnapshot {
  schema: typeof SNAPSHOT_SCHEMA;
  kind: 'compare';
  builtAt: string;
  runs: CompareRun[];
  /** Groups shown next to the runs (absent in older reports: none). */
  groups?: CompareGroup[];
  /** Band drawn around a group's mean curve. */
  band?: 'std' | 'minmax';
  configDiff: ConfigDifference[];
  /** True when every run has the same classes in the same display order (a confusion difference makes sense). */
  sameClasses: boolean;
  warnings: string[];
}

/** What `gpaco report` inlines: run views (with every evaluation's detail) and a comparison. */
export interface ReportData {
  schema: typeof SNAPSHOT_SCHEMA;
  kind: 'report';
  title: string;
  generatedAt: string;
  runs: { snapshot: RunSnapshot; details: Record<string, EvalDetail> }[];
  compare: CompareSnapshot | null;
}
