// What the status-bar item says: running and queued counts and the progress of the most recent
// running run, e.g. `$(sync~spin) GPaCo 12/100 · 54.1%`. Pure.
import { percent, runLabel } from './presentation';
import type { RunView } from './runView';

export interface StatusBarModel {
  text: string;
  tooltip: string;
  /** Run whose dashboard a click opens. */
  targetDir: string | null;
}

function startedAt(v: RunView): string {
  return v.manifest?.startedAt ?? v.manifest?.createdAt ?? '';
}

/** null when nothing runs or waits (the item is hidden). */
export function statusBarModel(views: readonly RunView[]): StatusBarModel | null {
  const running = views.filter((v) => v.status === 'running');
  const waiting = views.filter((v) => v.status !== 'running' && (v.pending !== null || v.status === 'queued'));
  if (running.length === 0 && waiting.length === 0) return null;
  const counts: string[] = [];
  if (running.length > 1) counts.push(`${running.length} running`);
  if (waiting.length > 0) counts.push(`${waiting.length} queued`);
  if (running.length === 0) {
    return {
      text: `$(clock) GPaCo ${counts.join(' · ')}`,
      tooltip: `GPaCo Lab: ${waiting.length} run(s) waiting to start`,
      targetDir: null,
    };
  }
  const latest = running.reduce((a, b) => (startedAt(b) > startedAt(a) ? b : a));
  const parts = [`${latest.epoch}/${latest.epochs}`];
  if (latest.latestEval) parts.push(percent(latest.latestEval.top1));
  const text = `$(sync~spin) GPaCo ${parts.join(' · ')}${counts.length ? ` (${counts.join(', ')})` : ''}`;
  const name = runLabel(latest);
  const tooltip = `GPaCo Lab: ${name} at epoch ${latest.epoch} of ${latest.epochs}${latest.latestEval ? `, top-1 ${percent(latest.latestEval.top1)}` : ''}. ${running.length} running, ${waiting.length} queued. Click to open its dashboard.`;
  return { text, tooltip, targetDir: latest.dir };
}
