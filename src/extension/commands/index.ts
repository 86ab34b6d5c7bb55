// Every command of the extension, one module each (package.json `contributes.commands`).
import type { LabCommand } from './command';
import { compareRunsCommand } from './compareRuns';
import { deleteRunCommand } from './deleteRun';
import { editNoteCommand, editTagsCommand } from './editTags';
import { evaluateCheckpointCommand } from './evaluateCheckpoint';
import { newRunCommand } from './newRun';
import { newSweepCommand } from './newSweep';
import { openDashboardCommand } from './openDashboard';
import { openExperimentsCommand } from './openExperiments';
import { refreshCommand } from './refresh';
import { resumeRunCommand } from './resumeRun';
import { showLogCommand } from './showLog';
import { startRunCommand } from './startRun';
import { stopRunCommand } from './stopRun';

export const COMMANDS: readonly LabCommand[] = [
  newRunCommand,
  startRunCommand,
  stopRunCommand,
  resumeRunCommand,
  openDashboardCommand,
  compareRunsCommand,
  evaluateCheckpointCommand,
  deleteRunCommand,
  showLogCommand,
  newSweepCommand,
  openExperimentsCommand,
  editTagsCommand,
  editNoteCommand,
  refreshCommand,
];
