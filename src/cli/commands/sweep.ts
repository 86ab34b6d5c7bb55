// gpaco sweep (CONFIG | --preset NAME) --grid key=v1,v2 ... [--set key=value ...] [--runs-dir DIR]
//             [--name N] [--launch local|slurm] [--max-concurrent N] [--detach]
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { ConfigSource, FlagOverride } from '../../core/config/pipeline';
import { PRESETS } from '../../core/config/presets';
import { LAUNCH_KINDS } from '../../core/config/schema';
import { summarizeRun } from '../../core/catalog';
import { MetricsTail } from '../../core/metricsLog';
import { createRunDirectory, readRunManifest, runPaths, updateRunManifest } from '../../core/runDirectory';
import { submitArray } from '../../core/slurm/launch';
import { newSweepId, sweepDir, writeSweepRecord, type SweepRecord } from '../../core/sweep';
import { prepareForCli } from '../prepare';
import { EXIT, RUNS_DIR_OPTION, UsageError, registerCommand, type CommandContext } from '../registry';
import { pct } from '../render/format';
import { renderRecordLine } from '../render/progress';
import { renderTable } from '../render/table';
import { runsDirOf } from '../runLookup';
import { followSlurmRuns, POLL_INTERVAL_OPTION, SLURM_INTERVAL_OPTION, slurmSubmitContext } from '../slurmSupport';
import { checkTrainer, spawnTrainer, trainerScript } from '../trainerProcess';
import { commandTrainerOf, recordCommandExit, signalProcessGroup, startCommandTrainer } from '../../core/commandTrainer';

function sourceOf(ctx: CommandContext): ConfigSource {
  const preset = ctx.string('preset');
  const file = ctx.positionals[0];
  if ((preset === undefined) === (file === undefined)) {
    throw new UsageError(`give a CONFIG file or --preset NAME (presets: ${PRESETS.map((p) => p.name).join(', ')})`);
  }
  return preset !== undefined ? { kind: 'preset', name: preset } : { kind: 'file', path: file! };
}

