// gpaco report RUN... --out FILE.html [--title TEXT] [--max-evals N] [--runs-dir DIR]
// One self-contained HTML file with the dashboard's views of the runs (and a comparison when
// there are several): the webview bundle, the data and the styles inlined, nothing fetched.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../core/atomicWrite';
import { dashboardPage, makeNonce, reportCsp } from '../../core/dashboardHtml';
import { buildReportData, type ReportOptions } from '../../core/snapshot';
import { bytes } from '../render/format';
import { EXIT, RUNS_DIR_OPTION, UsageError, registerCommand, type CommandContext } from '../registry';
import { locateRun } from '../runLookup';

/** The report page for run folders, with the dashboard bundle's text inlined. */
export function renderReport(dirs: readonly string[], bundle: string, options: ReportOptions = {}): { html: string; title: string } {
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
  });
  return { html, title: data.title };
}

async function report(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const out = ctx.string('out');
  if (!out) throw new UsageError('--out FILE.html is required');
  const maxText = ctx.string('max-evals');
  const maxEvals = maxText === undefined ? undefined : Number(maxText);
  if (maxEvals !== undefined && !(Number.isInteger(maxEvals) && maxEvals >= 1)) throw new UsageError(`--max-evals must be a whole number >= 1 (got "${maxText}")`);
  const dirs = [...new Set(ctx.positionals.map((ref) => locateRun(ctx, ref)))];
  if (dirs.length > 8) throw new UsageError(`a report compares at most 8 runs (got ${dirs.length})`);

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
  const { html } = renderReport(dirs, bundle, { ...(title ? { title } : {}), ...(maxEvals ? { maxEvals } : {}) });
  const file = path.resolve(ctx.cwd, out);
  writeFileAtomic(file, html);
  io.out(`wrote ${file} (${bytes(Buffer.byteLength(html))}, ${dirs.length} run${dirs.length === 1 ? '' : 's'}: ${dirs.map((d) => path.basename(d)).join(', ')})`);
  return EXIT.ok;
}

registerCommand({
  name: 'report',
  summary: 'write one self-contained HTML report of runs (dashboard views, comparison)',
  usage: ['gpaco report RUN... --out FILE.html [--title TEXT] [--max-evals N] [--runs-dir DIR]'],
  details: [
    'The file inlines the dashboard, the data and the styles: it opens in any browser, offline, and can be shared as it is.',
    'With several runs it also has a Compare tab (curves overlaid, metric differences, config keys that differ, confusion difference).',
  ],
  options: [
    { name: 'out', type: 'string', short: 'o', value: 'FILE', help: 'the HTML file to write' },
    { name: 'title', type: 'string', value: 'TEXT', help: 'title of the report' },
    { name: 'max-evals', type: 'string', value: 'N', help: 'most recent evaluations per run with their full matrices inlined (default 20)' },
    RUNS_DIR_OPTION,
  ],
  positionals: ['RUN...'],
  minPositionals: 1,
  run: report,
});
