// Options shared by the commands that show the experiments table (`gpaco ls`, `gpaco report`):
// which evaluation the metrics come from, filtering, and grouping by config.
import type { DisplayStatus } from '../core/contract';
import { parseValueMode, type RowFilter, type ValueMode } from '../core/experiments/table';
import { UsageError, type CommandContext, type OptionSpec } from './registry';
import { columnFromName } from './render/experiments';

export const STATUSES: readonly DisplayStatus[] = [
  'queued',
  'running',
  'completed',
  'failed',
  'stopped',
  'interrupted',
  'unreadable',
  'unknown',
];

export const VALUE_OPTION: OptionSpec = {
  name: 'value',
  type: 'string',
  value: 'MODE',
  help: 'metric values: last (default), best[:METRIC] (best evaluation by few, or METRIC), epoch:N',
};
export const FILTER_OPTIONS: OptionSpec[] = [
  { name: 'filter', type: 'string', value: 'TEXT', help: 'keep runs whose name, id, tags, note or config (key=value) contain every word' },
  { name: 'tag', type: 'string', multiple: true, value: 'T', help: 'keep runs with this tag (repeatable: all of them)' },
  { name: 'status', type: 'string', multiple: true, value: 'S', help: 'keep runs with this status (repeatable)' },
];
export const GROUP_OPTIONS: OptionSpec[] = [
  { name: 'group-by-config', type: 'boolean', help: 'one line per config (runs equal except seed): mean ± sample std (n)' },
  {
    name: 'except',
    type: 'string',
    value: 'KEYS',
    help: 'with --group-by-config: the config keys that may differ inside a group (default seed)',
  },
];

export function commaList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `--value` (default: the last evaluation). */
export function valueModeOf(ctx: CommandContext): ValueMode {
  const text = ctx.string('value');
  if (text === undefined) return { kind: 'last' };
  const mode = parseValueMode(text);
  if ('error' in mode) throw new UsageError(`--value ${mode.error}`);
  return mode;
}

/** `--filter`, `--tag`, `--status` as a row filter (bad statuses are usage errors). */
export function rowFilterOf(ctx: CommandContext): RowFilter {
  const statuses = ctx.strings('status');
  for (const s of statuses)
    if (!(STATUSES as readonly string[]).includes(s))
      throw new UsageError(`--status "${s}" is not a status (one of ${STATUSES.join(', ')})`);
  return { text: ctx.string('filter') ?? '', statuses, tags: ctx.strings('tag') };
}

/** `--except` (default seed), checked against the config keys the runs have; only with --group-by-config. */
export function exceptOf(ctx: CommandContext, configKeys: readonly string[]): string[] {
  const text = ctx.string('except');
  if (text !== undefined && !ctx.flag('group-by-config')) throw new UsageError('--except goes with --group-by-config');
  const keys = text === undefined ? ['seed'] : commaList(text);
  for (const k of keys) if (!configKeys.includes(k)) columnFromName(k, configKeys);
  return keys;
}
