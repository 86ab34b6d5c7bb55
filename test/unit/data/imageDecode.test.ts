import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as jpeg from 'jpeg-js';
import { convertChannels, decodeImage, decodeToModelInput, resizeInto } from '../../../src/data/imageDecode';
import { encodePng, solidJpeg } from './writers';

// A 7x5 RGB test card, and Pillow 9.4.0's Image.resize(..., BILINEAR) of it (the filter
// torchvision's Resize applies to PIL images), computed once with Debian's python3-pil.
const W = 7;
const H = 5;
const card = new Uint8Array(W * H * 3);
for (let y = 0; y < H; y++)
  for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) card[(y * W + x) * 3 + c] = (x * 37 + y * 91 + c * 53 + x * y * 11) % 256;
const PIL_3x4 = [
  57, 110, 149, 123, 150, 177, 163, 148, 118, 151, 158, 141, 142, 121, 114, 105, 112, 143, 119, 126, 109, 138, 117, 110, 128, 135, 112, 112,
  165, 121, 109, 136, 118, 81, 134, 123,
];
const PIL_11x9_FIRST_ROWS = [
  0, 53, 106, 17, 70, 123, 40, 93, 146, 64, 117, 170, 87, 140, 193, 111, 164, 217, 135, 188, 241, 158, 211, 194, 182, 235, 55, 205, 119, 55,
  222, 19, 72, 30, 83, 136, 49, 102, 155, 74, 127, 173, 101, 154, 145, 126, 148, 147, 152, 120, 173, 124, 146, 199, 119, 172, 178, 145, 198,
  96, 170, 131, 106, 189, 71,
];
const PIL_L_4x4 = [86, 132, 159, 140, 155, 143, 113, 116, 119, 126, 120, 134, 151, 117, 135, 113];

test('resize equals Pillow\u2019s antialiased bilinear, shrinking and enlarging', () => {
  const small = new Uint8Array(3 * 4 * 3);
  resizeInto(card, W, H, 3, 3, 4, small, 0);
  assert.deepEqual(Array.from(small), PIL_3x4);
  const big = new Uint8Array(11 * 9 * 3 + 5);
  resizeInto(card, W, H, 3, 11, 9, big, 5);
  assert.deepEqual(Array.from(big.subarray(5, 5 + PIL_11x9_FIRST_ROWS.length)), PIL_11x9_FIRST_ROWS);
});

test('grey conversion equals Pillow\u2019s convert("L"), then resize', () => {
  const grey = convertChannels({ width: W, height: H, channels: 3, data: card }, 1);
  const out = new Uint8Array(16);
  resizeInto(grey, W, H, 1, 4, 4, out, 0);
  assert.deepEqual(Array.from(out), PIL_L_4x4);
});

test('PNG: grey, grey+alpha, RGB, RGBA and 16-bit files decode to the same colours', () => {
  const v = [10, 200, 30];
  const expectRgb = (png: Buffer, rgb: number[]) => {
    const out = new Uint8Array(2 * 2 * 3);
    decodeToModelInput(png, 2, 3, out, 0);
    for (let i = 0; i < 4; i++) assert.deepEqual(Array.from(out.subarray(i * 3, i * 3 + 3)), rgb);
  };
  expectRgb(encodePng(2, 2, 1, new Uint8Array(4).fill(77)), [77, 77, 77]);
  expectRgb(encodePng(2, 2, 2, Uint8Array.from([77, 255, 77, 0, 77, 9, 77, 255])), [77, 77, 77]);
  expectRgb(encodePng(2, 2, 3, Uint8Array.from([...v, ...v, ...v, ...v])), v);
  // Alpha is dropped (PIL convert('RGB')), whatever its value.
  expectRgb(encodePng(2, 2, 4, Uint8Array.from([...v, 0, ...v, 128, ...v, 255, ...v, 1])), v);
  const sixteen = new Uint8Array(2 * 2 * 3 * 2);
  for (let i = 0; i < 12; i++) sixteen[i * 2] = v[i % 3]!;
  for (let i = 0; i < 12; i++) sixteen[i * 2 + 1] = v[i % 3]!;
  expectRgb(encodePng(2, 2, 3, sixteen, 16), v);
});

test('JPEG: colour and grey files decode; a solid colour survives within JPEG error', () => {
  const out = new Uint8Array(4 * 4 * 3);
  decodeToModelInput(solidJpeg(16, 16, [200, 40, 90]), 4, 3, out, 0);
  for (let i = 0; i < 16; i++) {
    assert.ok(
      Math.abs(out[i * 3]! - 200) <= 3 && Math.abs(out[i * 3 + 1]! - 40) <= 3 && Math.abs(out[i * 3 + 2]! - 90) <= 3,
      `pixel ${i}: ${out.subarray(i * 3, i * 3 + 3).join(',')}`,
    );
  }
  const grey = new Uint8Array(4);
  decodeToModelInput(solidJpeg(8, 8, [100, 100, 100]), 2, 1, grey, 0);
  for (const g of grey) assert.ok(Math.abs(g - 100) <= 2, `grey ${g}`);
});

test('undecodable bytes give a reason: not an image, a truncated JPEG, a PNG with a bad checksum', () => {
  assert.throws(() => decodeImage(Buffer.from('GIF89a....')), /not a PNG or JPEG file \(starts with 47 49 46 38\)/);
  assert.throws(() => decodeImage(new Uint8Array(0)), /empty file/);
  const j = solidJpeg(32, 32, [1, 2, 3]);
  assert.throws(() => decodeImage(j.subarray(0, Math.floor(j.length / 2))));
  const png = encodePng(2, 2, 1, new Uint8Array(4).fill(9));
  const broken = Buffer.from(png);
  broken[broken.length - 20] = broken[broken.length - 20]! ^ 0xff; // inside IDAT: its CRC no longer matches
  assert.throws(() => decodeImage(broken));
  // The sound files still decode (the failures above are about the damage).
  assert.equal(decodeImage(png).width, 2);
  assert.equal(jpeg.decode(j, { useTArray: true }).width, 32);
});
