// Decoding PNG / JPEG files into the model's input: pure-JS codecs (pngjs, jpeg-js), so the
// extension stays one platform-neutral package, then colour conversion and an antialiased resize.
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { imageSignature } from './imageSignature';

export interface RawImage {
  width: number;
  height: number;
  /** 3 = RGB, 4 = RGBA (alpha is dropped, as PIL's convert('RGB') does). */
  channels: 3 | 4;
  data: Uint8Array;
}

/** Decodes by content (not by file name). Throws an Error whose message is the reason. */
export function decodeImage(bytes: Uint8Array): RawImage {
  const format = imageSignature(bytes);
  if (format === 'png') {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    return { width: png.width, height: png.height, channels: 4, data: png.data };
  }
  if (format === 'jpeg') {
    // tolerantDecoding off: a truncated or damaged JPEG is refused (like PIL) rather than
    // silently returned with grey blocks. The limits stop a huge image from exhausting memory.
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: 64,
      maxMemoryUsageInMB: 1024,
    });
    if (img.data.length !== img.width * img.height * 3)
      throw new Error(`unexpected JPEG decoder output (${img.data.length} bytes for ${img.width}x${img.height})`);
    return { width: img.width, height: img.height, channels: 3, data: img.data };
  }
  const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new Error(bytes.length === 0 ? 'empty file' : `not a PNG or JPEG file (starts with ${head})`);
}

/** RGB(A) -> 1 channel (ITU-R 601-2 luma, PIL's "L") or 3 channels. */
export function convertChannels(img: RawImage, channels: 1 | 3): Uint8Array {
  const n = img.width * img.height;
  const src = img.data;
  const step = img.channels;
  // RGB asked of an RGB image: no copy (a 500x375 photo would allocate 560 KB for nothing).
  if (channels === 3 && step === 3) return src;
  const out = new Uint8Array(n * channels);
  if (channels === 3) {
    for (let i = 0; i < n; i++) {
      out[i * 3] = src[i * step]!;
      out[i * 3 + 1] = src[i * step + 1]!;
      out[i * 3 + 2] = src[i * step + 2]!;
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    const o = i * step;
    // PIL: L = R * 299/1000 + G * 587/1000 + B * 114/1000, in 16-bit fixed point.
    out[i] = (src[o]! * 19595 + src[o + 1]! * 38470 + src[o + 2]! * 7471 + 0x8000) >> 16;
  }
  return out;
}

interface Taps {
  start: Int32Array;
  count: Int32Array;
  /** `stride` fixed-point weights (PRECISION bits) per output pixel. */
  weights: Int32Array;
  stride: number;
}

/** PIL's fixed-point precision for 8-bit resampling (32 - 8 - 2 bits). */
const PRECISION = 22;
const HALF = 1 << (PRECISION - 1);
const ONE = 1 << PRECISION;

// PIL's antialiased bilinear resampling (triangle filter widened by the scale when shrinking),
// the filter torchvision's Resize uses on PIL images; same coefficients, same fixed-point
// rounding and the same 8-bit intermediate, so the pixels equal PIL's.
function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * stride);
  const w = new Float64Array(stride);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(inSize, Math.trunc(center + support + 0.5));
    let total = 0;
    for (let x = lo; x < hi; x++) {
      w[x - lo] = Math.max(0, 1 - Math.abs((x - center + 0.5) / filterScale));
      total += w[x - lo]!;
    }
    for (let x = lo; x < hi; x++) {
      const k = total === 0 ? 0 : w[x - lo]! / total;
      weights[i * stride + x - lo] = Math.trunc(k < 0 ? k * ONE - 0.5 : k * ONE + 0.5);
    }
    start[i] = lo;
    count[i] = hi - lo;
  }
  return { start, count, weights, stride };
}

const clip8 = (acc: number): number => Math.min(255, Math.max(0, Math.floor(acc / ONE)));

function resizeRows(src: Uint8Array, inW: number, rows: number, channels: number, outW: number): Uint8Array {
  const t = taps(inW, outW);
  const out = new Uint8Array(rows * outW * channels);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < outW; x++) {
      const s = t.start[x]!;
      const n = t.count[x]!;
      for (let c = 0; c < channels; c++) {
        let acc = HALF;
        for (let k = 0; k < n; k++) acc += src[(y * inW + s + k) * channels + c]! * t.weights[x * t.stride + k]!;
        out[(y * outW + x) * channels + c] = clip8(acc);
      }
    }
  }
  return out;
}

function resizeColumns(src: Uint8Array, width: number, inH: number, channels: number, outH: number, out: Uint8Array, at: number): void {
  const t = taps(inH, outH);
  const rowBytes = width * channels;
  for (let y = 0; y < outH; y++) {
    const s = t.start[y]!;
    const n = t.count[y]!;
    for (let i = 0; i < rowBytes; i++) {
      let acc = HALF;
      for (let k = 0; k < n; k++) acc += src[(s + k) * rowBytes + i]! * t.weights[y * t.stride + k]!;
      out[at + y * rowBytes + i] = clip8(acc);
    }
  }
}

/**
 * Resizes an interleaved uint8 image (any channel count) to outW x outH, writing into `out` at
 * `at`. The aspect ratio is not kept, as with torchvision's Resize((s, s)).
 */
export function resizeInto(
  src: Uint8Array,
  inW: number,
  inH: number,
  channels: number,
  outW: number,
  outH: number,
  out: Uint8Array,
  at: number,
): void {
  const rows = inW === outW ? src.subarray(0, inW * inH * channels) : resizeRows(src, inW, inH, channels, outW);
  if (inH === outH) out.set(rows, at);
  else resizeColumns(rows, outW, inH, channels, outH, out, at);
}

/** Decodes a PNG / JPEG file's bytes into a size x size image with `channels`, written into `out` at `at`. */
export function decodeToModelInput(bytes: Uint8Array, size: number, channels: 1 | 3, out: Uint8Array, at: number): void {
  const img = decodeImage(bytes);
  if (img.width === 0 || img.height === 0) throw new Error('image has no pixels');
  resizeInto(convertChannels(img, channels), img.width, img.height, channels, size, size, out, at);
}
