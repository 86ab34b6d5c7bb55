// gpaco ls [--sort COL] [--filter TEXT] [--tag T] [--status S] [--value MODE] [--columns LIST]
//          [--group-by-config [--except KEYS]] [--runs-dir DIR] [--json]
// The experiments table in a terminal: the same rows, groups and numbers as the Experiments
// panel, from core/experiments.
import { groupJson, rowJson } from '../../core/experiments/json';
import { readRunSummaries } from '../../core/experiments/summary';
import {
  allConfigKeys,
  buildRows,
  differingConfigKeys,
  filterRows,
  groupRows,
  parseColumn,
  parseValueMode,
  sortGroups,
  sortRows,
  type ColumnId,
  type SortDirection,
  type ValueMode,
} from '../../core/experiments/table';
import type { DisplayStatus } from '../../core/contract';
import { EXIT, RUNS_DIR_OPTION, UsageError, registerCommand, type CommandContext } from '../registry';
import { columnFromName, groupsTable, rowsTable } from '../render/experiments';
import { runsDirOf } from '../runLookup';

const STATUSES: readonly DisplayStatus[] = ['queued', 'running', 'completed', 'failed', 'stopped', 'interrupted', 'unreadable', 'unknown'];
const DEFAULT_ROW_COLUMNS: readonly ColumnId[] = ['id', 'name', 'status', 'epochs', 'metric:top1', 'metric:few', 'backend', 'created'];
const DEFAULT_GROUP_COLUMNS: readonly ColumnId[] = ['name', 'n', 'metric:top1', 'metric:many', 'metric:medium', 'metric:few'];

function valueMode(ctx: CommandContext): ValueMode {
  const text = ctx.string('value');
  if (text === undefined) return { kind: 'last' };
  const mode = parseValueMode(text);
  if ('error' in mode) throw new UsageError(`--value ${mode.error}`);
  return mode;
}

/** `few`, `few:asc`, `loss.alpha:desc`: metrics sort best first unless told otherwise, other columns ascending. */
function sortSpec(text: string, configKeys: readonly string[]): { column: ColumnId; dir: SortDirection } {
  const m = /^(.*?)(?::(asc|desc))?$/.exec(text.trim())!;
  const column = columnFromName(m[1]!, configKeys);
  const dir = (m[2] as SortDirection | undefined) ?? (parseColumn(column)?.kind === 'metric' ? 'desc' : 'asc');
  return { column, dir };
}

function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

