// meta.json: tag validation, round trip, malformed files read as empty and never lost on write.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { MetaError, readRunMeta, updateRunMeta, validateNote, validateTag } from '../../../src/core/experiments/meta';
import { tempDir } from '../../../test/shared/tmp';

test('validateTag: 1-40 characters, no whitespace or control characters, clear messages', () => {
  assert.deepEqual(validateTag('best'), { ok: true, tag: 'best' });
  assert.equal(validateTag('α=0.05/seed:1').ok, true);
  assert.equal(validateTag('x'.repeat(40)).ok, true);
  const msg = (t: string) => {
    const r = validateTag(t);
    assert.equal(r.ok, false, `"${t}" is refused`);
    return (r as { message: string }).message;
  };
  assert.match(msg(''), /cannot be empty/);
  assert.match(msg('x'.repeat(41)), /41 characters long; at most 40/);
  assert.match(msg('two words'), /a space \(U\+0020\) at position 4/);
  assert.match(msg('tab\there'), /whitespace \(U\+0009\)/);
  assert.match(msg('nb\u00a0sp'), /whitespace \(U\+00A0\)/);
  assert.match(msg('bell\u0007'), /\\u0007.*control character \(U\+0007\)/);
  assert.match(msg('zero\u200bwidth'), /U\+200B/);
  assert.match(msg('-old'), /cannot start with "-"/);
  // 40 astral characters are 40 characters (80 UTF-16 units).
  assert.equal(validateTag('😀'.repeat(40)).ok, true);
});

test('validateNote: one paragraph up to 4000 characters; newlines and tabs allowed, other control characters not', () => {
  assert.deepEqual(validateNote('fine\nsecond line\twith a tab'), { ok: true });
  assert.match((validateNote('x'.repeat(4001)) as { message: string }).message, /4001 characters/);
  assert.match((validateNote('esc \u001b[31m') as { message: string }).message, /U\+001B/);
});

test('meta round trip: absent is empty; add / remove tags and set a note; unknown fields kept', (t) => {
  const run = tempDir(t);
  assert.deepEqual(readRunMeta(run), { meta: { tags: [], note: '' }, exists: false });
  updateRunMeta(run, { addTags: ['paper', 'best'] });
  updateRunMeta(run, { addTags: ['best', 'seed-check'], removeTags: ['paper'], note: 'Few-shot gain holds over seeds.' });
  assert.deepEqual(readRunMeta(run), { meta: { tags: ['best', 'seed-check'], note: 'Few-shot gain holds over seeds.' }, exists: true });
  // A field a newer writer added survives a write.
  const file = path.join(run, 'meta.json');
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), colour: 'red' }));
  updateRunMeta(run, { note: '' });
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(raw, { schema: 'gpaco-meta/1', tags: ['best', 'seed-check'], note: '', colour: 'red' });
  // No temp files left behind by the atomic writes.
  assert.deepEqual(fs.readdirSync(run), ['meta.json']);
});

test('updateRunMeta: a bad tag or note is refused before anything is written', (t) => {
  const run = tempDir(t);
  updateRunMeta(run, { addTags: ['keep'] });
  const before = fs.readFileSync(path.join(run, 'meta.json'), 'utf8');
  assert.throws(
    () => updateRunMeta(run, { addTags: ['ok', 'not ok'] }),
    (e: Error) => e instanceof MetaError && /"not ok" contains a space/.test(e.message),
  );
  assert.throws(() => updateRunMeta(run, { addTags: ['x'], removeTags: ['x'] }), /both added and removed/);
  assert.throws(() => updateRunMeta(run, { note: '\u0000' }), /U\+0000/);
  assert.equal(fs.readFileSync(path.join(run, 'meta.json'), 'utf8'), before);
});

test('malformed meta.json: read as empty with the problem; a write keeps a backup and what could be read', (t) => {
  const run = tempDir(t);
  const file = path.join(run, 'meta.json');
  fs.writeFileSync(file, '{"tags": ["kept", ');
  const r = readRunMeta(run);
  assert.deepEqual(r.meta, { tags: [], note: '' });
  assert.match(r.problem!, /meta\.json: not valid JSON/);

  const res = updateRunMeta(run, { addTags: ['new'] }, new Date('2026-02-03T04:05:06.789Z'));
  assert.equal(path.basename(res.backup!), 'meta.malformed-2026-02-03T04-05-06-789Z.json');
  assert.equal(fs.readFileSync(res.backup!, 'utf8'), '{"tags": ["kept", ');
  assert.deepEqual(readRunMeta(run).meta, { tags: ['new'], note: '' });

  // Partly valid: the valid tags and note are kept, the bad entry named, and carried over on write.
  fs.writeFileSync(file, JSON.stringify({ tags: ['good', 'bad tag', 7], note: 'my note' }));
  const partly = readRunMeta(run);
  assert.deepEqual(partly.meta, { tags: ['good'], note: 'my note' });
  assert.match(partly.problem!, /tags\[1\]: tag "bad tag" contains a space/);
  assert.match(partly.problem!, /tags\[2\] must be a string \(got 7\)/);
  const res2 = updateRunMeta(run, { addTags: ['more'] }, new Date('2026-02-03T04:05:06.789Z'));
  // A second backup in the same millisecond gets its own name.
  assert.equal(path.basename(res2.backup!), 'meta.malformed-2026-02-03T04-05-06-789Z-2.json');
  assert.deepEqual(readRunMeta(run).meta, { tags: ['good', 'more'], note: 'my note' });

  // Not a file: refused, nothing replaced.
  fs.rmSync(file);
  fs.mkdirSync(file);
  assert.match(readRunMeta(run).problem!, /not a regular file/);
  assert.throws(() => updateRunMeta(run, { addTags: ['x'] }), /not a regular file/);
  assert.ok(fs.statSync(file).isDirectory());

  // A link is read like the other run files (the shared reader takes a link to a regular
  // file), but a write never replaces it.
  fs.rmSync(file, { recursive: true });
  const outside = path.join(tempDir(t), 'elsewhere.json');
  fs.writeFileSync(outside, JSON.stringify({ tags: ['from-elsewhere'] }));
  fs.symlinkSync(outside, file);
  assert.throws(() => updateRunMeta(run, { addTags: ['x'] }), /not a regular file/);
  assert.equal(fs.readFileSync(outside, 'utf8'), JSON.stringify({ tags: ['from-elsewhere'] }));
  assert.ok(fs.lstatSync(file).isSymbolicLink());
});
