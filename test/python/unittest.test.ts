// The Python writer's own unit tests (python/tests, unittest): atomic writes, whole-line
// appends, refusals naming the field, the status on every way out, the evaluation math.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { findPython } from '../../test/shared/python';

const root = path.resolve(__dirname, '../..');

test('python -m unittest discover python/tests passes', () => {
  const r = spawnSync(findPython(), ['-m', 'unittest', 'discover', '-s', 'python/tests', '-v'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 300_000,
  });
  const out = `${r.stdout}${r.stderr}`;
  assert.equal(r.status, 0, out);
  const ran = /Ran (\d+) tests?/.exec(out);
  assert.ok(ran && Number(ran[1]) >= 25, `expected the whole suite to run:\n${out}`);
  console.log(`python writer: ${ran[1]} unittest tests passed`);
});
