// Tags and notes of runs (meta.json, written by src/core/experiments/meta.ts; never by a
// trainer), from the Runs tree and from the Experiments table. Interactive: an input box that
// takes `+tag -tag` (a bare word adds) and checks every tag as it is typed. Programmatic (tests,
// other extensions): `{ add: [...], remove: [...] }` / `{ note: '...' }`.
import * as vscode from 'vscode';
import { MetaError, readRunMeta, updateRunMeta, validateNote, validateTag } from '../../core/experiments/meta';

export type MetaCommandResult =
  { ok: true; tags: string[]; note: string } | { ok: false; reason: 'cancelled' | 'invalid' | 'failed'; message: string };

/** `+a -b c` -> add [a, c], remove [b]; the first bad tag is the error. */
export function parseTagEdits(text: string): { add: string[]; remove: string[] } | { error: string } {
  const add: string[] = [];
  const remove: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const sign = word[0] === '+' || word[0] === '-' ? word[0] : '';
    const tag = sign ? word.slice(1) : word;
    const check = validateTag(tag);
    if (!check.ok) return { error: check.message };
    (sign === '-' ? remove : add).push(tag);
  }
  if (add.length === 0 && remove.length === 0) return { error: 'type +tag to add a tag or -tag to remove one' };
  return { add, remove };
}

function failure(err: unknown): MetaCommandResult {
  const message = (err as Error).message;
  void vscode.window.showErrorMessage(`GPaCo Lab: ${message}`);
  return { ok: false, reason: err instanceof MetaError ? 'invalid' : 'failed', message };
}

export async function editTags(dirs: readonly string[], given?: { add?: string[]; remove?: string[] }): Promise<MetaCommandResult> {
  let edits: { add: string[]; remove: string[] };
  if (given) edits = { add: given.add ?? [], remove: given.remove ?? [] };
  else {
    const current = [...new Set(dirs.flatMap((d) => readRunMeta(d).meta.tags))];
    const text = await vscode.window.showInputBox({
      title: dirs.length === 1 ? 'Tags of the run' : `Tags of ${dirs.length} runs`,
      prompt: `${current.length ? `Now: ${current.join(' ')}. ` : ''}+tag adds, -tag removes (1-40 characters, no spaces).`,
      placeHolder: '+baseline -draft',
      validateInput: (v) => {
        if (!v.trim()) return undefined;
        const parsed = parseTagEdits(v);
        return 'error' in parsed ? parsed.error : undefined;
      },
    });
    if (text === undefined || !text.trim()) return { ok: false, reason: 'cancelled', message: 'cancelled' };
    const parsed = parseTagEdits(text);
    if ('error' in parsed) return failure(new MetaError(parsed.error));
    edits = parsed;
  }
  let last = { tags: [] as string[], note: '' };
  try {
    for (const dir of dirs) {
      const r = updateRunMeta(dir, { addTags: edits.add, removeTags: edits.remove });
      if (r.backup)
        void vscode.window.showWarningMessage(
          `GPaCo Lab: ${dir}/meta.json was malformed; kept as ${r.backup} and rewritten with what could be read.`,
        );
      last = r.meta;
    }
  } catch (err) {
    return failure(err);
  }
  return { ok: true, ...last };
}

export async function editNote(dir: string, given?: { note?: string }): Promise<MetaCommandResult> {
  let note = given?.note;
  if (note === undefined) {
    note = await vscode.window.showInputBox({
      title: 'Note of the run',
      prompt: 'One paragraph (empty clears the note).',
      value: readRunMeta(dir).meta.note,
      validateInput: (v) => {
        const check = validateNote(v);
        return check.ok ? undefined : check.message;
      },
    });
    if (note === undefined) return { ok: false, reason: 'cancelled', message: 'cancelled' };
  }
  try {
    const r = updateRunMeta(dir, { note });
    return { ok: true, ...r.meta };
  } catch (err) {
    return failure(err);
  }
}
