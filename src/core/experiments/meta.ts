// meta.json: a run's tags and note (docs/run-folder.md). Written only by viewers (the
// experiments table, the Runs tree, `gpaco tag` / `gpaco note`), never by a trainer, so no write
// races one. Optional: a run without the file has no tags and no note. A malformed file is read
// as empty with a `problem`, and a write over it first keeps its bytes in a backup file, so
// nothing a user typed is ever lost.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../atomicWrite';
import { RUN_FILE_CAPS, RunFileError, readRunJson } from '../runFile';

export const META_FILE = 'meta.json';
export const META_SCHEMA = 'gpaco-meta/1';
export const MAX_TAG_LENGTH = 40;
export const MAX_NOTE_LENGTH = 4000;
/** A meta.json larger than this is not read (a note is one paragraph; tags are short). */
export const MAX_META_BYTES = RUN_FILE_CAPS.meta;

export interface RunMeta {
  tags: string[];
  note: string;
}

export interface RunMetaRead {
  meta: RunMeta;
  /** Set when meta.json exists but could not be read (wholly or partly): what and where. */
  problem?: string;
  exists: boolean;
}

export type TagCheck = { ok: true; tag: string } | { ok: false; message: string };

// Whitespace of every script, and control / format characters (zero-width, bidi overrides)
// that would make two different tags look the same.
const BAD_TAG_CHAR = /[\s\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** A tag: 1-40 characters, no whitespace or control characters, not starting with + or -. */
export function validateTag(tag: string): TagCheck {
  const chars = [...tag];
  if (chars.length === 0) return { ok: false, message: 'a tag cannot be empty' };
  if (chars.length > MAX_TAG_LENGTH)
    return { ok: false, message: `tag "${shown(tag)}" is ${chars.length} characters long; at most ${MAX_TAG_LENGTH} are allowed` };
  const bad = chars.findIndex((c) => BAD_TAG_CHAR.test(c));
  if (bad >= 0) {
    const cp = chars[bad]!.codePointAt(0)!;
    return {
      ok: false,
      message: `tag "${shown(tag)}" contains ${describeChar(cp)} at position ${bad + 1}; tags cannot contain whitespace or control characters`,
    };
  }
  // `gpaco tag RUN +t -t` reads a leading sign as add / remove.
  if (tag.startsWith('+') || tag.startsWith('-'))
    return { ok: false, message: `tag "${shown(tag)}" cannot start with "${tag[0]}" (gpaco tag reads +TAG / -TAG as add / remove)` };
  return { ok: true, tag };
}

/** A note: one paragraph of at most 4,000 characters; tabs and newlines are the only control characters. */
export function validateNote(note: string): { ok: true } | { ok: false; message: string } {
  const n = [...note].length;
  if (n > MAX_NOTE_LENGTH) return { ok: false, message: `the note is ${n} characters long; at most ${MAX_NOTE_LENGTH} are allowed` };
  // eslint-disable-next-line no-control-regex
  const bad = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.exec(note);
  if (bad)
    return {
      ok: false,
      message: `the note contains ${describeChar(bad[0].codePointAt(0)!)} at position ${bad.index + 1}; only tabs and newlines are allowed as control characters`,
    };
  return { ok: true };
}

function describeChar(cp: number): string {
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return cp === 0x20 ? `a space (${hex})` : /\s/u.test(String.fromCodePoint(cp)) ? `whitespace (${hex})` : `a control character (${hex})`;
}

/** The tag as it can be printed safely (control characters escaped). */
function shown(tag: string): string {
  // eslint-disable-next-line no-control-regex
  return tag.replace(/[\u0000-\u001f\u007f-\u009f\p{Cf}]/gu, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

export function metaPath(runDir: string): string {
  return path.join(runDir, META_FILE);
}

const EMPTY: RunMeta = { tags: [], note: '' };

/**
 * Parses a meta.json value leniently: valid tags and a string note are kept, the rest is named in
 * `problems` (so a hand-edited file with one bad tag keeps the others).
 */
export function parseRunMeta(value: unknown): { meta: RunMeta; problems: string[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { meta: { ...EMPTY }, problems: ['must be a JSON object'] };
  const obj = value as Record<string, unknown>;
  const problems: string[] = [];
  const tags: string[] = [];
  if (obj.tags !== undefined) {
    if (!Array.isArray(obj.tags)) problems.push('field "tags" must be an array of strings');
    else
      obj.tags.forEach((t, i) => {
        if (typeof t !== 'string') return problems.push(`tags[${i}] must be a string (got ${JSON.stringify(t) ?? typeof t})`);
        const check = validateTag(t);
        if (!check.ok) return problems.push(`tags[${i}]: ${check.message}`);
        if (!tags.includes(t)) tags.push(t);
        return undefined;
      });
  }
  let note = '';
  if (obj.note !== undefined) {
    if (typeof obj.note !== 'string') problems.push('field "note" must be a string');
    else {
      const check = validateNote(obj.note);
      if (check.ok) note = obj.note;
      else problems.push(`note: ${check.message}`);
    }
  }
  return { meta: { tags, note }, problems };
}

/** The tags and note of a run; never throws (a missing file is empty, a broken one has a `problem`). */
export function readRunMeta(runDir: string): RunMetaRead {
  const file = metaPath(runDir);
  let value: unknown;
  try {
    // The shared guarded reader: a regular file within the meta cap, parsed as JSON.
    value = readRunJson('meta', file);
  } catch (err) {
    if (err instanceof RunFileError && err.problem === 'missing') return { meta: { ...EMPTY }, exists: false };
    return { meta: { ...EMPTY }, exists: true, problem: (err as Error).message };
  }
  const { meta, problems } = parseRunMeta(value);
  return problems.length ? { meta, exists: true, problem: `${file}: ${problems.join('; ')}` } : { meta, exists: true };
}

export interface MetaUpdate {
  addTags?: readonly string[];
  removeTags?: readonly string[];
  /** The new note ('' clears it); undefined leaves it as it is. */
  note?: string;
}

export interface MetaUpdateResult {
  meta: RunMeta;
  /** Where the previous, malformed meta.json was kept (it is never overwritten without a copy). */
  backup?: string;
}

/** Bad input to `updateRunMeta` (a bad tag or note): nothing was written. */
export class MetaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetaError';
  }
}

/**
 * Read-modify-write of meta.json: adds and removes tags and sets the note, keeping every other
 * field a newer writer may have put there. Invalid tags or notes throw `MetaError` before anything
 * is written. A malformed file is first copied to `meta.malformed-<time>.json` beside it, and what
 * could be read of it is carried over, so an update never leaves less than the user entered.
 */
export function updateRunMeta(runDir: string, update: MetaUpdate, now: Date = new Date()): MetaUpdateResult {
  const errors: string[] = [];
  for (const t of [...(update.addTags ?? []), ...(update.removeTags ?? [])]) {
    const check = validateTag(t);
    if (!check.ok) errors.push(check.message);
  }
  const both = (update.addTags ?? []).filter((t) => (update.removeTags ?? []).includes(t));
  if (both.length) errors.push(`tag${both.length > 1 ? 's' : ''} ${both.map((t) => `"${t}"`).join(', ')} both added and removed`);
  if (update.note !== undefined) {
    const check = validateNote(update.note);
    if (!check.ok) errors.push(check.message);
  }
  if (errors.length) throw new MetaError(errors.join('; '));
  if (!fs.existsSync(path.join(runDir))) throw new MetaError(`${runDir}: no such run folder`);

  const file = metaPath(runDir);
  refuseNonFile(file);
  const current = readRunMeta(runDir);
  let extra: Record<string, unknown> = {};
  let backup: string | undefined;
  if (current.problem !== undefined) {
    backup = keepBackup(runDir, now);
  } else if (current.exists) {
    // Fields this version does not know are kept as they are (readers ignore unknown fields).
    extra = readRunJson('meta', file) as Record<string, unknown>;
  }
  const tags = current.meta.tags.filter((t) => !(update.removeTags ?? []).includes(t));
  for (const t of update.addTags ?? []) if (!tags.includes(t)) tags.push(t);
  const meta: RunMeta = { tags, note: update.note ?? current.meta.note };
  writeJsonAtomic(file, { ...extra, schema: META_SCHEMA, tags: meta.tags, note: meta.note });
  return backup === undefined ? { meta } : { meta, backup };
}

/** A folder, link or device in meta.json's place is refused rather than replaced by the write. */
function refuseNonFile(file: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return;
  }
  if (!st.isFile()) throw new MetaError(`${file} is not a regular file; move it away before tagging this run`);
}

/** Copies the current meta.json (whatever it holds) to a new, unique backup name; returns it. */
function keepBackup(runDir: string, now: Date): string | undefined {
  const file = metaPath(runDir);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return undefined;
  }
  // A folder or link in meta.json's place: refuse rather than replace something that is not ours.
  if (!st.isFile()) throw new MetaError(`${file} is not a regular file; move it away before tagging this run`);
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  for (let n = 1; ; n++) {
    const name = path.join(runDir, `meta.malformed-${stamp}${n > 1 ? `-${n}` : ''}.json`);
    try {
      fs.copyFileSync(file, name, fs.constants.COPYFILE_EXCL);
      return name;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n > 100) throw err;
    }
  }
}
