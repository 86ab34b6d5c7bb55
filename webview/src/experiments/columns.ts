// The columns of the experiments table: what each shows for a run row and for a group row, and
// the header text, which states the value mode (last / best by a metric / at epoch N) so a best
// value is never read as a last one.
import {
  METRIC_LABELS,
  type ConfigValueWire,
  type ExperimentRow,
  type ExperimentsView,
  type MetricName,
  type MetricStats,
} from '../../../src/protocol/experiments';
import { groupCell, type TableGroup } from '../../../src/protocol/experimentsTable';
import { duration } from '../dom';

export type RowGroup = TableGroup<ExperimentRow>;

export type Item =
  { kind: 'run'; row: ExperimentRow; member: boolean } | { kind: 'group'; group: RowGroup; label: string; expanded: boolean };

/** A group's config cells: shared values, or the members' values joined (`0,1,2` for seed). */
export function groupConfig(g: RowGroup, keys: readonly string[]): Record<string, ConfigValueWire> {
  const out: Record<string, ConfigValueWire> = {};
  for (const k of keys) {
    const v = groupCell(g, `config:${k}`);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

export interface Column {
  id: string;
  label: string;
  /** Header tooltip. */
  title: string;
  width: number;
  numeric: boolean;
  text(item: Item): string;
}

/** A fraction as a percentage with one decimal, without the sign (the header says %). */
export const pct1 = (v: number | null | undefined): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : (v * 100).toFixed(1);

/** `mean ± std (n)` in percent; a single member shows its value and (1). */
export function statsText(s: MetricStats | null | undefined): string {
  if (!s) return '–';
  return s.std === null ? `${pct1(s.mean)} (${s.n})` : `${pct1(s.mean)} ± ${pct1(s.std)} (${s.n})`;
}

export function valueModeText(view: ExperimentsView): string {
  switch (view.value.kind) {
    case 'last':
      return 'last';
    case 'best':
      return `best ${METRIC_LABELS[view.value.by]}`;
    case 'epoch':
      return `epoch ${view.value.epoch}`;
  }
}

/** A config value as shown (absent: a dash). */
export function configText(v: ConfigValueWire | undefined): string {
  return v === undefined ? '–' : String(v);
}

function created(iso: string | null): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '–';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

const runOnly = (f: (r: ExperimentRow) => string) => (item: Item) => (item.kind === 'run' ? f(item.row) : '');

export function columnsFor(view: ExperimentsView, configKeys: readonly string[]): Column[] {
  const mode = valueModeText(view);
  const metric = (m: MetricName): Column => ({
    id: `metric:${m}`,
    label: `${METRIC_LABELS[m]} % · ${mode}`,
    title: `${METRIC_LABELS[m]} accuracy in %, ${mode === 'last' ? 'at the last evaluation' : view.value.kind === 'best' ? `at the evaluation with the best ${mode.slice(5)} accuracy` : `at ${mode}`}; groups: mean ± sample std (n)`,
    width: view.groupBy ? 128 : 86,
    numeric: true,
    text: (item) => (item.kind === 'run' ? pct1(item.row.metrics[m]) : statsText(item.group.metrics[m])),
  });
  const fixed: Column[] = [
    { id: 'status', label: '', title: 'status', width: 26, numeric: false, text: runOnly((r) => r.status) },
    {
      id: 'name',
      label: 'name',
      title: 'run name (groups: the config values they share)',
      width: 220,
      numeric: false,
      text: (item) => (item.kind === 'run' ? item.row.name : item.label),
    },
    { id: 'tags', label: 'tags', title: 'tags (meta.json)', width: 120, numeric: false, text: runOnly((r) => r.tags.join(' ')) },
    { id: 'created', label: 'created', title: 'created', width: 130, numeric: false, text: runOnly((r) => created(r.createdAt)) },
    {
      id: 'duration',
      label: 'duration',
      title: 'wall time from start to end (or now)',
      width: 76,
      numeric: true,
      text: runOnly((r) => duration(r.durationSeconds)),
    },
    {
      id: 'epochs',
      label: 'epochs',
      title: 'epochs done / planned',
      width: 70,
      numeric: true,
      text: runOnly((r) => `${r.epoch ?? 0}/${r.epochs ?? 0}`),
    },
    { id: 'backend', label: 'backend', title: 'TensorFlow.js backend', width: 76, numeric: false, text: runOnly((r) => r.backend ?? '–') },
    {
      id: 'classes',
      label: 'classes',
      title: 'number of classes (runs with different class counts are never grouped together)',
      width: 60,
      numeric: true,
      text: (item) => String((item.kind === 'run' ? item.row.classes : item.group.classes) ?? '–'),
    },
  ];
  const valueEpoch: Column = {
    id: 'valueEpoch',
    label: view.value.kind === 'best' ? `epoch of ${mode}` : view.value.kind === 'last' ? 'last eval' : 'epoch',
    title: 'epoch of the evaluation the metric columns show',
    width: 74,
    numeric: true,
    text: runOnly((r) => (r.valueEpoch === null ? '–' : String(r.valueEpoch))),
  };
  const metrics = (['top1', 'many', 'medium', 'few', 'top5'] as const).map(metric);
  const config = (view.configColumns ?? configKeys)
    .filter((k) => configKeys.includes(k))
    .map((k): Column => ({
      id: `config:${k}`,
      label: k,
      title: `config ${k}`,
      width: Math.max(70, Math.min(160, k.length * 7 + 16)),
      numeric: false,
      text: (item) => configText(item.kind === 'run' ? item.row.config[k] : groupCell(item.group, `config:${k}`)),
    }));
  return [...fixed, valueEpoch, ...metrics, ...config];
}
