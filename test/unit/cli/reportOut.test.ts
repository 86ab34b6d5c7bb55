// gpaco report --out into something that is not a regular file: a FIFO's reader gets the report
// and the FIFO stays a FIFO (the same path as /dev/null for root); a folder is refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { writeOutputFile } from '../../../src/core/atomicWrite';
import { createRunDirectory } from '../../../src/core/runDirectory';
import { presetConfig } from '../core/fixtures';
import { tempDir } from '../../../test/shared/tmp';
import { cli } from './harness';

test('report --out a FIFO writes into it; a folder is refused; a regular file is replaced', async (t) => {
  const cwd = tempDir(t);
  const run = createRunDirectory(path.join(cwd, 'runs'), { config: presetConfig(), name: 'rep' });
  const fifo = path.join(cwd, 'pipe');
  if (spawnSync('mkfifo', [fifo]).status !== 0) return t.skip('mkfifo is not available');
  const reader = new Promise<string>((resolve, reject) => {
    // Opening the read end waits for the writer, as a shell reader would.
    fs.readFile(fifo, 'utf8', (err, text) => (err ? reject(err) : resolve(text)));
  });
  const r = await cli(['report', run.id, '--out', fifo], { cwd });
  assert.equal(r.code, 0, r.stderr);
  const text = await reader;
  assert.match(text, /^<!doctype html>/i);
  assert.ok(fs.statSync(fifo).isFIFO(), 'the FIFO is still a FIFO');

  const folder = await cli(['report', run.id, '--out', cwd], { cwd });
  assert.equal(folder.code, 2);
  assert.match(folder.stderr, /--out: .* is a folder; give a file name/);

  const file = path.join(cwd, 'r.html');
  fs.writeFileSync(file, 'old');
  assert.equal((await cli(['report', run.id, '--out', 'r.html'], { cwd })).code, 0);
  assert.match(fs.readFileSync(file, 'utf8'), /^<!doctype html>/i);
});

test(
  'writeOutputFile writes through a character device and keeps a symlinked file a symlink',
  { skip: !fs.existsSync('/dev/null') && 'no /dev/null' },
  (t) => {
    const dir = tempDir(t);
    const devLink = path.join(dir, 'null');
    fs.symlinkSync('/dev/null', devLink);
    writeOutputFile(devLink, 'x');
    assert.ok(fs.statSync('/dev/null').isCharacterDevice());
    assert.ok(fs.lstatSync(devLink).isSymbolicLink());
    const target = path.join(dir, 'target.html');
    fs.writeFileSync(target, 'old');
    const link = path.join(dir, 'link.html');
    fs.symlinkSync(target, link);
    writeOutputFile(link, 'new');
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.equal(fs.readFileSync(target, 'utf8'), 'new');
  },
);
