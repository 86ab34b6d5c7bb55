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
  sortGroups,
  sortRows,
  tableToCsv,
  type ColumnId,
  type SortDirection,
} from '../../core/experiments/table';
import { FILTER_OPTIONS, GROUP_OPTIONS, VALUE_OPTION, commaList, exceptOf, rowFilterOf, valueModeOf } from '../experimentsOptions';
import { EXIT, RUNS_DIR_OPTION, registerCommand, type CommandContext } from '../registry';
import { columnFromName, groupsTable, rowsTable } from '../render/experiments';
import { runsDirOf } from '../runLookup';

const DEFAULT_ROW_COLUMNS: readonly ColumnId[] = ['id', 'name', 'status', 'epochs', 'metric:top1', 'metric:few', 'backend', 'created'];
const DEFAULT_GROUP_COLUMNS: readonly ColumnId[] = ['name', 'n', 'metric:top1', 'metric:many', 'metric:medium', 'metric:few'];

/** `few`, `few:asc`, `loss.alpha:desc`: metrics sort best first unless told otherwise, other columns ascending. */
function sortSpec(text: string, configKeys: readonly string[]): { column: ColumnId; dir: SortDirection } {
  const m = /^(.*?)(?::(asc|desc))?$/.exec(text.trim())!;
  const column = columnFromName(m[1]!, configKeys);
  const dir = (m[2] as SortDirection | undefined) ?? (parseColumn(column)?.kind === 'metric' ? 'desc' : 'asc');
  return { column, dir };
}

function ls(ctx: CommandContext): number {
  const root = runsDirOf(ctx);
  const mode = valueModeOf(ctx);
  const grouped = ctx.flag('group-by-config');
  const filter = rowFilterOf(ctx);

  const summaries = readRunSummaries(root);
  const all = buildRows(summaries, mode);
  const configKeys = allConfigKeys(all);
  const columns =
    ctx.string('columns') !== undefined ? commaList(ctx.string('columns')).map((n) => columnFromName(n, configKeys)) : undefined;
  const sort = ctx.string('sort') !== undefined ? sortSpec(ctx.string('sort')!, configKeys) : undefined;
  const except = exceptOf(ctx, configKeys);

  let rows = filterRows(all, filter);
  if (sort && !grouped) rows = sortRows(rows, sort.column, sort.dir);

  if (grouped) {
    let groups = groupRows(rows, { except });
    if (sort) groups = sortGroups(groups, sort.column, sort.dir);
    if (ctx.flag('json')) {
      ctx.io.out(
        JSON.stringify(
          groups.map((g) => groupJson(g, mode)),
          null,
          2,
        ),
      );
      return EXIT.ok;
    }
    if (ctx.flag('csv')) {
      ctx.io.write(tableToCsv({ kind: 'groups', groups }, columns ?? DEFAULT_GROUP_COLUMNS, mode));
      return EXIT.ok;
    }
    if (groups.length === 0) {
      ctx.io.out(summaries.length ? `no runs match in ${root}` : `no runs in ${root}`);
      return EXIT.ok;
    }
    for (const l of groupsTable(groups, columns ?? DEFAULT_GROUP_COLUMNS, mode)) ctx.io.out(l);
    for (const g of groups) if (g.apart) ctx.io.out(`${g.label}: ${g.apart}`);
    ctx.io.out(
      `${groups.length} group${groups.length === 1 ? '' : 's'} of ${rows.length} run${rows.length === 1 ? '' : 's'} (equal configs except ${except.join(', ') || 'nothing'}; mean ± sample std (n)) in ${root}`,
    );
    return EXIT.ok;
  }

  if (ctx.flag('json')) {
    ctx.io.out(
      JSON.stringify(
        rows.map((r) => rowJson(r, mode)),
        null,
        2,
      ),
    );
    return EXIT.ok;
  }
  const shown =
    columns ??
    (mode.kind === 'last' ? DEFAULT_ROW_COLUMNS : [...DEFAULT_ROW_COLUMNS.slice(0, 6), 'valueEpoch', ...DEFAULT_ROW_COLUMNS.slice(6)]);
  if (ctx.flag('csv')) {
    ctx.io.write(tableToCsv({ kind: 'rows', rows }, shown, mode));
    return EXIT.ok;
  }
  if (rows.length === 0) {
    ctx.io.out(summaries.length ? `no runs match in ${root}` : `no runs in ${root}`);
    return EXIT.ok;
  }
  for (const l of rowsTable(rows, shown, mode)) ctx.io.out(l);
  for (const r of rows) if (r.summary.problem) ctx.io.err(`${r.summary.id}: ${r.summary.problem}`);
  for (const r of rows) if (r.summary.meta.problem) ctx.io.err(`${r.summary.id}: tags and note ignored: ${r.summary.meta.problem}`);
  const differing = differingConfigKeys(rows).filter((k) => !shown.includes(`config:${k}`));
  const filtered = rows.length === summaries.length ? '' : ` (of ${summaries.length})`;
  ctx.io.out(
    `${rows.length} run${rows.length === 1 ? '' : 's'}${filtered} in ${root}${differing.length && rows.length > 1 ? `; config keys that differ: ${differing.slice(0, 8).join(', ')}${differing.length > 8 ? ', ...' : ''}` : ''}`,
  );
  return EXIT.ok;
}

registerCommand({
  name: 'ls',
  summary: 'list the runs, newest first (status, progress, top-1 and few-shot accuracy); sort, filter, group seeds',
  usage: [
    'gpaco ls [--sort COL[:asc|:desc]] [--filter TEXT] [--tag T ...] [--status S ...] [--value MODE] [--columns LIST] [--runs-dir DIR] [--json | --csv]',
    'gpaco ls --group-by-config [--except KEY,...] [...the options above]',
  ],
  options: [
    RUNS_DIR_OPTION,
    { name: 'json', type: 'boolean', help: 'print the rows (or groups) as JSON, with the same numbers' },
    { name: 'csv', type: 'boolean', help: 'print the shown columns as CSV (groups: mean, std and n of each metric)' },
    {
      name: 'sort',
      type: 'string',
      value: 'COL',
      help: 'sort by a column: few, top1, loss.alpha, created, ... (metrics best first; add :asc / :desc)',
    },
    ...FILTER_OPTIONS,
    VALUE_OPTION,
    { name: 'columns', type: 'string', value: 'LIST', help: 'comma-separated columns, e.g. name,status,few,loss.alpha,seed' },
    ...GROUP_OPTIONS,
  ],
  positionals: [],
  details: [
    'A run whose trainer died without recording an outcome is shown as "interrupted" (resume it with gpaco resume).',
    'Columns: id, name, status, tags, created, duration, epochs, backend, classes, eval-epoch (the epoch the values come from), n, the metrics top1, top5, many, medium, few, and any config key (loss.alpha, optim.lr, seed, ...).',
    'Runs with different numbers of classes never share a group: their accuracies are not comparable.',
  ],
  run: (ctx) => Promise.resolve(ls(ctx)),
});