function positiveInt(ctx: CommandContext, name: string, fallback: number): number {
  const raw = ctx.string(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number >= 1 (got "${raw}")`);
  return n;
}

async function sweep(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const source = sourceOf(ctx);
  const flags: FlagOverride[] = [];
  const launch = ctx.string('launch');
  if (launch !== undefined) {
    if (!(LAUNCH_KINDS as readonly string[]).includes(launch))
      throw new UsageError(`--launch must be ${LAUNCH_KINDS.join(' or ')} (got "${launch}")`);
    flags.push({ path: ['launch', 'kind'], value: launch, flag: `--launch ${launch}` });
  }
  const grid = ctx.strings('grid');
  if (grid.length === 0) throw new UsageError('give at least one --grid key=value1,value2');
  const maxConcurrent = positiveInt(ctx, 'max-concurrent', 1);
  const prepared = await prepareForCli(ctx, { source, cwd: ctx.cwd, sets: ctx.strings('set'), flags, grid });
  if (typeof prepared === 'number') return prepared;
  const { points, axes } = prepared;
  const b = prepared;
  const kind = b.config.launch.kind;
  const script = trainerScript(ctx);
  // A local sweep of command runs starts the commands themselves (a Slurm job still needs the bundle).
  const missing = b.config.trainer?.kind === 'command' && kind === 'local' ? undefined : checkTrainer(script);
  if (missing) {
    io.err(`gpaco sweep: ${missing}`);
    return EXIT.failed;
  }
  const sc = kind === 'slurm' ? slurmSubmitContext(ctx) : undefined;
  if (typeof sc === 'string') {
    io.err(`gpaco sweep: ${sc}`);
    return EXIT.usage;
  }

  const root = runsDirOf(ctx);
  const name = ctx.string('name') ?? b.config.name ?? 'sweep';
  const sweepId = newSweepId(name);
  const runs = points.map((p) => {
    const { id, dir } = createRunDirectory(root, {
      config: p.config,
      name: `${name} ${p.label}`,
      sweepId,
      launch: kind === 'slurm' ? { kind: 'slurm', jobId: null } : { kind: 'local' },
    });
    return { id, dir, label: p.label, values: p.values };
  });
  const record: SweepRecord = {
    schema: 'gpaco-sweep/1',
    id: sweepId,
    name,
    createdAt: new Date().toISOString(),
    grid: axes.map((a) => ({ key: a.key, values: a.values })),
    launch: kind === 'slurm' ? { kind: 'slurm', jobId: null } : { kind: 'local' },
    runs,
  };
  writeSweepRecord(root, record);
  io.out(`sweep ${sweepId}: ${runs.length} runs (${axes.map((a) => `${a.key} x${a.values.length}`).join(', ')}) in ${root}`);
  for (const r of runs) io.out(`  ${r.id}  ${r.label}`);

  if (sc) {
    const res = await submitArray(
      runs.map((r) => r.dir),
      sweepDir(root, sweepId),
      sc,
      { name: sweepId, ...(ctx.string('max-concurrent') !== undefined ? { arrayLimit: maxConcurrent } : {}) },
    );
    if (!res.ok) {
      io.err(`gpaco sweep: ${res.reason === 'rejected' ? `sbatch rejected the job array: ${res.message}` : res.message}`);
      if (res.reason === 'rejected') io.err('  the runs are marked failed');
      return EXIT.failed;
    }
    writeSweepRecord(root, { ...record, launch: { kind: 'slurm', jobId: res.jobId } });
    io.out(
      `submitted as Slurm job array ${res.jobId} (tasks ${res.taskIds[0]}..${res.taskIds[res.taskIds.length - 1]}; script ${res.script})`,
    );
    if (ctx.flag('detach')) {
      io.out('follow it with: gpaco jobs --watch');
      return EXIT.ok;
    }
    const code = await followSlurmRuns(
      ctx,
      runs.map((r) => r.dir),
      { printRecords: false },
    );
    printSummary(ctx, runs);
    return code;
  }
  if (ctx.flag('detach'))
    throw new UsageError(
      '--detach needs --launch slurm: a local sweep runs its trainers from this process (at most --max-concurrent at once)',
    );
  const code = await runLocally(
    ctx,
    script,
    runs.map((r) => r.dir),
    maxConcurrent,
  );
  printSummary(ctx, runs);
  return code;
}

/** Trains the runs on this machine, at most `max` at once; Ctrl-C stops them all (checkpointing). */
async function runLocally(ctx: CommandContext, script: string, dirs: string[], max: number): Promise<number> {
  const { io } = ctx;
  const waiting = [...dirs];
  // A command run's child is known once it has started (startCommandTrainer resolves).
  const running = new Map<string, { child?: ChildProcess; command: boolean }>();
  const tails = new Map<string, MetricsTail>();
  let stopping = false;
  const interrupt = (slot: { child?: ChildProcess; command: boolean }) => {
    if (!slot.child) return;
    if (slot.command) signalProcessGroup(slot.child.pid!, 'SIGINT');
    else slot.child.kill('SIGINT');
  };
  const onSigint = () => {
    if (stopping) return;
    stopping = true;
    io.out('stopping: the running trainers finish their step and checkpoint; the waiting runs are not started');
    for (const slot of running.values()) interrupt(slot);
  };
  process.on('SIGINT', onSigint);
  const print = (dir: string) => {
    const t = tails.get(dir);
    if (!t) return;
    let epochs = 0;
    try {
      epochs = readRunManifest(dir).progress.epochs;
    } catch {
      // mid-replace: the count only decorates the line
    }
    for (const rec of t.read()) {
      const line = renderRecordLine(rec, epochs);
      if (line && rec.kind !== 'checkpoint') io.out(`[${path.basename(dir)}] ${line}`);
    }
  };
  const timer = setInterval(() => running.forEach((_, d) => print(d)), 1000);
  try {
    await new Promise<void>((resolve) => {
      const pump = () => {
        while (!stopping && running.size < max && waiting.length) {
          const dir = waiting.shift()!;
          tails.set(dir, new MetricsTail(runPaths(dir).metrics));
          const command = commandTrainerOf(readRunManifest(dir));
          const slot: { child?: ChildProcess; command: boolean } = { command: command !== undefined };
          running.set(dir, slot);
          const started = command
            ? startCommandTrainer({ dir, id: path.basename(dir) }, command, { baseEnv: ctx.env })
            : Promise.resolve(spawnTrainer(script, ['run', dir], dir));
          started.then(
            (child) => {
              slot.child = child;
              if (stopping) interrupt(slot);
              io.out(`[${path.basename(dir)}] started (pid ${child.pid ?? '?'})`);
              child.once('exit', (code, signal) => {
                if (command) recordCommandExit(dir, code, signal, stopping);
                running.delete(dir);
                print(dir);
                io.out(`[${path.basename(dir)}] ${signal ? `killed by ${signal}` : `exited with code ${code}`}`);
                pump();
              });
            },
            (err: Error) => {
              // The run is already marked failed (cannot start ARGV[0]: ...).
              running.delete(dir);
              io.out(`[${path.basename(dir)}] ${err.message}`);
              pump();
            },
          );
        }
        if (running.size === 0) resolve();
      };
      pump();
    });
  } finally {
    clearInterval(timer);
    process.off('SIGINT', onSigint);
  }
  for (const dir of waiting) updateRunManifest(dir, { status: 'stopped', endedAt: new Date().toISOString() });
  return dirs.every((d) => readRunManifest(d).status === 'completed') ? EXIT.ok : EXIT.failed;
}

function printSummary(ctx: CommandContext, runs: { id: string; dir: string; label: string }[]): void {
  const rows = runs.map((r) => {
    const s = summarizeRun(r.dir);
    return [r.id, r.label, s.status, s.latestEval ? pct(s.latestEval.top1) : '-', s.latestEval ? pct(s.latestEval.few) : '-'];
  });
  ctx.io.out('');
  for (const l of renderTable(
    [
      { header: 'RUN' },
      { header: 'GRID POINT' },
      { header: 'STATUS' },
      { header: 'TOP-1', align: 'right' },
      { header: 'FEW', align: 'right' },
    ],
    rows,
  ))
    ctx.io.out(l);
}

registerCommand({
  name: 'sweep',
  summary: 'expand a grid over config keys into runs sharing a sweep id; train them here or as one Slurm job array',
  usage: [
    'gpaco sweep (CONFIG | --preset NAME) --grid key=v1,v2 [--grid ...] [--set key=value ...] [--runs-dir DIR] [--name N]',
    '            [--launch local|slurm] [--max-concurrent N] [--detach] [--slurm-interval S] [--poll-interval S]',
  ],
  options: [
    {
      name: 'preset',
      type: 'string',
      value: 'NAME',
      help: `built-in base config instead of CONFIG: ${PRESETS.map((p) => p.name).join(', ')}`,
    },
    {
      name: 'grid',
      type: 'string',
      multiple: true,
      value: 'key=v1,v2',
      help: 'a config key and its values (JSON where they parse), e.g. --grid loss.alpha=0.01,0.05',
    },
    { name: 'set', type: 'string', multiple: true, value: 'key=value', help: 'override a field of the base config for every run' },
    RUNS_DIR_OPTION,
    { name: 'name', type: 'string', value: 'N', help: 'sweep name (default: the config name); each run is named "<name> <grid point>"' },
    { name: 'launch', type: 'string', value: 'local|slurm', help: 'where the runs train (default: the config\u2019s launch.kind)' },
    {
      name: 'max-concurrent',
      type: 'string',
      value: 'N',
      help: 'local: trainers at once (default 1); slurm: array tasks at once (default: no limit)',
    },
    { name: 'detach', type: 'boolean', help: 'slurm: return once the array is submitted' },
    SLURM_INTERVAL_OPTION,
    POLL_INTERVAL_OPTION,
  ],
  positionals: ['CONFIG'],
  minPositionals: 0,
  details: [
    'Every grid point is validated before anything starts (each problem names the point and the field).',
    'The runs share a sweep id (run.json "sweepId"); <runs-dir>/.sweeps/<id>/sweep.json lists them.',
    'With --launch slurm the runs are ONE job array: task i trains run i (SLURM_ARRAY_TASK_ID); the',
    'array script and Slurm\u2019s per-task messages are in <runs-dir>/.sweeps/<id>/.',
  ],
  run: sweep,
});
