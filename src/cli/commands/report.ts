// gpaco report RUN... --out FILE.html [--title TEXT] [--max-evals N] [--runs-dir DIR]
// One self-contained HTML file with the dashboard's views of the runs (and a comparison when
// there are several): the webview bundle, the data and the styles inlined, nothing fetched.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OutputIsFolderError, writeOutputFile } from '../../core/atomicWrite';
import { dashboardPage, makeNonce, reportCsp } from '../../core/dashboardHtml';
import { buildGroupsCompare } from '../../core/compareGroups';
import { buildReportData, type ReportOptions } from '../../core/snapshot';
import type { CompareSnapshot } from '../../protocol/snapshot';
import { escapeHtml, groupsSectionHtml, GROUPS_SECTION_CSS } from '../../core/experiments/reportSection';
import { readRunSummaries, readRunSummary } from '../../core/experiments/summary';
import { DEFAULT_BEST_BY, allConfigKeys, buildRows, filterRows, groupRows } from '../../core/experiments/table';
import { FILTER_OPTIONS, GROUP_OPTIONS, VALUE_OPTION, exceptOf, rowFilterOf, valueModeOf } from '../experimentsOptions';
import { bytes } from '../render/format';
import { EXIT, RUNS_DIR_OPTION, UsageError, registerCommand, type CommandContext } from '../registry';
import { locateRun, runsDirOf } from '../runLookup';
import { readabilityLine, runFileProblems } from '../../core/readability';

/** The report page for run folders, with the dashboard bundle's text inlined (and a static section above it, e.g. the groups). */
export function renderReport(
  dirs: readonly string[],
  bundle: string,
  options: ReportOptions = {},
  prelude?: { html: string; css: string },
): { html: string; title: string } {
  const data = buildReportData(dirs, options);
  const nonce = makeNonce();
  const html = dashboardPage({
    title: data.title,
    boot: { panel: 'report' },
    data,
    nonce,
    csp: reportCsp(nonce),
    script: { inline: bundle },
    bodyClass: 'gpaco-report',
    ...(prelude ? { prelude } : {}),
  });
  return { html, title: data.title };
}

function report(ctx: CommandContext): number {
  const { io } = ctx;
  const out = ctx.string('out');
  if (!out) throw new UsageError('--out FILE.html is required');
  const maxText = ctx.string('max-evals');
  const maxEvals = maxText === undefined ? undefined : Number(maxText);
  if (maxEvals !== undefined && !(Number.isInteger(maxEvals) && maxEvals >= 1))
    throw new UsageError(`--max-evals must be a whole number >= 1 (got "${maxText}")`);
  const grouped = ctx.flag('group-by-config');
  const named = [...new Set(ctx.positionals.map((ref) => locateRun(ctx, ref)))];
  if (!grouped && named.length === 0) throw new UsageError('missing RUN... (or --group-by-config for every run of --runs-dir)');
  let dirs = named;
  let prelude: { html: string; css: string } | undefined;
  let compare: CompareSnapshot | undefined;
  let groupsLine = '';
  if (grouped) {
    const g = groupedReport(ctx, named);
    ({ dirs, prelude, compare } = g);
    groupsLine = `, ${g.groups} group${g.groups === 1 ? '' : 's'} of ${g.runs} run${g.runs === 1 ? '' : 's'}`;
  } else {
    const filtered = ['filter', 'tag', 'status', 'value', 'except', 'band'].filter(
      (o) => ctx.string(o) !== undefined || ctx.strings(o).length > 0,
    );
    if (filtered.length) throw new UsageError(`--${filtered[0]} goes with --group-by-config`);
  }
  if (dirs.length > 8)
    throw new UsageError(`a report compares at most 8 runs (got ${dirs.length}); --group-by-config draws any number as groups`);

  // A run whose run.json cannot be used has nothing to report: say so in the words every view uses.
  for (const dir of dirs) {
    const { manifest } = runFileProblems(dir);
    if (manifest !== undefined) {
      io.err(`gpaco report: ${path.basename(dir)}: ${readabilityLine('unreadable', [manifest])}`);
      return EXIT.failed;
    }
  }

  const bundleFile = path.join(ctx.bundleDir, 'webview', 'dashboard.js');
  let bundle: string;
  try {
    bundle = fs.readFileSync(bundleFile, 'utf8');
  } catch {
    io.err(`gpaco report: the dashboard bundle ${bundleFile} is missing; run \`npm run build\` first`);
    return EXIT.failed;
  }
  // The bundle's source map comment would point at a file the reader does not have.
  bundle = bundle.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
  const title = ctx.string('title');
  const { html } = renderReport(
    dirs,
    bundle,
    { ...(title ? { title } : {}), ...(maxEvals ? { maxEvals } : {}), ...(compare ? { compare } : {}) },
    prelude,
  );
  const file = path.resolve(ctx.cwd, out);
  try {
    writeOutputFile(file, html);
  } catch (err) {
    if (err instanceof OutputIsFolderError) throw new UsageError(`--out: ${err.message}`);
    throw err;
  }
  io.out(
    `wrote ${file} (${bytes(Buffer.byteLength(html))}${groupsLine}, ${dirs.length} run${dirs.length === 1 ? '' : 's'} in full: ${dirs.map((d) => path.basename(d)).join(', ')})`,
  );
  return EXIT.ok;
}

