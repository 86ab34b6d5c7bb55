// SlurmClient against real processes standing in for the client programs (so the timeout and
// the controller-down message are exercised without a cluster; the real cluster is in test/slurm).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { SlurmClient, slurmEnvironment } from '../../../src/core/slurm/exec';
import { tempDir } from '../../../test/shared/tmp';

function fakeBin(t: TestContext, scripts: Record<string, string>): string {
  const dir = tempDir(t, 'gpaco-fake-slurm-');
  for (const [name, body] of Object.entries(scripts)) {
    const f = path.join(dir, name);
    fs.writeFileSync(f, `#!/bin/sh\n${body}\n`);
    fs.chmodSync(f, 0o755);
  }
  return dir;
}

test('environment: allocation variables removed, SLURM_CONF and SBATCH_* kept, editor Node settings dropped', () => {
  const env = slurmEnvironment({
    SLURM_CONF: '/c',
    SLURM_JOB_ID: '5',
    SLURM_NTASKS: '4',
    SBATCH_ACCOUNT: 'lab',
    ELECTRON_RUN_AS_NODE: '1',
    NODE_OPTIONS: '--x',
    PATH: '/bin',
  });
  assert.deepEqual(env, { SLURM_CONF: '/c', SBATCH_ACCOUNT: 'lab', PATH: '/bin' });
});

test('ok, refused, controller unreachable, timed out, not installed', async (t) => {
  const bin = fakeBin(t, {
    squeue: 'echo "7|RUNNING|None|n1"',
    sbatch: 'echo "sbatch: error: Batch job submission failed: Invalid partition name specified" >&2; exit 1',
    scontrol: 'echo "slurm_load_jobs error: Unable to contact slurm controller (connect failure)" >&2; exit 1',
    scancel: 'sleep 5',
  });
  const c = new SlurmClient({ binDir: bin, timeoutMs: 300 });
  const calls: string[] = [];
  c.onCall((r) => calls.push(`${r.program}:${r.result}`));
  const ok = await c.call('squeue', []);
  assert.equal(ok.kind, 'ok');
  const refused = await c.call('sbatch', ['x']);
  assert.ok(refused.kind === 'failed' && refused.message === 'Batch job submission failed: Invalid partition name specified');
  const down = await c.call('scontrol', []);
  assert.ok(down.kind === 'unreachable' && !down.timedOut, JSON.stringify(down));
  const slow = await c.call('scancel', []);
  assert.ok(slow.kind === 'unreachable' && slow.timedOut);
  assert.ok(slow.ms < 3000, `killed at the timeout (${slow.ms} ms)`);
  const missing = await new SlurmClient({ binDir: path.join(bin, 'nope') }).call('sacct', []);
  assert.equal(missing.kind, 'missing');
  assert.deepEqual(calls, ['squeue:ok', 'sbatch:failed', 'scontrol:unreachable', 'scancel:unreachable']);
  assert.deepEqual(c.counts, { sbatch: 1, squeue: 1, scontrol: 1, sacct: 0, scancel: 1 });
});
