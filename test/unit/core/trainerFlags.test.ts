import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TRAINER_NODE_FLAGS, nodeFlagsOption, trainerNodeArgs } from '../../../src/core/trainerFlags';

test('the trainer is started with its Node flags before the script', () => {
  assert.deepEqual(trainerNodeArgs('/opt/dist/trainer.js', ['run', '/r']), [...TRAINER_NODE_FLAGS, '/opt/dist/trainer.js', 'run', '/r']);
});

test("a benchmark's --node-flags: absent = the trainer's, empty = none, else split on spaces", () => {
  assert.deepEqual(nodeFlagsOption(undefined), [...TRAINER_NODE_FLAGS]);
  assert.deepEqual(nodeFlagsOption(''), []);
  assert.deepEqual(nodeFlagsOption(' --a  --b=1 '), ['--a', '--b=1']);
});
