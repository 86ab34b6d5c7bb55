// Two-view augmentation on the host: evaluation views untouched, weak views are padded crops /
// flips of the source, strong views stay in range and are colour-consistent, everything is
// reproducible from the Rng stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { augmentView, trainingViews, type ImageGeometry } from '../../../src/trainer/augment';
import { Rng } from '../../../src/core/random';

function randomImages(n: number, geo: ImageGeometry, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: n * geo.height * geo.width * geo.channels }, () => rng.int(256));
}

const COLOUR: ImageGeometry = { height: 32, width: 32, channels: 3 };
const GREY: ImageGeometry = { height: 28, width: 28, channels: 1 };

test('evaluation views are the images scaled to [0, 1]; uint8 and float sources agree', () => {
  const src = randomImages(4, GREY, 1);
  const out = augmentView(src, [2, 0], GREY, 'none', { padding: 2, flip: true }, new Rng(0));
  const per = 28 * 28;
  for (let k = 0; k < per; k++) {
    assert.ok(Math.abs(out[k]! - src[2 * per + k]! / 255) < 1e-7);
    assert.ok(Math.abs(out[per + k]! - src[k]! / 255) < 1e-7);
  }
  const asFloat = Float32Array.from(src, (v) => v / 255);
  const a = augmentView(src, [0, 1, 3], GREY, 'strong', { padding: 2, flip: true }, new Rng(9));
  const b = augmentView(asFloat, [0, 1, 3], GREY, 'strong', { padding: 2, flip: true }, new Rng(9));
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-5));
});

/** Does `o` equal the source image shifted by (dy, dx) with zero fill, optionally flipped first? */
function matchesCrop(o: Float32Array, src: Uint8Array, base: number, geo: ImageGeometry, p: number): boolean {
  const { height: H, width: W, channels: C } = geo;
  for (let dy = -p; dy <= p; dy++) {
    for (let dx = -p; dx <= p; dx++) {
      for (const flip of [false, true]) {
        let ok = true;
        for (let y = 0; y < H && ok; y++) {
          for (let x = 0; x < W && ok; x++) {
            const sy = y + dy;
            const sx = (flip ? W - 1 - x : x) + dx;
            for (let c = 0; c < C && ok; c++) {
              const want = sy < 0 || sy >= H || sx < 0 || sx >= W ? 0 : src[base + (sy * W + sx) * C + c]! / 255;
              ok = Math.abs(o[(y * W + x) * C + c]! - want) < 1e-7;
            }
          }
        }
        if (ok) return true;
      }
    }
  }
  return false;
}

test('weak views are random crops of the zero-padded image with random flips', () => {
  const src = randomImages(3, COLOUR, 2);
  const per = 32 * 32 * 3;
  const rng = new Rng(4);
  let differs = 0;
  for (let rep = 0; rep < 5; rep++) {
    const out = augmentView(src, [0, 1, 2], COLOUR, 'weak', { padding: 4, flip: true }, rng);
    for (let i = 0; i < 3; i++) {
      const o = out.subarray(i * per, (i + 1) * per);
      assert.ok(matchesCrop(o, src, i * per, COLOUR, 4), `image ${i} is a padded crop`);
      if (o.some((v, k) => Math.abs(v - src[i * per + k]! / 255) > 1e-7)) differs++;
    }
  }
  assert.ok(differs >= 12, `most views are moved or flipped (${differs}/15)`);
  // No padding and no flip: the identity.
  const id = augmentView(src, [1], COLOUR, 'weak', { padding: 0, flip: false }, new Rng(1));
  id.forEach((v, k) => assert.ok(Math.abs(v - src[per + k]! / 255) < 1e-7));
});

test('views are reproducible from the Rng stream and differ between streams', () => {
  const src = randomImages(8, COLOUR, 3);
  const idx = [0, 3, 5, 7];
  const opts = { padding: 4, flip: true, strongSecondView: true };
  const a = trainingViews(src, idx, COLOUR, 2, opts, new Rng(42));
  const b = trainingViews(src, idx, COLOUR, 2, opts, new Rng(42));
  const c = trainingViews(src, idx, COLOUR, 2, opts, new Rng(43));
  assert.equal(a.length, 2);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a[1], c[1]);
  assert.equal(trainingViews(src, idx, COLOUR, 1, opts, new Rng(42)).length, 1);
});

test('strong views: values in [0, 1], constant images stay constant, colour images sometimes grey', () => {
  const n = 200;
  const src = randomImages(n, COLOUR, 5);
  const out = augmentView(
    src,
    Array.from({ length: n }, (_, i) => i),
    COLOUR,
    'strong',
    { padding: 4, flip: true },
    new Rng(6),
  );
  assert.ok(out.every((v) => v >= 0 && v <= 1));
  const per = 32 * 32 * 3;
  let grey = 0;
  for (let i = 0; i < n; i++) {
    const o = out.subarray(i * per, (i + 1) * per);
    let isGrey = true;
    for (let k = 0; k < o.length && isGrey; k += 3) isGrey = o[k] === o[k + 1] && o[k] === o[k + 2];
    if (isGrey) grey++;
  }
  // RandomGrayscale(p = 0.2): about 40 of 200.
  assert.ok(grey > 20 && grey < 65, `${grey} of ${n} grey`);
  // A constant grey image: resized crops are constant, so the whole view is one value.
  const flat = new Uint8Array(2 * 28 * 28).fill(100);
  const g = augmentView(flat, [0, 1], GREY, 'strong', { padding: 2, flip: true }, new Rng(7));
  for (let i = 0; i < 2; i++) {
    const o = g.subarray(i * 784, (i + 1) * 784);
    assert.ok(o.every((v) => Math.abs(v - o[0]!) < 1e-6));
  }
  assert.throws(() => augmentView(flat, [5], GREY, 'weak', { padding: 2, flip: true }, new Rng(1)), /outside the source/);
});
