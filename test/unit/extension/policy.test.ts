import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runRefsFromArgs, optionsFromArgs } from '../../../src/extension/commands/commandArgs';
import { Coalescer, type Timers } from '../../../src/extension/model/coalescer';
import { judgeNodeVersion, isAtLeast, parseNodeVersion } from '../../../src/extension/model/nodeVersion';
import { dequeue, enqueue, nextLaunches, normalizeMaxConcurrent } from '../../../src/extension/model/queuePolicy';

test('the queue starts the oldest requests while slots are free', () => {
  let q = enqueue([], { dir: '/a', mode: 'start', requestedAt: 2 });
  q = enqueue(q, { dir: '/b', mode: 'resume', requestedAt: 1 });
  q = enqueue(q, { dir: '/c', mode: 'start', requestedAt: 3 });
  assert.equal(enqueue(q, { dir: '/a', mode: 'start', requestedAt: 9 }).length, 3, 'no duplicates');
  assert.deepEqual(
    nextLaunches(q, 0, 2).map((r) => r.dir),
    ['/b', '/a'],
  );
  assert.deepEqual(
    nextLaunches(q, 1, 2).map((r) => r.dir),
    ['/b'],
  );
  assert.deepEqual(nextLaunches(q, 2, 2), []);
  assert.deepEqual(nextLaunches(q, 5, 2), []);
  assert.deepEqual(
    dequeue(q, '/b').map((r) => r.dir),
    ['/a', '/c'],
  );
  assert.equal(normalizeMaxConcurrent(0), 1);
  assert.equal(normalizeMaxConcurrent('3'), 1);
  assert.equal(normalizeMaxConcurrent(3.7), 3);
});

test('Node versions below 20.19 are refused with a clear message', () => {
  assert.deepEqual(parseNodeVersion('v20.19.2\n'), [20, 19, 2]);
  assert.equal(parseNodeVersion('hello'), undefined);
  assert.equal(isAtLeast([20, 19, 0]), true);
  assert.equal(isAtLeast([20, 18, 9]), false);
  assert.equal(isAtLeast([22, 0, 0]), true);
  assert.deepEqual(judgeNodeVersion('node', 'v22.1.0'), { ok: true, version: '22.1.0' });
  const old = judgeNodeVersion('/opt/node18/bin/node', 'v18.20.0');
  assert.ok(!old.ok && /Node 18\.20\.0 at "\/opt\/node18\/bin\/node" is too old/.test(old.message));
  assert.ok(!judgeNodeVersion('x', 'garbage').ok);
});

test('command arguments: ids, folders, tree items, multi-selection, options', () => {
  assert.deepEqual(runRefsFromArgs(['r1']), ['r1']);
  assert.deepEqual(
    runRefsFromArgs([
      { kind: 'run', dir: '/runs/a' },
      [
        { kind: 'run', dir: '/runs/a' },
        { kind: 'run', dir: '/runs/b' },
      ],
    ]),
    ['/runs/a', '/runs/b'],
  );
  assert.deepEqual(runRefsFromArgs([['a', 'b', 'a']]), ['a', 'b']);
  assert.deepEqual(runRefsFromArgs([{ runIds: ['x', 'y'] }]), ['x', 'y']);
  assert.deepEqual(runRefsFromArgs([]), []);
  assert.deepEqual(optionsFromArgs<{ force: boolean }>(['r1', { force: true }]), { force: true });
  assert.deepEqual(optionsFromArgs([{ kind: 'run', dir: '/a' }]), {});
});

test('the coalescer merges a burst and flushes by the deadline during a stream', () => {
  const pending = new Map<number, { fn: () => void; at: number }>();
  let now = 0;
  let next = 1;
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      pending.set(next, { fn, at: now + ms });
      return next++;
    },
    clearTimeout: (h) => pending.delete(h as number),
  };
  const advance = (ms: number) => {
    const until = now + ms;
    for (;;) {
      const due = [...pending.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      pending.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = until;
  };
  const flushed: string[][] = [];
  const c = new Coalescer<string>((keys) => flushed.push([...keys]), 20, 100, timers);
  c.add('a');
  c.add('b');
  c.add('a');
  advance(19);
  assert.deepEqual(flushed, []);
  advance(1);
  assert.deepEqual(flushed, [['a', 'b']]);
  // A steady stream (every 10 ms) is still flushed within the 100 ms deadline.
  for (let i = 0; i < 30; i++) {
    c.add(`k${i}`);
    advance(10);
  }
  assert.ok(flushed.length >= 3, `flushed ${flushed.length} times`);
  c.dispose();
});
