// `gpaco sweep` with --launch slurm: a 2x2 grid becomes four runs sharing a sweep id, trained by
// ONE job array whose task i trains run i.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import type { Config } from '../../src/core/config/schema';
import { gpacoConfig, type RunManifest, type SlurmLaunchRecord } from '../../src/core/contract';
import { listRuns } from '../../src/core/catalog';
import type { SweepRecord } from '../../src/core/sweep';
import { ensureCluster } from './cluster';
import { checkCompletedRun, CLI, readJson, runsRoot } from './helpers';
import { TINY_SLURM_SETS } from '../../test/shared/tinySlurmRecipe';

before(() => {
  ensureCluster();
});

const TINY = TINY_SLURM_SETS;

test('a 2x2 sweep as one job array produces four runs with the right configs', (t) => {
  const root = runsRoot(t);
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      'sweep',
      '--preset',
      'synthetic-lt',
      '--grid',
      'loss.kind=ce,balanced-softmax',
      '--grid',
      'optim.epochs=1,2',
      '--launch',
      'slurm',
      '--runs-dir',
      root,
      '--name',
      'grid',
      '--slurm-interval',
      '1',
      ...TINY.flatMap((s) => ['--set', s]),
    ],
    { encoding: 'utf8', timeout: 180_000 },
  );
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const arrayId = /submitted as Slurm job array (\d+)/.exec(r.stdout)?.[1];
  assert.ok(arrayId, r.stdout);

  const runs = listRuns(root)
    .map((s) => s.manifest!)
    .sort((a, b) => ((a.launch as SlurmLaunchRecord).jobId! < (b.launch as SlurmLaunchRecord).jobId! ? -1 : 1));
  assert.equal(runs.length, 4);
  const sweepIds = new Set(runs.map((m) => m.sweepId));
  assert.equal(sweepIds.size, 1);
  const sweepId = [...sweepIds][0]!;
  assert.ok(sweepId);
  // Task i trains grid point i (first axis slowest).
  const want = [
    ['ce', 1],
    ['ce', 2],
    ['balanced-softmax', 1],
    ['balanced-softmax', 2],
  ];
  runs.forEach((m: RunManifest, i) => {
    const l = m.launch as SlurmLaunchRecord;
    assert.equal(l.jobId, `${arrayId}_${i}`);
    assert.equal(l.state, 'COMPLETED');
    const c = gpacoConfig(m)!;
    assert.deepEqual([c.loss.kind, c.optim.epochs], want[i]);
    assert.equal(c.data.maxPerClass, 48, '--set applies to every point');
    const dir = path.join(root, m.id);
    checkCompletedRun(dir, readJson<Config>(path.join(dir, 'config.json')));
    assert.match(fs.readFileSync(path.join(dir, 'trainer.log'), 'utf8'), new RegExp(`slurm job ${arrayId}_${i}: starting`));
  });
  const record = readJson<SweepRecord>(path.join(root, '.sweeps', sweepId, 'sweep.json'));
  assert.deepEqual(record.launch, { kind: 'slurm', jobId: arrayId });
  assert.deepEqual(record.runs.map((x) => x.id).sort(), runs.map((m) => m.id).sort());
  const array = fs.readFileSync(path.join(root, '.sweeps', sweepId, 'array.sh'), 'utf8');
  assert.ok(array.includes('#SBATCH --array=0-3\n'));
  assert.match(r.stdout, /RUN\s+GRID POINT\s+STATUS/);
  assert.equal((r.stdout.match(/^\S+\s+kind=\S+ epochs=\d\s+completed\s+\d+\.\d%/gm) ?? []).length, 4, r.stdout);
});
