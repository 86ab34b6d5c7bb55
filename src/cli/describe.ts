// One-line and JSON descriptions of runs and configs shared by several commands.
import type { RunSummary } from '../core/catalog';
import { commandTrainerOf, describeArgv } from '../core/commandTrainer';
import type { Config } from '../core/config/schema';

export function describeConfig(c: Config): string {
  const command = commandTrainerOf({ config: c });
  if (command) return `command ${describeArgv(command.argv)}`;
  // A run written by another program (the Python writer's Run.create) has a config of its own.
  if (typeof c.data !== 'object' || typeof c.model !== 'object' || typeof c.optim !== 'object' || typeof c.loss !== 'object')
    return 'config of its own (config.json)';
  const data =
    c.data.kind === 'synthetic'
      ? `synthetic (${c.data.classes} classes)`
      : c.data.kind === 'list'
        ? `list (${c.data.train})`
        : `${c.data.kind} (${c.data.path ?? 'default path'})`;
  // A split list has no imbalance factor: the list is the split.
  const imbalance = c.data.imbalanceFactor === undefined ? '' : `, imbalance ${c.data.imbalanceFactor}`;
  return `data ${data}${imbalance}; model ${c.model.arch}; loss ${c.loss.kind}; ${c.optim.epochs} epochs, batch ${c.optim.batchSize}, lr ${c.optim.lr}; backend ${c.backend}`;
}

/** The JSON shape of one run in `ls --json` and `show --json` (stable; config left out). */
export function summaryJson(s: RunSummary): Record<string, unknown> {
  const m = s.manifest;
  return {
    id: s.id,
    dir: s.dir,
    name: m?.name ?? null,
    status: s.status,
    createdAt: s.createdAt,
    startedAt: m?.startedAt ?? null,
    endedAt: m?.endedAt ?? null,
    progress: m?.progress ?? null,
    backend: m?.backend ?? null,
    host: m?.host ?? null,
    pid: m?.pid ?? null,
    exitCode: m?.exitCode ?? null,
    error: m?.error ?? null,
    latestEval: s.latestEval,
    checkpoints: s.checkpoints,
    problems: s.problems,
  };
}
