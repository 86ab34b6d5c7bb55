// gpaco.resumeRun: a stopped or failed run with a checkpoint continues from its latest one.
import type { Lab } from '../lab';
import { runLabel } from '../model/presentation';
import { canResume, ownCheckpoints } from '../model/runView';
import type { CommandResult, LabCommand } from './command';
import { refuseImported } from './readOnly';
import { pickRuns } from './runPicker';
import { requireTrust } from './trust';

async function resumeRun(lab: Lab, ...args: unknown[]): Promise<CommandResult> {
  const blocked = requireTrust(lab, 'resume a run');
  if (blocked) return blocked;
  const runs = await pickRuns(lab, args, 'Resume Run', canResume);
  const readOnly = refuseImported(lab, runs, 'be resumed');
  if (readOnly) return readOnly;
  for (const v of runs) {
    if (!canResume(v)) {
      const message = `Run "${runLabel(v)}" cannot be resumed: it is ${v.status}${ownCheckpoints(v).length ? '' : ' and has no checkpoint'}.`;
      void lab.notifier.show('warning', message, []);
      return { ok: false, reason: 'not-resumable', message };
    }
    await lab.startRun(v.dir, 'resume');
  }
  return runs.length ? { ok: true } : { ok: false, reason: 'no-run', message: 'no resumable run given' };
}

export const resumeRunCommand: LabCommand = { id: 'gpaco.resumeRun', run: resumeRun };