async function ls(ctx: CommandContext): Promise<number> {
  const root = runsDirOf(ctx);
  const mode = valueMode(ctx);
  const grouped = ctx.flag('group-by-config');
  const exceptText = ctx.string('except');
  if (exceptText !== undefined && !grouped) throw new UsageError('--except goes with --group-by-config');
  const statuses = ctx.strings('status');
  for (const s of statuses) if (!(STATUSES as readonly string[]).includes(s)) throw new UsageError(`--status "${s}" is not a status (one of ${STATUSES.join(', ')})`);

  const summaries = readRunSummaries(root);
  const all = buildRows(summaries, mode);
  const configKeys = allConfigKeys(all);
  const columns = ctx.string('columns') !== undefined ? list(ctx.string('columns')).map((n) => columnFromName(n, configKeys)) : undefined;
  const sort = ctx.string('sort') !== undefined ? sortSpec(ctx.string('sort')!, configKeys) : undefined;
  const except = exceptText === undefined ? ['seed'] : list(exceptText);
  for (const k of except) if (!configKeys.includes(k)) columnFromName(k, configKeys);

  let rows = filterRows(all, { text: ctx.string('filter') ?? '', statuses: statuses as DisplayStatus[], tags: ctx.strings('tag') });
  if (sort && !grouped) rows = sortRows(rows, sort.column, sort.dir);

  if (grouped) {
    let groups = groupRows(rows, { except });
    if (sort) groups = sortGroups(groups, sort.column, sort.dir);
    if (ctx.flag('json')) {
      ctx.io.out(JSON.stringify(groups.map((g) => groupJson(g, mode)), null, 2));
      return EXIT.ok;
    }
    if (groups.length === 0) {
      ctx.io.out(summaries.length ? `no runs match in ${root}` : `no runs in ${root}`);
      return EXIT.ok;
    }
    for (const l of groupsTable(groups, columns ?? DEFAULT_GROUP_COLUMNS, mode)) ctx.io.out(l);
    for (const g of groups) if (g.apart) ctx.io.out(`${g.label}: ${g.apart}`);
    ctx.io.out(`${groups.length} group${groups.length === 1 ? '' : 's'} of ${rows.length} run${rows.length === 1 ? '' : 's'} (equal configs except ${except.join(', ') || 'nothing'}; mean ± sample std (n)) in ${root}`);
    return EXIT.ok;
  }

  if (ctx.flag('json')) {
    ctx.io.out(JSON.stringify(rows.map((r) => rowJson(r, mode)), null, 2));
    return EXIT.ok;
  }
  if (rows.length === 0) {
    ctx.io.out(summaries.length ? `no runs match in ${root}` : `no runs in ${root}`);
    return EXIT.ok;
  }
  const shown = columns ?? (mode.kind === 'last' ? DEFAULT_ROW_COLUMNS : [...DEFAULT_ROW_COLUMNS.slice(0, 6), 'valueEpoch', ...DEFAULT_ROW_COLUMNS.slice(6)]);
  for (const l of rowsTable(rows, shown, mode)) ctx.io.out(l);
  for (const r of rows) if (r.summary.problem) ctx.io.err(`${r.summary.id}: ${r.summary.problem}`);
  for (const r of rows) if (r.summary.meta.problem) ctx.io.err(`${r.summary.id}: tags and note ignored: ${r.summary.meta.problem}`);
  const differing = differingConfigKeys(rows).filter((k) => !shown.includes(`config:${k}`));
  const filtered = rows.length === summaries.length ? '' : ` (of ${summaries.length})`;
  ctx.io.out(`${rows.length} run${rows.length === 1 ? '' : 's'}${filtered} in ${root}${differing.length && rows.length > 1 ? `; config keys that differ: ${differing.slice(0, 8).join(', ')}${differing.length > 8 ? ', ...' : ''}` : ''}`);
  return EXIT.ok;
}

registerCommand({
  name: 'ls',
  summary: 'list the runs, newest first (status, progress, top-1 and few-shot accuracy); sort, filter, group seeds',
  usage: [
    'gpaco ls [--sort COL[:asc|:desc]] [--filter TEXT] [--tag T ...] [--status S ...] [--value MODE] [--columns LIST] [--runs-dir DIR] [--json]',
    'gpaco ls --group-by-config [--except KEY,...] [...the options above]',
  ],
  options: [
    RUNS_DIR_OPTION,
    { name: 'json', type: 'boolean', help: 'print the rows (or groups) as JSON, with the same numbers' },
    { name: 'sort', type: 'string', value: 'COL', help: 'sort by a column: few, top1, loss.alpha, created, ... (metrics best first; add :asc / :desc)' },
    { name: 'filter', type: 'string', value: 'TEXT', help: 'keep runs whose name, id, tags, note or config (key=value) contain every word' },
    { name: 'tag', type: 'string', multiple: true, value: 'T', help: 'keep runs with this tag (repeatable: all of them)' },
    { name: 'status', type: 'string', multiple: true, value: 'S', help: 'keep runs with this status (repeatable)' },
    { name: 'value', type: 'string', value: 'MODE', help: 'metric values: last (default), best[:METRIC] (best evaluation by few, or METRIC), epoch:N' },
    { name: 'columns', type: 'string', value: 'LIST', help: 'comma-separated columns, e.g. name,status,few,loss.alpha,seed' },
    { name: 'group-by-config', type: 'boolean', help: 'one line per config (runs equal except seed): mean ± sample std (n)' },
    { name: 'except', type: 'string', value: 'KEYS', help: 'with --group-by-config: the config keys that may differ inside a group (default seed)' },
  ],
  positionals: [],
  details: [
    'A run whose trainer died without recording an outcome is shown as "interrupted" (resume it with gpaco resume).',
    'Columns: id, name, status, tags, created, duration, epochs, backend, classes, eval-epoch (the epoch the values come from), n, the metrics top1, top5, many, medium, few, and any config key (loss.alpha, optim.lr, seed, ...).',
    'Runs with different numbers of classes never share a group: their accuracies are not comparable.',
  ],
  run: ls,
});
