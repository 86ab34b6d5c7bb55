// gpaco tag RUN... [+TAG ...] [-TAG ...]: adds / removes tags in the runs' meta.json; with no
// +/- arguments, prints each run's tags.
import * as path from 'node:path';
import { MetaError, readRunMeta, updateRunMeta } from '../../core/experiments/meta';
import { EXIT, RUNS_DIR_OPTION, UsageError, registerCommand, type CommandContext } from '../registry';
import { locateRun } from '../runLookup';

function tag(ctx: CommandContext): number {
  const add = ctx.positionals.filter((a) => a.startsWith('+')).map((a) => a.slice(1));
  const remove = ctx.positionals.filter((a) => a.startsWith('-')).map((a) => a.slice(1));
  const refs = ctx.positionals.filter((a) => !a.startsWith('+') && !a.startsWith('-'));
  if (refs.length === 0) throw new UsageError('missing RUN (give the run, then +TAG to add and -TAG to remove)');
  const dirs = [...new Set(refs.map((r) => locateRun(ctx, r)))];
  if (add.length === 0 && remove.length === 0) {
    for (const dir of dirs) {
      const m = readRunMeta(dir);
      ctx.io.out(`${path.basename(dir)}: ${m.meta.tags.length ? m.meta.tags.join(' ') : '(no tags)'}`);
      if (m.problem) ctx.io.err(`${path.basename(dir)}: ${m.problem}`);
    }
    return EXIT.ok;
  }
  let failed = false;
  for (const dir of dirs) {
    try {
      const r = updateRunMeta(dir, { addTags: add, removeTags: remove });
      if (r.backup) ctx.io.err(`${path.basename(dir)}: meta.json was malformed; its content was kept in ${r.backup}`);
      ctx.io.out(`${path.basename(dir)}: ${r.meta.tags.length ? r.meta.tags.join(' ') : '(no tags)'}`);
    } catch (err) {
      // A bad tag is bad usage, the same for every run: say it once.
      if (err instanceof MetaError && !/meta\.json/.test(err.message)) throw new UsageError(err.message);
      ctx.io.err(`gpaco tag: ${path.basename(dir)}: ${(err as Error).message}`);
      failed = true;
    }
  }
  return failed ? EXIT.failed : EXIT.ok;
}

registerCommand({
  name: 'tag',
  summary: "add or remove tags of runs (kept in the run's meta.json)",
  usage: ['gpaco tag RUN... [+TAG ...] [-TAG ...] [--runs-dir DIR]'],
  details: [
    'Example: gpaco tag 20261128-035706-demo +baseline -draft. With no +TAG / -TAG it prints the tags.',
    'A tag is 1-40 characters without whitespace or control characters. gpaco ls --tag T lists the runs with a tag.',
  ],
  options: [RUNS_DIR_OPTION],
  positionals: ['RUN...'],
  minPositionals: 1,
  dashPositionals: true,
  run: (ctx) => Promise.resolve(tag(ctx)),
});
