// gpaco.editTags / gpaco.editNote: a run's tags and note (meta.json), from the Runs tree, the
// Experiments table or a program (`{ add, remove }` / `{ note }` among the arguments).
import type { Lab } from '../lab';
import type { LabCommand } from './command';
import { pickRuns } from './runPicker';
import { editNote, editTags, type MetaCommandResult } from './runMeta';

type MetaOptions = { add?: string[]; remove?: string[]; note?: string };

function isMetaOptions(a: unknown): a is MetaOptions {
  return typeof a === 'object' && a !== null && !Array.isArray(a) && ('add' in a || 'remove' in a || 'note' in a);
}

async function targets(lab: Lab, args: unknown[], title: string, many: boolean): Promise<string[]> {
  return (
    await pickRuns(
      lab,
      args.filter((a) => !isMetaOptions(a)),
      title,
      (x) => x.status !== 'unreadable',
      many,
    )
  ).map((v) => v.dir);
}

async function runEditTags(lab: Lab, ...args: unknown[]): Promise<MetaCommandResult> {
  const dirs = await targets(lab, args, 'Edit Tags', true);
  if (!dirs.length) return { ok: false, reason: 'cancelled', message: 'no run given' };
  const result = await editTags(dirs, args.find(isMetaOptions));
  // The watcher would see meta.json change too; reloading now shows the tags at once.
  dirs.forEach((d) => lab.store.reload(d));
  return result;
}

async function runEditNote(lab: Lab, ...args: unknown[]): Promise<MetaCommandResult> {
  const [dir] = await targets(lab, args, 'Edit Note', false);
  if (!dir) return { ok: false, reason: 'cancelled', message: 'no run given' };
  const result = await editNote(dir, args.find(isMetaOptions));
  lab.store.reload(dir);
  return result;
}

export const editTagsCommand: LabCommand = { id: 'gpaco.editTags', run: runEditTags };
export const editNoteCommand: LabCommand = { id: 'gpaco.editNote', run: runEditNote };
