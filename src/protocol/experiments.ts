// The Experiments panel's wire: one snapshot type (host -> webview, sent whole after `ready`
// and after a run changed, like the dashboard's), a smaller `shown` message after a sort or
// filter, and the messages the webview may send, checked with TypeBox on arrival (validate.ts).
// Rows, their order, filtering and group statistics are all computed by the host with
// src/core/experiments; the webview only renders (docs/architecture.md, "Experiments table").
import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN, type Notice } from './messages';
import type { RunDisplayStatus } from './snapshot';

export const EXPERIMENTS_SCHEMA = 'gpaco-experiments/1';

export type MetricName = 'top1' | 'top5' | 'many' | 'medium' | 'few';
export const METRIC_NAMES: readonly MetricName[] = ['top1', 'top5', 'many', 'medium', 'few'];
export const METRIC_LABELS: Record<MetricName, string> = { top1: 'top-1', top5: 'top-5', many: 'many', medium: 'medium', few: 'few' };

// ---- view state (webview -> host, persisted per workspace) ---------------------------------

const Metric = Type.Union(METRIC_NAMES.map((m) => Type.Literal(m)));
/** A dotted config path such as `loss.alpha`: letters, digits, `_`, `-`, dots between. */
export const CONFIG_KEY_PATTERN = '^[A-Za-z0-9_$-]+(\\.[A-Za-z0-9_$-]+){0,15}$';
const ConfigKey = Type.String({ pattern: CONFIG_KEY_PATTERN, maxLength: 200 });
/** Fixed columns and `config:<key>` / `metric:<name>` columns. */
const ColumnId = Type.String({
  pattern:
    '^(name|status|tags|created|duration|epochs|backend|classes|valueEpoch|metric:(top1|top5|many|medium|few)|config:[A-Za-z0-9_$.-]{1,200})$',
  maxLength: 210,
});
const strict = { additionalProperties: false } as const;

export const ValueModeSchema = Type.Union([
  Type.Object({ kind: Type.Literal('last') }, strict),
  Type.Object({ kind: Type.Literal('best'), by: Metric }, strict),
  Type.Object({ kind: Type.Literal('epoch'), epoch: Type.Integer({ minimum: 0, maximum: 1_000_000 }) }, strict),
]);
export type ValueModeWire = Static<typeof ValueModeSchema>;

export const ExperimentsViewSchema = Type.Object(
  {
    value: ValueModeSchema,
    /** null: one row per run; otherwise runs whose configs agree except these keys share a group. */
    groupBy: Type.Union([Type.Null(), Type.Object({ except: Type.Array(ConfigKey, { maxItems: 200 }) }, strict)]),
    /** Config columns shown (dotted keys); null: every key that differs. The fixed and metric columns are always shown. */
    configColumns: Type.Union([Type.Null(), Type.Array(ConfigKey, { maxItems: 200 })]),
    sort: Type.Union([Type.Null(), Type.Object({ column: ColumnId, descending: Type.Boolean() }, strict)]),
    filter: Type.Object(
      {
        text: Type.String({ maxLength: 500 }),
        status: Type.Union([
          Type.Literal(''),
          Type.String({ pattern: '^(queued|running|completed|failed|stopped|interrupted|unreadable|unknown)$' }),
        ]),
        tag: Type.String({ maxLength: 40 }),
      },
      strict,
    ),
    /** What the parallel-coordinates view colours by and puts on its last axis. */
    plotMetric: Metric,
    /** Group bands in Compare: ± sample std or min-max. */
    band: Type.Union([Type.Literal('std'), Type.Literal('minmax')]),
  },
  strict,
);
export type ExperimentsView = Static<typeof ExperimentsViewSchema>;

export const DEFAULT_EXPERIMENTS_VIEW: ExperimentsView = {
  value: { kind: 'last' },
  groupBy: null,
  configColumns: null,
  sort: null,
  filter: { text: '', status: '', tag: '' },
  plotMetric: 'few',
  band: 'std',
};

// ---- snapshot (host -> webview) ------------------------------------------------------------

/** A flattened config value (as src/core/experiments' summaries hold it). */
export type ConfigValueWire = string | number | boolean | null;

/** Statistics of one metric over a group's members that have a value. */
export interface MetricStats {
  mean: number;
  /** Sample standard deviation (n - 1); null for n = 1. */
  std: number | null;
  n: number;
  min: number;
  max: number;
}

