// The Experiments panel's wire: one snapshot type (host -> webview, sent whole after `ready`,
// after a change of value mode and after runs were added or removed), a live update with only
// the changed runs' rows, and the messages the webview may send, checked with TypeBox on arrival
// (validate.ts). The host builds the rows (src/core/experiments: which evaluation each metric
// cell shows); the webview filters, sorts and groups them itself with experimentsTable.ts, the
// code the host and `gpaco ls` use, and tells the host the view only to persist it
// (docs/architecture.md, "Experiments table").
import { Type, type Static } from '@sinclair/typebox';
import { METRIC_KEYS, type ConfigValue, type MetricKey, type Stats, type TableRow } from './experimentsTable';
import { ID_PATTERN, type Notice } from './messages';
import type { RunDisplayStatus } from './snapshot';

export { METRIC_LABELS } from './experimentsTable';

export const EXPERIMENTS_SCHEMA = 'gpaco-experiments/2';

export type MetricName = MetricKey;
export const METRIC_NAMES: readonly MetricName[] = METRIC_KEYS;

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
export type ConfigValueWire = ConfigValue;

/** Statistics of one metric over a group's members that have a value. */
export type MetricStats = Stats;

/** A run's row: everything a cell shows, and everything sorting, filtering and grouping read (TableRow). */
export interface ExperimentRow extends TableRow {
  /** `unknown`: a Slurm run whose cluster cannot be asked. */
  status: RunDisplayStatus | 'unknown';
  /** Why run files could not be read (the row stays, marked). */
  problem: string | null;
  /** meta.json could not be used (treated as empty; shown in the tooltip). */
  metaProblem: string | null;
  tags: string[];
  /** Epochs planned; null when unknown. */
  epochs: number | null;
  /** Values in the panel's value mode; null where the run has none. */
  metrics: Record<MetricName, number | null>;
  /** The whole flattened config (filter words match any entry; grouping compares every key). */
  config: Record<string, ConfigValueWire>;
}

export interface ExperimentsSnapshot {
  schema: typeof EXPERIMENTS_SCHEMA;
  kind: 'experiments';
  builtAt: string;
  /** The view the rows were built for (the value mode decides the metric values). */
  view: ExperimentsView;
  /** Echo of the webview's view counter: a snapshot for an older view keeps the newer local one. */
  seq: number;
  /** Every run, in the view's value mode. */
  rows: ExperimentRow[];
  /** Config keys whose values differ across the rows (`seed` always included): the config columns offered. */
  configKeys: string[];
  warnings: string[];
}

/** A live update: only the rows of runs whose files changed (the webview re-sorts and regroups). */
export interface ExperimentsUpdate {
  builtAt: string;
  rows: ExperimentRow[];
  configKeys: string[];
}

export type ExperimentsHostMessage =
  { type: 'snapshot'; snapshot: ExperimentsSnapshot } | { type: 'update'; update: ExperimentsUpdate } | Notice;

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
  /** The table as shown (rows or groups, visible columns, in the order on screen) to a CSV file. */
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
