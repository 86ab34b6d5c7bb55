// gpaco export tensorboard RUN --out DIR [--runs-dir DIR]
// A run's curves as a TensorBoard event file (`tensorboard --logdir DIR` shows them).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportRunToTensorboard } from '../../core/tfevents/exportRun';
import { EXIT, RUNS_DIR_OPTION, UsageError, registerCommand, type CommandContext } from '../registry';
import { bytes } from '../render/format';
import { locateRun } from '../runLookup';

function runExport(ctx: CommandContext): number {
  const [kind, ref] = ctx.positionals as [string, string];
  if (kind !== 'tensorboard') throw new UsageError(`unknown export "${kind}": use tensorboard`);
  const out = ctx.string('out');
  if (!out) throw new UsageError('--out DIR is required');
  const dir = locateRun(ctx, ref);
  const r = exportRunToTensorboard(dir, path.resolve(ctx.cwd, out));
  ctx.io.out(`wrote ${r.file} (${bytes(fs.statSync(r.file).size)}, ${r.events} events, ${r.scalars} scalars)`);
  ctx.io.out(`  view it with: tensorboard --logdir ${path.dirname(r.file)}`);
  return EXIT.ok;
}

registerCommand({
  name: 'export',
  summary: "write a run's curves as TensorBoard event files (loss, lr, top-1 / top-5, many / medium / few)",
  usage: ['gpaco export tensorboard RUN --out DIR [--runs-dir DIR]'],
  details: [
    'Tags: train/loss, train/accuracy, lr per epoch; test/acc1, test/acc5, test/many, test/medium, test/few per evaluation (fractions 0..1). The step is the epoch.',
    'Each export writes a new events.out.tfevents.* file in DIR; `gpaco import tensorboard DIR` reads it back.',
  ],
  options: [{ name: 'out', type: 'string', short: 'o', value: 'DIR', help: 'folder to write the event file into' }, RUNS_DIR_OPTION],
  positionals: ['KIND', 'RUN'],
  run: (ctx) => Promise.resolve(runExport(ctx)),
});
