// gpaco.refresh: re-reads the runs directories of the current settings.
import type { LabCommand } from './command';

export const refreshCommand: LabCommand = {
  id: 'gpaco.refresh',
  run: (lab) => {
    lab.applyRoots();
    return { ok: true };
  },
};
