// The follower's bookkeeping with real run folders and real processes standing in for squeue
// (the real cluster is exercised in test/slurm): what it writes, when it stops following, how
// a Slurm that cannot be asked shows.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { SlurmLaunchRecord } from '../../../src/core/contract';
import { displayStatus } from '../../../src/core/catalog';
import { createRunDirectory, readRunManifest, runPaths } from '../../../src/core/runDirectory';
import { SlurmClient } from '../../../src/core/slurm/exec';
import { SlurmFollower } from '../../../src/core/slurm/follow';
import { presetConfig } from '../core/fixtures';
import { tempDir } from '../../../test/shared/tmp';

/** A folder with an `squeue` that prints the contents of `<dir>/answer` (and counts its calls). */
function fakeSqueue(t: TestContext): { bin: string; answer(text: string): void; calls(): number } {
  const bin = tempDir(t, 'gpaco-fake-squeue-');
  fs.writeFileSync(path.join(bin, 'squeue'), `#!/bin/sh\necho x >> "${bin}/calls"\ncat "${bin}/answer"\n`);
  fs.chmodSync(path.join(bin, 'squeue'), 0o755);
  return {
    bin,
    answer: (text) => fs.writeFileSync(path.join(bin, 'answer'), text),
    calls: () =>
      fs.existsSync(path.join(bin, 'calls')) ? fs.readFileSync(path.join(bin, 'calls'), 'utf8').split('\n').filter(Boolean).length : 0,
  };
}

function slurmRun(t: TestContext, jobId: string): string {
  return createRunDirectory(tempDir(t), { config: presetConfig(), launch: { kind: 'slurm', jobId, state: 'PENDING', reason: 'None' } }).dir;
}

test('one squeue call per poll for every job; the pending reason is recorded; the end untracks the run', async (t) => {
  const sq = fakeSqueue(t);
  const a = slurmRun(t, '7');
  const b = slurmRun(t, '8');
  const f = new SlurmFollower(new SlurmClient({ binDir: sq.bin }), { pollMs: 60_000 });
  t.after(() => f.dispose());
  f.track(a);
  f.track(b);
  sq.answer('7|PENDING|Priority|\n8|PENDING|PartitionConfig|\n');
  await f.pollNow();
  assert.equal(sq.calls(), 1);
  assert.equal((readRunManifest(a).launch as SlurmLaunchRecord).reason, 'Priority');
  assert.equal((readRunManifest(b).launch as SlurmLaunchRecord).reason, 'PartitionConfig');
  sq.answer('7|CANCELLED|Priority|\n8|PENDING|PartitionConfig|\n');
  const changed: string[][] = [];
  f.onDidChange((d) => changed.push(d));
  await f.pollNow();
  assert.equal(sq.calls(), 2);
  assert.equal(readRunManifest(a).status, 'stopped');
  assert.deepEqual(f.tracked, [b]);
  assert.deepEqual(changed, [[a]]);
  assert.equal(f.observation(a)?.job?.state, 'CANCELLED', 'the last observation stays readable');
});

test('Slurm cannot be asked (clients missing here): the run shows unknown and nothing is written', async (t) => {
  const dir = slurmRun(t, '9');
  const before = fs.readFileSync(runPaths(dir).run, 'utf8');
  const f = new SlurmFollower(new SlurmClient({ binDir: path.join(tempDir(t), 'none') }), { pollMs: 60_000 });
  t.after(() => f.dispose());
  f.track(dir);
  await f.pollNow();
  const m = readRunManifest(dir);
  assert.equal(f.displayStatus(dir, m, displayStatus(m)), 'unknown');
  assert.equal(f.observation(dir)?.reachable, false);
  assert.match(f.observation(dir)?.message ?? '', /squeue was not found/);
  assert.equal(fs.readFileSync(runPaths(dir).run, 'utf8'), before);
  assert.deepEqual(f.tracked, [dir], 'still followed');
});

test('concurrent pollNow calls share polls', async (t) => {
  const sq = fakeSqueue(t);
  sq.answer('5|PENDING|None|\n');
  const f = new SlurmFollower(new SlurmClient({ binDir: sq.bin }), { pollMs: 60_000 });
  t.after(() => f.dispose());
  f.track(slurmRun(t, '5'));
  await Promise.all([f.pollNow(), f.pollNow(), f.pollNow(), f.pollNow()]);
  assert.equal(sq.calls(), 2, 'one in flight, one after it for the callers that came meanwhile');
});
