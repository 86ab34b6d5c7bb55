import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../../src/core/random';

const draw = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.nextU32());

test('the same seed gives the same stream; another seed another stream', () => {
  assert.deepEqual(draw(new Rng(42), 50), draw(new Rng(42), 50));
  assert.notDeepEqual(draw(new Rng(42), 50), draw(new Rng(43), 50));
});

test('a saved state restores the exact continuation of every draw kind', () => {
  const rng = new Rng(1234);
  draw(rng, 17);
  rng.normal();
  const saved = rng.state();
  const expected = [rng.nextU32(), rng.next(), rng.int(1000), rng.normal(), ...rng.shuffle([1, 2, 3, 4, 5, 6])];
  // The state survives JSON (it is what a checkpoint stores).
  const restored = new Rng(JSON.parse(JSON.stringify(saved)) as typeof saved);
  const got = [restored.nextU32(), restored.next(), restored.int(1000), restored.normal(), ...restored.shuffle([1, 2, 3, 4, 5, 6])];
  assert.deepEqual(got, expected);
  assert.deepEqual(restored.state(), rng.state());
});

test('derived streams are deterministic and independent of each other', () => {
  assert.deepEqual(draw(Rng.derive(7, 'shuffle'), 10), draw(Rng.derive(7, 'shuffle'), 10));
  assert.notDeepEqual(draw(Rng.derive(7, 'shuffle'), 10), draw(Rng.derive(7, 'augment'), 10));
  assert.notDeepEqual(draw(Rng.derive(7, 'shuffle'), 10), draw(Rng.derive(8, 'shuffle'), 10));
});

test('ranges and distributions', () => {
  const rng = new Rng(9);
  const counts = new Array(6).fill(0);
  let sum = 0;
  let sumSq = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    assert.ok(u >= 0 && u < 1);
    counts[rng.int(6)]++;
    const z = rng.normal();
    sum += z;
    sumSq += z * z;
  }
  for (const c of counts) assert.ok(Math.abs(c / n - 1 / 6) < 0.02, `int(6) is uniform: ${counts.join(',')}`);
  assert.ok(Math.abs(sum / n) < 0.05, 'normal mean ~ 0');
  assert.ok(Math.abs(sumSq / n - 1) < 0.05, 'normal variance ~ 1');
  const perm = rng.shuffle(Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(
    [...perm].sort((a, b) => a - b),
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.notDeepEqual(
    perm,
    Array.from({ length: 50 }, (_, i) => i),
  );
});
