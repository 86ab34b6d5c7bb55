import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic, writeJsonAtomic } from '../../../src/core/atomicWrite';
import { tempDir } from '../../../test/shared/tmp';

test('writeFileAtomic creates and replaces a file and leaves no temp file', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'a.txt');
  writeFileAtomic(file, 'first');
  assert.equal(fs.readFileSync(file, 'utf8'), 'first');
  writeFileAtomic(file, new Uint8Array([104, 105]));
  assert.equal(fs.readFileSync(file, 'utf8'), 'hi');
  assert.deepEqual(fs.readdirSync(dir), ['a.txt']);
});

test('writeJsonAtomic writes parseable JSON ending with a newline', (t) => {
  const file = path.join(tempDir(t), 'v.json');
  const value = { a: 1, b: ['x', { c: null }], s: 'ü' };
  writeJsonAtomic(file, value);
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'));
  assert.deepEqual(JSON.parse(text), value);
});

test('a failed write keeps the old file and removes its temp file', (t) => {
  const dir = tempDir(t);
  // The target is a non-empty folder, so the final rename fails after the temp file is written.
  const target = path.join(dir, 'busy');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'keep'), 'x');
  assert.throws(() => writeFileAtomic(target, 'data'));
  assert.deepEqual(fs.readdirSync(dir), ['busy']);
  assert.equal(fs.readFileSync(path.join(target, 'keep'), 'utf8'), 'x');
});

test('writing into a missing folder throws and creates nothing', (t) => {
  const dir = tempDir(t);
  assert.throws(() => writeFileAtomic(path.join(dir, 'missing', 'f.json'), '{}'), /ENOENT/);
  assert.deepEqual(fs.readdirSync(dir), []);
});
