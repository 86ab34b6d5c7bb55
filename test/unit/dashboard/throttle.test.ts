// The snapshot throttle (first change at once, bursts coalesced to one send per interval) and
// what an export may carry.
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

describe('export payloads', () => {
  it('CSV is text; a PNG must be a data URL holding a PNG', async () => {
    const { exportBytes } = await import('../../../src/extension/dashboard/exportBytes');
    assert.equal(Buffer.from(exportBytes('csv', 'a,b\n') as Uint8Array).toString(), 'a,b\n');
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    assert.deepEqual(Buffer.from(exportBytes('png', `data:image/png;base64,${png.toString('base64')}`) as Uint8Array), png);
    assert.match(exportBytes('png', 'data:text/html;base64,PGgxPg==') as string, /not a data:image\/png/);
    assert.match(exportBytes('png', `data:image/png;base64,${Buffer.from('<svg/>').toString('base64')}`) as string, /does not hold a PNG/);
  });
});
