import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanError } from '../../../src/core/slurm/exec';
import {
  isInvalidJobId,
  normalizeState,
  parseExitCode,
  parseSacct,
  parseSbatchParsable,
  parseScontrol,
  parseScontrolLine,
  parseSqueue,
} from '../../../src/core/slurm/parse';

test('sbatch --parsable: JOBID or JOBID;CLUSTER; anything else is no id', () => {
  assert.equal(parseSbatchParsable('23\n'), '23');
  assert.equal(parseSbatchParsable('\n57;localtest\n'), '57');
  assert.equal(parseSbatchParsable('Submitted batch job 5\n'), undefined);
  assert.equal(parseSbatchParsable(''), undefined);
});

test('states are normalised to their first word without the truncation mark', () => {
  assert.equal(normalizeState('CANCELLED by 0'), 'CANCELLED');
  assert.equal(normalizeState('CANCELLED+'), 'CANCELLED');
  assert.equal(normalizeState(' running '), 'RUNNING');
});

test('squeue lines (-r: one line per array task), empty reason and nodes tolerated', () => {
  const jobs = parseSqueue('2|PENDING|None|\n4_0|PENDING|PartitionConfig|\n4_1|RUNNING|None|localhost\n\n5|CANCELLED by 0||\n');
  assert.deepEqual(jobs, [
    { jobId: '2', state: 'PENDING', reason: 'None' },
    { jobId: '4_0', state: 'PENDING', reason: 'PartitionConfig' },
    { jobId: '4_1', state: 'RUNNING', reason: 'None', nodes: 'localhost' },
    { jobId: '5', state: 'CANCELLED', reason: 'None' },
  ]);
});

test('sacct -P lines carry the exit code', () => {
  assert.deepEqual(parseSacct('2|COMPLETED|0:0|None\n3|CANCELLED by 0|0:0|None\n5|FAILED|3:0|NonZeroExitCode\n'), [
    { jobId: '2', state: 'COMPLETED', reason: 'None', exitCode: '0:0' },
    { jobId: '3', state: 'CANCELLED', reason: 'None', exitCode: '0:0' },
    { jobId: '5', state: 'FAILED', reason: 'NonZeroExitCode', exitCode: '3:0' },
  ]);
});

test('scontrol -o: values with spaces end only where the next Key= starts', () => {
  const kv = parseScontrolLine(
    'JobId=12 JobName=a b JobState=FAILED Reason=JobLaunchFailure Dependency=(null) ExitCode=0:53 WorkDir=/tmp/with space/x StdOut=/tmp/with space/x/trainer.log',
  );
  assert.equal(kv.JobName, 'a b');
  assert.equal(kv.WorkDir, '/tmp/with space/x');
  assert.equal(kv.StdOut, '/tmp/with space/x/trainer.log');
  assert.equal(kv.ExitCode, '0:53');
  const jobs = parseScontrol('JobId=24 ArrayJobId=23 ArrayTaskId=1 JobState=COMPLETED Reason=None ExitCode=0:0 NodeList=localhost\n');
  assert.deepEqual(jobs, [{ jobId: '23_1', state: 'COMPLETED', reason: 'None', exitCode: '0:0', nodes: 'localhost' }]);
});

test('exit codes and error lines', () => {
  assert.deepEqual(parseExitCode('143:0'), { exit: 143, signal: 0 });
  assert.deepEqual(parseExitCode('0:15'), { exit: 0, signal: 15 });
  assert.equal(parseExitCode('x'), undefined);
  assert.equal(
    cleanError('sbatch', 'sbatch: error: Batch job submission failed: Invalid partition name specified\n'),
    'Batch job submission failed: Invalid partition name specified',
  );
  assert.equal(
    cleanError(
      'sbatch',
      'sbatch: warning: something\nsbatch: error: Batch job submission failed: Requested node configuration is not available\n',
    ),
    'Batch job submission failed: Requested node configuration is not available',
  );
  assert.equal(isInvalidJobId('slurm_load_jobs error: Invalid job id specified'), true);
  assert.equal(isInvalidJobId('Unable to contact slurm controller'), false);
});
