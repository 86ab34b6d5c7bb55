// Imported runs are read-only (docs/run-folder.md, "Imported runs"): a command that would train,
// resume or evaluate one refuses it and says where the run came from.
import { readOnlyReason } from '../../core/import/importedRun';
import type { Lab } from '../lab';
import type { RunView } from '../model/runView';

export function refuseImported(
  lab: Lab,
  runs: readonly RunView[],
  what: string,
): { ok: false; reason: 'read-only'; message: string } | undefined {
  for (const v of runs) {
    const message = v.manifest ? readOnlyReason(v.manifest, what) : undefined;
    if (message === undefined) continue;
    void lab.notifier.show('warning', `GPaCo Lab: ${message}.`, []);
    return { ok: false, reason: 'read-only', message };
  }
  return undefined;
}
