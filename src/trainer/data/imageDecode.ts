// Decoding PNG / JPEG files into the model's input: pure-JS codecs (pngjs, jpeg-js), so the
// extension stays one platform-neutral package, then colour conversion and an antialiased resize.
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export interface RawImage {
  width: number;
  height: number;
  /** 3 = RGB, 4 = RGBA (alpha is dropped, as PIL's convert('RGB') does). */
  channels: 3 | 4;
  data: Uint8Array;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, sig: readonly number[]): boolean {
  return bytes.length >= sig.length && sig.every((b, i) => bytes[i] === b);
}

/** Decodes by content (not by file name). Throws an Error whose message is the reason. */
export function decodeImage(bytes: Uint8Array): RawImage {
  if (startsWith(bytes, PNG_SIGNATURE)) {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    return { width: png.width, height: png.height, channels: 4, data: png.data };
  }
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) {
    // tolerantDecoding off: a truncated or damaged JPEG is refused (like PIL) rather than
    // silently returned with grey blocks. The limits stop a huge image from exhausting memory.
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false, maxResolutionInMP: 64, maxMemoryUsageInMB: 1024 });
    if (img.data.length !== img.width * img.height * 3) throw new Error(`unexpected JPEG decoder output (${img.data.length} bytes for ${img.width}x${img.height})`);
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
  const out = new Uint8Array(n * channels);
  if (channels === 3) {
    if (step === 3) return src;
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
  /** `stride` weights per output pixel. */
  weights: Float32Array;
  stride: number;
}

// PIL's antialiased bilinear resampling (triangle filter widened by the scale when shrinking),
// the filter torchvision's Resize uses on PIL images.
function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * stride);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support + 0.5));
    const hi = Math.min(inSize, Math.floor(center + support + 0.5));
    let total = 0;
    for (let x = lo; x < hi; x++) {
      const w = Math.max(0, 1 - Math.abs((x - center + 0.5) / filterScale));
      weights[i * stride + x - lo] = w;
      total += w;
    }
    for (let x = lo; x < hi; x++) weights[i * stride + x - lo]! /= total || 1;
    start[i] = lo;
    count[i] = hi - lo;
  }
  return { start, count, weights, stride };
}

/**
 * Resizes an interleaved uint8 image (any channel count) to outW x outH, writing into `out` at
 * `at`. The aspect ratio is not kept, as with torchvision's Resize((s, s)).
 */
export function resizeInto(src: Uint8Array, inW: number, inH: number, channels: number, outW: number, outH: number, out: Uint8Array, at: number): void {
  if (inW === outW && inH === outH) {
    out.set(src.subarray(0, inW * inH * channels), at);
    return;
  }
  const h = taps(inW, outW);
  const v = taps(inH, outH);
  const tmp = new Float32Array(inH * outW * channels);
  for (let y = 0; y < inH; y++) {
    for (let x = 0; x < outW; x++) {
      const s = h.start[x]!;
      const n = h.count[x]!;
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += src[(y * inW + s + k) * channels + c]! * h.weights[x * h.stride + k]!;
        tmp[(y * outW + x) * channels + c] = acc;
      }
    }
  }
  for (let y = 0; y < outH; y++) {
    const s = v.start[y]!;
    const n = v.count[y]!;
    for (let x = 0; x < outW; x++) {
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += tmp[((s + k) * outW + x) * channels + c]! * v.weights[y * v.stride + k]!;
        out[at + (y * outW + x) * channels + c] = Math.min(255, Math.max(0, Math.round(acc)));
      }
    }
  }
}

/** Decodes a PNG / JPEG file's bytes into a size x size image with `channels`, written into `out` at `at`. */
export function decodeToModelInput(bytes: Uint8Array, size: number, channels: 1 | 3, out: Uint8Array, at: number): void {
  const img = decodeImage(bytes);
  if (img.width === 0 || img.height === 0) throw new Error('image has no pixels');
  resizeInto(convertChannels(img, channels), img.width, img.height, channels, size, size, out, at);
}
