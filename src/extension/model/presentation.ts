// Labels, descriptions, tooltips, icons and context values of tree items: pure functions of a
// RunView, so they are unit-tested without `vscode`.
import { readabilityLine } from '../../core/catalog';
import { commandTrainerOf, describeArgv } from '../../core/commandTrainer';
import { gpacoConfig, type CheckpointEntry, type DisplayStatus } from '../../core/contract';
import { importedText } from '../../core/import/importedRun';
import { describeJob, explainPendingReason, slurmLaunchOf } from '../../core/slurm/states';
import { isImported, ownCheckpoints, type RunView } from './runView';

/** A fraction as a percentage; '–' for a value the run did not record. */
export function percent(x: number | null): string {
  if (x === null) return '–';
  return `${(x * 100).toFixed(1)}%`;
}

export function runLabel(view: RunView): string {
  return view.manifest?.name ?? view.id;
}

/** e.g. `epoch 12/100 · top-1 54.1% · few 31.0%`. */
/** The shared "unreadable / partly readable: why" wording for this run, if any. */
export function runReadability(view: RunView): string | undefined {
  return readabilityLine(view.status, view.status === 'unreadable' ? (view.problem ? [view.problem] : []) : (view.partial ?? []));
}

export function runDescription(view: RunView): string {
  if (view.status === 'unreadable') return runReadability(view)!;
  const parts: string[] = [];
  if (view.pending === 'resume') parts.push('waiting to resume');
  const job = view.manifest ? slurmLaunchOf(view.manifest) : undefined;
  if (view.status === 'queued') parts.push(view.pending || job?.jobId ? 'queued' : 'queued (not started by this window)');
  if (view.status !== 'queued' || view.epoch > 0) parts.push(`epoch ${view.epoch}/${view.epochs}`);
  if (view.latestEval) parts.push(`top-1 ${percent(view.latestEval.top1)}`, `few ${percent(view.latestEval.few)}`);
  if (view.tags.length) parts.push(view.tags.map((t) => `#${t}`).join(' '));
  // A Slurm run: its job id, and while it waits the state and pending reason.
  if (job && view.manifest) parts.push(describeJob(job, view.manifest.status));
  if (view.partial?.length) parts.push('partly readable');
  switch (view.status) {
    case 'failed':
    case 'stopped':
    case 'interrupted':
      parts.push(view.status);
      break;
    case 'running':
    case 'queued':
    case 'completed':
      break;
    default:
      parts.push(String(view.status));
  }
  return parts.join(' · ');
}

export interface IconSpec {
  /** Codicon id (`sync~spin` spins). */
  id: string;
  /** Theme colour id, if any. */
  color?: string;
}

export function statusIcon(status: DisplayStatus): IconSpec {
  switch (status) {
    case 'queued':
      return { id: 'clock' };
    case 'running':
      return { id: 'sync~spin', color: 'charts.blue' };
    case 'completed':
      return { id: 'pass', color: 'testing.iconPassed' };
    case 'failed':
      return { id: 'error', color: 'testing.iconFailed' };
    case 'stopped':
      return { id: 'debug-stop', color: 'disabledForeground' };
    case 'interrupted':
      return { id: 'warning', color: 'list.warningForeground' };
    case 'unreadable':
      return { id: 'question', color: 'list.errorForeground' };
  }
  // Statuses added later (e.g. `unknown` while a cluster cannot be asked).
  return { id: 'circle-large-outline' };
}

/**
 * `run:<status>` plus `:ckpt` when the run has checkpoints; menus match it with regular
 * expressions (package.json `view/item/context`).
 */
/** `run:<status>[:ckpt][:imported]`; `:ckpt` only for checkpoints this tool can use (menus match on it). */
export function runContextValue(view: RunView): string {
  return `run:${view.status}${ownCheckpoints(view).length > 0 ? ':ckpt' : ''}${isImported(view) ? ':imported' : ''}`;
}

export const CHECKPOINT_CONTEXT = 'checkpoint';
/** An external checkpoint file (imported run): listed, without an Evaluate action. */
export const EXTERNAL_CHECKPOINT_CONTEXT = 'checkpoint:external';

function configSummary(view: RunView): string[] {
  const m = view.manifest;
  if (!m) return [];
  if (m.imported) return [importedText(m.imported)];
  const command = commandTrainerOf(m);
  if (command) return [`command: ${describeArgv(command.argv)}`];
  // A run written by another program (the Python writer's Run.create) has a config of its own.
  const c = gpacoConfig(m);
  if (!c) return [];
  const data = c.data.kind === 'synthetic' ? `synthetic (${c.data.classes} classes)` : c.data.kind;
  return [
    `data: ${data}, imbalance ${c.data.imbalanceFactor}`,
    `model: ${c.model.arch} · loss: ${c.loss.kind}`,
    `optim: ${c.optim.epochs} epochs, batch ${c.optim.batchSize}, lr ${c.optim.lr}, ${c.optim.schedule}`,
  ];
}

/** Plain lines for a Markdown tooltip. */
export function runTooltipLines(view: RunView): string[] {
  if (view.status === 'unreadable') return [`${view.id}: ${runReadability(view)!}`, view.dir];
  const m = view.manifest;
  const lines = [`${runLabel(view)} (${view.id})`, `status: ${view.status}${view.pending ? ` (waiting to ${view.pending})` : ''}`];
  lines.push(`backend: ${m?.backendInfo?.detail ?? m?.backend ?? 'not started'}`);
  const job = m ? slurmLaunchOf(m) : undefined;
  if (job && m) {
    const reason = m.status === 'queued' && job.state === 'PENDING' ? ` — ${explainPendingReason(job.reason).text}` : '';
    lines.push(`${describeJob(job, m.status)}${reason}${view.status === 'unknown' ? ' — the Slurm controller does not answer' : ''}`);
  }
  lines.push(...configSummary(view));
  if (view.latestEval) {
    const e = view.latestEval;
    lines.push(`${e.tag}: top-1 ${percent(e.top1)} · many ${percent(e.many)} · medium ${percent(e.medium)} · few ${percent(e.few)}`);
  }
  if (m?.error) lines.push(`error: ${m.error.message}`);
  const partly = runReadability(view);
  if (partly) lines.push(partly);
  if (view.tags.length) lines.push(`tags: ${view.tags.join(' ')}`);
  if (view.metaProblem) lines.push(`meta.json ignored: ${view.metaProblem}`);
  lines.push(view.dir);
  return lines;
}

export function checkpointLabel(c: CheckpointEntry): string {
  return c.tag;
}

export function checkpointDescription(c: CheckpointEntry): string {
  const parts: string[] = [`epoch ${c.epoch}`];
  if (c.top1 !== null) parts.push(`top-1 ${percent(c.top1)}`);
  if (c.many !== null) parts.push(`many ${percent(c.many)}`);
  if (c.medium !== null) parts.push(`medium ${percent(c.medium)}`);
  if (c.few !== null) parts.push(`few ${percent(c.few)}`);
  if (c.best) parts.push('best');
  if (c.external) parts.push('external file, not evaluable here');
  return parts.join(' · ');
}
