// Worker count and shard layout of a run: auto = min(CPUs, batch / 16) with the Slurm allocation
// taking precedence, balanced contiguous shards, and the resume rules (keep the checkpoint's
// layout; another worker count within it is fine; anything else is refused with the reason).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignShards, availableCpus, planParallel, resolveWorkers, shardRanges, shardSize } from '../../../src/core/parallel';

test('auto workers: min(CPUs, batch / 16), at least 1; Slurm allocation first', () => {
  assert.equal(resolveWorkers('auto', 128, 2), 2);
  assert.equal(resolveWorkers('auto', 128, 16), 8);
  assert.equal(resolveWorkers('auto', 16, 16), 1);
  assert.equal(resolveWorkers('auto', 8, 16), 1);
  assert.equal(resolveWorkers(3, 8, 16), 3);
  assert.equal(availableCpus({ SLURM_CPUS_PER_TASK: '6' }), 6);
  assert.ok(availableCpus({ SLURM_CPUS_PER_TASK: 'x' }) >= 1);
});

test('shards are contiguous, cover the batch and differ by at most one image', () => {
  assert.deepEqual(shardRanges(128, 2), [
    [0, 64],
    [64, 128],
  ]);
  const r = shardRanges(10, 4);
  assert.deepEqual(r, [
    [0, 2],
    [2, 5],
    [5, 7],
    [7, 10],
  ]);
  assert.equal(shardSize({ shards: 4, batchSize: 10 }), 3);
  assert.deepEqual(assignShards(4, 2), [
    [0, 1],
    [2, 3],
  ]);
  assert.deepEqual(assignShards(3, 2), [[0], [1, 2]]);
  assert.deepEqual(assignShards(2, 5), [[0], [1]]);
});

test('a new run: shards default to the workers; GPU backends run one thread', () => {
  assert.deepEqual(planParallel({ workers: 'auto', shards: undefined, batchSize: 128, threads: true, cpus: 2 }), {
    ok: true,
    plan: { workers: 2, shards: 2, note: null },
  });
  assert.deepEqual(planParallel({ workers: 'auto', shards: 4, batchSize: 128, threads: true, cpus: 2 }), {
    ok: true,
    plan: { workers: 2, shards: 4, note: null },
  });
  assert.deepEqual(planParallel({ workers: 8, shards: 2, batchSize: 128, threads: true, cpus: 16 }), {
    ok: true,
    plan: { workers: 2, shards: 2, note: null },
  });
  assert.deepEqual(planParallel({ workers: 4, shards: undefined, batchSize: 128, threads: false, cpus: 16 }), {
    ok: true,
    plan: { workers: 1, shards: 1, note: null },
  });
});

test('resume keeps the checkpoint layout; more workers than shards or other shards are refused with the reason', () => {
  const kept = planParallel({ workers: 'auto', shards: undefined, batchSize: 128, resumedShards: 2, threads: true, cpus: 16 });
  assert.ok(kept.ok && kept.plan.workers === 2 && kept.plan.shards === 2 && /checkpoint's 2 shards of 64/.test(kept.plan.note ?? ''));
  const fewer = planParallel({ workers: 1, shards: undefined, batchSize: 128, resumedShards: 2, threads: true });
  assert.ok(fewer.ok && fewer.plan.workers === 1 && fewer.plan.shards === 2);
  const more = planParallel({ workers: 4, shards: undefined, batchSize: 128, resumedShards: 2, threads: true });
  assert.ok(!more.ok && /at most 2 workers .*--workers 2 or fewer/.test(more.reason));
  const other = planParallel({ workers: 'auto', shards: 4, batchSize: 128, resumedShards: 2, threads: true });
  assert.ok(!other.ok && /optim\.shards 4 would change the batch-norm statistics/.test(other.reason));
  const old = planParallel({ workers: 'auto', shards: undefined, batchSize: 128, resumedShards: 1, threads: true, cpus: 2 });
  assert.ok(old.ok && old.plan.workers === 1 && old.plan.shards === 1, 'a checkpoint from before shards trains on as one shard');
});
