// gpaco train (--preset NAME | --config FILE) [--runs-dir DIR] [--name N] [--set key=value ...]
//             [--backend B] [--workers N|auto] [--detach]
import { noteRunFolder } from '../failure';
import { PRESETS } from '../../core/config/presets';
import { BACKENDS } from '../../core/config/schema';
import type { ConfigSource, FlagOverride } from '../../core/config/pipeline';
import { createRunDirectory, runPaths } from '../../core/runDirectory';
import { describeConfig } from '../describe';
import { followRun } from '../follow';
import { trainCommand } from '../commandRun';
import { concludeRun } from '../outcome';
import { prepareForCli } from '../prepare';
import { workersValue, WORKERS_OPTION } from '../workersOption';
import { EXIT, RUNS_DIR_OPTION, UsageError, registerCommand, type CommandContext } from '../registry';
import { runsDirOf } from '../runLookup';
import { trainOnSlurm } from '../slurmSupport';
import { checkTrainer, spawnTrainer, trainerScript } from '../trainerProcess';

function sourceOf(ctx: CommandContext): ConfigSource {
  const preset = ctx.string('preset');
  const file = ctx.string('config');
  if ((preset === undefined) === (file === undefined)) {
    throw new UsageError(`give one of --preset NAME or --config FILE (presets: ${PRESETS.map((p) => p.name).join(', ')})`);
  }
  return preset !== undefined ? { kind: 'preset', name: preset } : { kind: 'file', path: file! };
}

async function train(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const backend = ctx.string('backend');
  const flags: FlagOverride[] = backend !== undefined ? [{ path: ['backend'], value: backend, flag: `--backend ${backend}` }] : [];
  const workers = ctx.string('workers');
  if (workers !== undefined) flags.push({ path: ['optim', 'workers'], value: workersValue(workers), flag: `--workers ${workers}` });
  const prepared = await prepareForCli(ctx, { source: sourceOf(ctx), cwd: ctx.cwd, sets: ctx.strings('set'), flags });
  if (typeof prepared === 'number') return prepared;
  const config = prepared.config;

  // A command trainer (trainer.kind "command") needs no trainer bundle.
  const isCommand = config.trainer?.kind === 'command';
  const script = trainerScript(ctx);
  // (A Slurm job still needs it: it starts the command on the compute node.)
  const missing = isCommand && config.launch.kind === 'local' ? undefined : checkTrainer(script);
  if (missing) {
    io.err(`gpaco train: ${missing}`);
    return EXIT.failed;
  }

  const runsDir = runsDirOf(ctx);
  const name = ctx.string('name');
  // launch.kind "slurm": a batch job on the cluster instead of a child process.
  if (config.launch.kind === 'slurm') return trainOnSlurm(ctx, config, runsDir, name);
  const { id, dir } = createRunDirectory(runsDir, { config, ...(name !== undefined ? { name } : {}), launch: { kind: 'local' } });
  noteRunFolder(dir);
  io.out(`run ${id}`);
  io.out(`  ${describeConfig(config)}`);
  io.out(`  directory ${dir}`);
  io.out(`  log ${runPaths(dir).log}`);

  const detach = ctx.flag('detach');
  if (config.trainer?.kind === 'command') return trainCommand(ctx, config.trainer, { id, dir }, detach);
  const child = spawnTrainer(script, ['run', dir], dir, { detach });
  if (detach) {
    io.out(`started in the background (pid ${child.pid ?? '?'}); watch it with: gpaco show ${id}`);
    return EXIT.ok;
  }
  if (io.isTTY) io.out('Ctrl-C stops after the current step and saves a checkpoint (gpaco resume continues)');
  const outcome = await followRun(child, dir, { io, fromStart: true });
  return concludeRun(dir, outcome, io);
}

registerCommand({
  name: 'train',
  summary: 'start a training run from a preset or a config file and follow it',
  usage: [
    'gpaco train (--preset NAME | --config FILE) [--runs-dir DIR] [--name N] [--set key=value ...] [--backend B] [--workers N|auto] [--detach]',
  ],
  options: [
    { name: 'preset', type: 'string', value: 'NAME', help: `built-in config: ${PRESETS.map((p) => p.name).join(', ')}` },
    {
      name: 'config',
      type: 'string',
      value: 'FILE',
      help: 'a run config JSON file (comments allowed; schema: schemas/run-config.schema.json)',
    },
    RUNS_DIR_OPTION,
    { name: 'name', type: 'string', value: 'N', help: 'display name of the run (default: the config name)' },
    {
      name: 'set',
      type: 'string',
      multiple: true,
      value: 'key=value',
      help: 'override a config field, e.g. --set loss.alpha=0.01 --set optim.epochs=5',
    },
    { name: 'backend', type: 'string', value: 'B', help: `TensorFlow.js backend: ${BACKENDS.join(', ')}` },
    WORKERS_OPTION,
    { name: 'detach', type: 'boolean', help: 'start the run in the background and return at once' },
  ],
  positionals: [],
  details: [
    'The config is validated before anything starts: every problem is listed with its field path',
    '(and file line), and no run folder is made. Progress is shown while the run trains; at the end',
    'top-1 and many / medium / few accuracy and the run folder are printed.',
  ],
  run: train,
});
