// `gpaco sweep` of a command trainer, locally: each grid point's run starts the command (not the
// built-in trainer) with its own GPACO_RUN_DIR, and each end is recorded from its exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRunConfig, readRunManifest, runPaths } from '../../../src/core/runDirectory';
import { tempDir } from '../../../test/shared/tmp';
import { cli } from './harness';

test('a local sweep of a command trainer runs the command once per grid point, with that point\u2019s config', async (t) => {
  const cwd = tempDir(t);
  // Exits 0 for lr 0.1 and 4 for lr 0.2, having written what it was given.
  const script =
    "const d=process.env.GPACO_RUN_DIR; const c=JSON.parse(require('fs').readFileSync(d+'/config.json','utf8')); require('fs').writeFileSync(d+'/seen.txt', process.env.GPACO_RUN_ID+' '+c.optim.lr); process.exit(c.optim.lr === 0.1 ? 0 : 4)";
  fs.writeFileSync(
    path.join(cwd, 'cmd.gpaco.json'),
    JSON.stringify({ trainer: { kind: 'command', argv: [process.execPath, '-e', script] } }),
  );
  const r = await cli(['sweep', 'cmd.gpaco.json', '--grid', 'optim.lr=0.1,0.2', '--runs-dir', 'runs'], { cwd });
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  const dirs = fs
    .readdirSync(path.join(cwd, 'runs'))
    .filter((n) => fs.existsSync(path.join(cwd, 'runs', n, 'run.json')))
    .map((n) => path.join(cwd, 'runs', n));
  assert.equal(dirs.length, 2);
  const byLr = new Map(dirs.map((d) => [readRunConfig(d).optim.lr, d]));
  for (const [lr, status, code] of [
    [0.1, 'completed', 0],
    [0.2, 'failed', 4],
  ] as const) {
    const d = byLr.get(lr)!;
    const m = readRunManifest(d);
    assert.deepEqual([m.status, m.exitCode], [status, code], fs.readFileSync(runPaths(d).log, 'utf8'));
    assert.equal(fs.readFileSync(path.join(d, 'seen.txt'), 'utf8'), `${m.id} ${lr}`);
  }
});
