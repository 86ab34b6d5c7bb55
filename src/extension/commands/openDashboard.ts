// gpaco.openDashboard: the dashboard panel of one run.
import type { Lab } from '../lab';
import type { CommandResult, LabCommand } from './command';
import { pickRuns } from './runPicker';

async function openDashboard(lab: Lab, ...args: unknown[]): Promise<CommandResult> {
  const [v] = await pickRuns(lab, args, 'Open Dashboard', (x) => x.status !== 'unreadable');
  if (!v) return { ok: false, reason: 'no-run', message: 'no run given' };
  return (await lab.dashboards.openDashboard(v.dir))
    ? { ok: true, detail: 'dashboard' }
    : { ok: false, reason: 'no-run', message: `run ${v.id} not found` };
}

export const openDashboardCommand: LabCommand = { id: 'gpaco.openDashboard', run: openDashboard };
