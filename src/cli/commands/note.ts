// gpaco note RUN ["TEXT"]: sets (or, with "", clears) a run's one-paragraph note in its
// meta.json; without TEXT prints it.
import * as path from 'node:path';
import { MetaError, readRunMeta, updateRunMeta } from '../../core/experiments/meta';
import { EXIT, RUNS_DIR_OPTION, UsageError, registerCommand, type CommandContext } from '../registry';
import { locateRun } from '../runLookup';

function note(ctx: CommandContext): number {
  const [ref, text] = ctx.positionals;
  const dir = locateRun(ctx, ref!);
  if (text === undefined) {
    const m = readRunMeta(dir);
    if (m.problem) ctx.io.err(`${path.basename(dir)}: ${m.problem}`);
    ctx.io.out(m.meta.note || '(no note)');
    return EXIT.ok;
  }
  try {
    const r = updateRunMeta(dir, { note: text });
    if (r.backup) ctx.io.err(`${path.basename(dir)}: meta.json was malformed; its content was kept in ${r.backup}`);
    ctx.io.out(r.meta.note ? `${path.basename(dir)}: note saved` : `${path.basename(dir)}: note cleared`);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof MetaError && !/meta\.json/.test(err.message)) throw new UsageError(err.message);
    ctx.io.err(`gpaco note: ${path.basename(dir)}: ${(err as Error).message}`);
    return EXIT.failed;
  }
}

registerCommand({
  name: 'note',
  summary: "show or set a run's one-paragraph note (kept in the run's meta.json)",
  usage: ['gpaco note RUN ["TEXT"] [--runs-dir DIR]'],
  details: ['With TEXT the note is replaced ("" clears it); without, it is printed. At most 4,000 characters.'],
  options: [RUNS_DIR_OPTION],
  positionals: ['RUN', 'TEXT'],
  minPositionals: 1,
  dashPositionals: true,
  run: (ctx) => Promise.resolve(note(ctx)),
});