/**
 * `--group-by-config`: the named runs (or every run of --runs-dir), filtered, grouped by config
 * except --except; the groups table above the dashboard part, the Compare tab's groups (the
 * compare panel's data: bands, statistics, summed matrices, config differences) and the runs
 * shown in full: all of them up to 8, else the best run of each of the first 8 groups.
 */
function groupedReport(
  ctx: CommandContext,
  named: readonly string[],
): { dirs: string[]; prelude: { html: string; css: string }; compare: CompareSnapshot; groups: number; runs: number } {
  const mode = valueModeOf(ctx);
  const filter = rowFilterOf(ctx);
  const summaries = named.length ? named.map((d) => readRunSummary(d)) : readRunSummaries(runsDirOf(ctx));
  const all = buildRows(summaries, mode);
  const except = exceptOf(ctx, allConfigKeys(all));
  const band = ctx.string('band') ?? 'std';
  if (band !== 'std' && band !== 'minmax') throw new UsageError(`--band must be std or minmax (got "${band}")`);
  const rows = filterRows(all, filter);
  if (rows.length === 0) throw new UsageError(`no runs to report${summaries.length ? ' match the filter' : ` in ${runsDirOf(ctx)}`}`);
  const groups = groupRows(rows, { except });
  const by = mode.kind === 'best' ? mode.by : DEFAULT_BEST_BY;
  const dirs =
    rows.length <= 8
      ? rows.map((r) => r.summary.dir)
      : groups.slice(0, 8).map((g) => g.members.reduce((a, b) => ((b.metrics[by] ?? -1) > (a.metrics[by] ?? -1) ? b : a)).summary.dir);
  const html = groupsSectionHtml(groups, { mode, except });
  const compare = buildGroupsCompare(
    groups.map((g) => ({ label: g.label, dirs: g.members.map((m) => m.summary.dir) })),
    band,
  );
  const shown =
    rows.length <= 8
      ? ''
      : `<p class="gpaco-groups-note">Below in full: the run with the best ${escapeHtml(by)} of each of the first ${dirs.length} groups.</p>`;
  return {
    dirs,
    prelude: { html: `${html}\n${shown}`, css: GROUPS_SECTION_CSS },
    compare,
    groups: groups.length,
    runs: rows.length,
  };
}

registerCommand({
  name: 'report',
  summary: 'write one self-contained HTML report of runs (dashboard views, comparison)',
  usage: [
    'gpaco report RUN... --out FILE.html [--title TEXT] [--max-evals N] [--runs-dir DIR]',
    'gpaco report --group-by-config [RUN...] [--except KEYS] [--filter TEXT] [--tag T] [--value MODE] [--band std|minmax] --out FILE.html',
  ],
  details: [
    'The file inlines the dashboard, the data and the styles: it opens in any browser, offline, and can be shared as it is.',
    'With several runs it also has a Compare tab (curves overlaid, metric differences, config keys that differ, confusion difference).',
    "With --group-by-config (any number of runs: the named ones, else every run of --runs-dir, after --filter / --tag / --status) it starts with the groups: runs with equal configs except the seed (or --except KEYS) in a table of mean ± sample std (n) of every metric (at --value). Its Compare tab is the compare panel's view of the groups: each group's mean loss and accuracy curves with a ± std (or --band minmax) band, statistics of the latest evaluations, the config keys that differ (a key that varies inside a group listed compactly) and the summed confusion matrix at the last common epoch. Runs with different numbers of classes are never in one group.",
  ],
  options: [
    { name: 'out', type: 'string', short: 'o', value: 'FILE', help: 'the HTML file to write' },
    { name: 'title', type: 'string', value: 'TEXT', help: 'title of the report' },
    {
      name: 'max-evals',
      type: 'string',
      value: 'N',
      help: 'most recent evaluations per run with their full matrices inlined (default 20)',
    },
    RUNS_DIR_OPTION,
    ...GROUP_OPTIONS,
    ...FILTER_OPTIONS,
    VALUE_OPTION,
    {
      name: 'band',
      type: 'string',
      value: 'KIND',
      help: 'with --group-by-config: the band around each group mean curve, std (default) or minmax',
    },
  ],
  positionals: ['RUN...'],
  minPositionals: 0,
  run: (ctx) => Promise.resolve(report(ctx)),
});
