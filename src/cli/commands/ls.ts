// gpaco ls [--runs-dir DIR] [--json]
import { listRuns, type RunSummary } from '../../core/catalog';
import { summaryJson } from '../describe';
import { EXIT, RUNS_DIR_OPTION, registerCommand, type CommandContext } from '../registry';
import { localTime, pct, truncate } from '../render/format';
import { renderTable } from '../render/table';
import { runsDirOf } from '../runLookup';

export function runsTable(runs: readonly RunSummary[]): string[] {
  return renderTable(
    [
      { header: 'ID' },
      { header: 'NAME' },
      { header: 'STATUS' },
      { header: 'EPOCH', align: 'right' },
      { header: 'TOP-1', align: 'right' },
      { header: 'FEW', align: 'right' },
      { header: 'BACKEND' },
      { header: 'CREATED' },
    ],
    runs.map((s) => {
      const m = s.manifest;
      return [
        s.id,
        truncate(m?.name ?? '?', 24),
        s.status,
        m ? `${m.progress.epoch}/${m.progress.epochs}` : '-',
        pct(s.latestEval?.top1),
        pct(s.latestEval?.few),
        m?.backend ?? '-',
        localTime(s.createdAt),
      ];
    }),
  );
}

async function ls(ctx: CommandContext): Promise<number> {
  const root = runsDirOf(ctx);
  const runs = listRuns(root);
  if (ctx.flag('json')) {
    ctx.io.out(JSON.stringify(runs.map(summaryJson), null, 2));
    return EXIT.ok;
  }
  if (runs.length === 0) {
    ctx.io.out(`no runs in ${root}`);
    return EXIT.ok;
  }
  for (const l of runsTable(runs)) ctx.io.out(l);
  const broken = runs.filter((r) => r.problems.length);
  for (const r of broken) ctx.io.err(`${r.id}: ${r.problems.join('; ')}`);
  ctx.io.out(`${runs.length} run${runs.length === 1 ? '' : 's'} in ${root}`);
  return EXIT.ok;
}

registerCommand({
  name: 'ls',
  summary: 'list the runs, newest first (status, progress, latest top-1 and few-shot accuracy)',
  usage: ['gpaco ls [--runs-dir DIR] [--json]'],
  options: [RUNS_DIR_OPTION, { name: 'json', type: 'boolean', help: 'print the runs as JSON' }],
  positionals: [],
  details: ['A run whose trainer died without recording an outcome is shown as "interrupted" (resume it with gpaco resume).'],
  run: ls,
});