export interface ExperimentRow {
  /** Run id (folder name). */
  id: string;
  name: string;
  /** `unknown`: a Slurm run whose cluster cannot be asked. */
  status: RunDisplayStatus | 'unknown';
  /** Why run files could not be read (the row stays, marked). */
  problem: string | null;
  /** meta.json could not be used (treated as empty; shown in the tooltip). */
  metaProblem: string | null;
  tags: string[];
  note: string;
  createdAt: string | null;
  durationSeconds: number | null;
  epoch: number;
  epochs: number;
  backend: string | null;
  classes: number | null;
  /** Values in the panel's value mode; null where the run has none. */
  metrics: Record<MetricName, number | null>;
  /** Epoch the values come from (the last evaluation, the best one, or N); null when none. */
  valueEpoch: number | null;
  /** Config values of the snapshot's `configKeys`; absent key = not in the config. */
  config: Record<string, ConfigValueWire>;
}

export interface ExperimentGroup {
  /** Stable id of the group (its config values apart from the excepted keys, and class count). */
  key: string;
  /** The values of the keys that differ between groups, e.g. `loss.kind=gpaco loss.alpha=0.05`. */
  label: string;
  /** Member run ids, in the table's sort order (filtered members only). */
  members: string[];
  classes: number | null;
  metrics: Record<MetricName, MetricStats | null>;
  /** Cell values for the config columns: shared values, or the members' values joined (`0,1,2` for seed). */
  config: Record<string, ConfigValueWire>;
}

/** What is shown and in which order: recomputed by the host after every view change. */
export interface ExperimentsShown {
  /** Echo of the webview's view counter, so a late answer to an older view is dropped. */
  seq: number;
  view: ExperimentsView;
  /** Ids of the rows that pass the filter, sorted (ungrouped view). */
  order: string[];
  /** Present when the view groups: groups over the filtered rows, sorted. */
  groups: ExperimentGroup[] | null;
  /** Why some runs were kept apart when grouping (different class counts), or null. */
  groupNote: string | null;
  /** Time the host took to filter, sort and group (ms). */
  hostMs: number;
}

export interface ExperimentsSnapshot {
  schema: typeof EXPERIMENTS_SCHEMA;
  kind: 'experiments';
  builtAt: string;
  /** Every run, in the panel's value mode. */
  rows: ExperimentRow[];
  /** Config keys whose values differ across the rows (`seed` always included). */
  configKeys: string[];
  shown: ExperimentsShown;
  warnings: string[];
}

/** A live update: only the rows of runs whose files changed, and what is shown now. */
export interface ExperimentsUpdate {
  builtAt: string;
  rows: ExperimentRow[];
  configKeys: string[];
  shown: ExperimentsShown;
}

export type ExperimentsHostMessage =
  | { type: 'snapshot'; snapshot: ExperimentsSnapshot }
  | { type: 'shown'; shown: ExperimentsShown }
  | { type: 'update'; update: ExperimentsUpdate }
  | Notice;

// ---- webview -> host -----------------------------------------------------------------------

const RunId = Type.String({ pattern: ID_PATTERN, maxLength: 200 });
/** A group in a Compare request: its member runs. */
const CompareItem = Type.Union([
  Type.Object({ kind: Type.Literal('run'), runId: RunId }, strict),
  Type.Object(
    { kind: Type.Literal('group'), label: Type.String({ maxLength: 300 }), runIds: Type.Array(RunId, { minItems: 1, maxItems: 5000 }) },
    strict,
  ),
]);
export type CompareItemWire = Static<typeof CompareItem>;

export const ExperimentsWebviewMessageSchema = Type.Union([
  Type.Object({ type: Type.Literal('ready') }, strict),
  Type.Object({ type: Type.Literal('view'), view: ExperimentsViewSchema, seq: Type.Integer({ minimum: 0 }) }, strict),
  Type.Object(
    {
      type: Type.Literal('compare'),
      items: Type.Array(CompareItem, { minItems: 1, maxItems: 5000 }),
      band: Type.Union([Type.Literal('std'), Type.Literal('minmax')]),
    },
    strict,
  ),
  Type.Object({ type: Type.Literal('editTags'), runIds: Type.Array(RunId, { minItems: 1, maxItems: 5000 }) }, strict),
  Type.Object({ type: Type.Literal('editNote'), runId: RunId }, strict),
  Type.Object({ type: Type.Literal('open'), runId: RunId }, strict),
  /** The table as shown (the host's view: rows or groups, visible columns) to a CSV file. */
  Type.Object({ type: Type.Literal('exportCsv') }, strict),
  Type.Object(
    {
      type: Type.Literal('log'),
      level: Type.Union([Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')]),
      text: Type.String({ maxLength: 4000 }),
    },
    strict,
  ),
]);
export type ExperimentsWebviewMessage = Static<typeof ExperimentsWebviewMessageSchema>;
