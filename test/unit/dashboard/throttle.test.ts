// The snapshot throttle: first change at once, bursts coalesced to one send per interval.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Throttle } from '../../../src/extension/dashboard/throttle';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('snapshot throttle', () => {
  it('runs the first request at once and coalesces a burst into one more run', async () => {
    const times: number[] = [];
    const t = new Throttle(() => times.push(performance.now()), 60);
    const start = performance.now();
    t.request();
    assert.equal(times.length, 1, 'first request runs synchronously');
    for (let i = 0; i < 20; i++) t.request();
    assert.equal(times.length, 1);
    await sleep(100);
    assert.equal(times.length, 2, 'one trailing run for the whole burst');
    assert.ok(times[1]! - start >= 55, `trailing run waited the interval (${times[1]! - start} ms)`);
    t.dispose();
  });

  it('flush runs now; dispose cancels a pending run', async () => {
    let n = 0;
    const t = new Throttle(() => n++, 50);
    t.request();
    t.request();
    t.flush();
    assert.equal(n, 2);
    t.request();
    t.dispose();
    await sleep(80);
    assert.equal(n, 2);
    t.request();
    t.flush();
    assert.equal(n, 2, 'nothing after dispose');
  });
});
