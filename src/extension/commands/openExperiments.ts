// gpaco.openExperiments: the Experiments panel (one table of every run of every runs folder).
import type { Lab } from '../lab';
import type { CommandResult, LabCommand } from './command';

async function openExperiments(lab: Lab): Promise<CommandResult> {
  await lab.experiments.open();
  return { ok: true, detail: 'experiments' };
}

export const openExperimentsCommand: LabCommand = { id: 'gpaco.openExperiments', run: openExperiments };
