import assert from 'node:assert/strict';
import { test } from 'node:test';
import { effectiveSignalSeconds, parseSlurmTime, resolveJobOptions, withWorkerCpus } from '../../../src/core/slurm/options';

test('Slurm time limits in every sbatch form', () => {
  assert.equal(parseSlurmTime('30'), 1800);
  assert.equal(parseSlurmTime('1:30'), 90);
  assert.equal(parseSlurmTime('02:00:00'), 7200);
  assert.equal(parseSlurmTime('1-2'), 93600);
  assert.equal(parseSlurmTime('1-02:30'), 95400);
  assert.equal(parseSlurmTime('1-00:00:10'), 86410);
  assert.equal(parseSlurmTime('UNLIMITED'), null);
  assert.equal(parseSlurmTime('2h'), undefined);
});

test('the warning signal comes at most half the limit before it', () => {
  assert.equal(effectiveSignalSeconds(300, '1'), 30);
  assert.equal(effectiveSignalSeconds(300, '02:00:00'), 300);
  assert.equal(effectiveSignalSeconds(300, undefined), 300);
  assert.equal(effectiveSignalSeconds(300, 'infinite'), 300);
});

test('config values win over defaults field by field; extra and setup lines add up', () => {
  const r = resolveJobOptions(
    { partition: 'gpu', extra: ['--constraint=a100'], setup: ['module load cuda'] },
    { partition: 'cpu', time: '1:00:00', cpus: 4, extra: ['#SBATCH --exclusive'], setup: ['module load nodejs/20'] },
  );
  assert.ok(r.ok);
  assert.deepEqual(r.options, {
    partition: 'gpu',
    time: '1:00:00',
    cpus: 4,
    extra: ['--exclusive', '--constraint=a100'],
    setup: ['module load nodejs/20', 'module load cuda'],
    signalSeconds: 300,
  });
});

test('bad values are refused with their field path; nothing is guessed', () => {
  const r = resolveJobOptions({ partition: 'a b', time: '2 hours', mem: 'lots', extra: ['constraint=a100', '--x\n--y'], setup: ['a\nb'] });
  assert.ok(!r.ok);
  assert.deepEqual(
    r.errors.map((e) => e.path),
    [
      'launch.slurm.partition',
      'launch.slurm.time',
      'launch.slurm.mem',
      'launch.slurm.extra.0',
      'launch.slurm.extra.1',
      'launch.slurm.setup.0',
    ],
  );
  assert.match(r.errors[1]!.message, /"2 hours" is not a Slurm time limit/);
});

test('a fixed optim.workers asks for that many CPUs unless the options name some; auto asks for nothing', () => {
  const base = resolveJobOptions({}, {});
  assert.ok(base.ok);
  assert.equal(withWorkerCpus(base.options, 4).cpus, 4);
  assert.equal(withWorkerCpus(base.options, 'auto').cpus, undefined);
  const named = resolveJobOptions({ cpus: 8 }, {});
  assert.ok(named.ok);
  assert.equal(withWorkerCpus(named.options, 4).cpus, 8);
});
