// Training augmentation on the host, with typed arrays (no tensors until the batch is uploaded),
// deterministic from one Rng stream. Images are HWC, 1 (grey) or 3 (colour) channels, any size
// (28x28 and 32x32 in practice). Output is float32 NHWC in [0, 1].
//
//   weak   (view 1, docs/method.md): random crop with zero padding + horizontal flip.
//   strong (view 2, SimCLR-CIFAR scaled to small inputs): random resized crop (scale 0.2-1,
//          ratio 3/4-4/3, bilinear) + flip + colour jitter with p 0.8 (brightness, contrast,
//          saturation 0.4, hue 0.1, random order; grey images get brightness and contrast only)
//          + random grayscale with p 0.2 (colour only). Gaussian blur is left out: at 28-32 px it
//          mostly erases the image.
//   none   evaluation: the image as it is.
import type { Rng } from '../core/random';

export type ViewRecipe = 'none' | 'weak' | 'strong';

export interface ImageGeometry {
  height: number;
  width: number;
  channels: 1 | 3;
}

export interface AugmentOptions {
  /** Zero padding of the weak view's random crop (pixels). */
  padding: number;
  /** Random horizontal flip (both recipes). */
  flip: boolean;
}

/** Source images: uint8 (0..255) or float (0..1), HWC, one after another. */
export type ImageSource = Uint8Array | Float32Array;

export const STRONG = {
  scale: [0.2, 1] as const,
  ratio: [3 / 4, 4 / 3] as const,
  jitterProbability: 0.8,
  brightness: 0.4,
  contrast: 0.4,
  saturation: 0.4,
  hue: 0.1,
  grayscaleProbability: 0.2,
};

/**
 * One augmented view of the images `indices` of `src`: float32 [count, H, W, C] in [0, 1].
 * Writes into `out` when given (length count*H*W*C).
 */
export function augmentView(
  src: ImageSource,
  indices: ArrayLike<number>,
  geo: ImageGeometry,
  recipe: ViewRecipe,
  opts: AugmentOptions,
  rng: Rng,
  out?: Float32Array,
): Float32Array {
  const { height: H, width: W, channels: C } = geo;
  const size = H * W * C;
  const n = indices.length;
  const dst = out ?? new Float32Array(n * size);
  if (dst.length !== n * size) throw new RangeError(`augmentView: output holds ${dst.length} values, need ${n * size}`);
  const scale = src instanceof Uint8Array ? 1 / 255 : 1;
  for (let i = 0; i < n; i++) {
    const idx = indices[i]!;
    const base = idx * size;
    if (base < 0 || base + size > src.length) throw new RangeError(`augmentView: image ${idx} is outside the source`);
    const o = dst.subarray(i * size, (i + 1) * size);
    switch (recipe) {
      case 'none':
        for (let k = 0; k < size; k++) o[k] = src[base + k]! * scale;
        break;
      case 'weak':
        weakCrop(src, base, scale, geo, opts, rng, o);
        break;
      case 'strong':
        resizedCrop(src, base, scale, geo, opts.flip, rng, o);
        colourJitter(o, geo, rng);
        break;
      default: {
        const never: never = recipe;
        throw new Error(`unknown view recipe ${String(never)}`);
      }
    }
  }
  return dst;
}

/** Random crop of the zero-padded image (torchvision RandomCrop(padding)) and flip. */
function weakCrop(
  src: ImageSource,
  base: number,
  scale: number,
  geo: ImageGeometry,
  opts: AugmentOptions,
  rng: Rng,
  o: Float32Array,
): void {
  const { height: H, width: W, channels: C } = geo;
  const p = opts.padding;
  const dy = rng.int(2 * p + 1) - p;
  const dx = rng.int(2 * p + 1) - p;
  const flip = opts.flip && rng.next() < 0.5;
  for (let y = 0; y < H; y++) {
    const sy = y + dy;
    const rowOk = sy >= 0 && sy < H;
    for (let x = 0; x < W; x++) {
      const sx = (flip ? W - 1 - x : x) + dx;
      const d = (y * W + x) * C;
      if (!rowOk || sx < 0 || sx >= W) {
        for (let c = 0; c < C; c++) o[d + c] = 0;
      } else {
        const s = base + (sy * W + sx) * C;
        for (let c = 0; c < C; c++) o[d + c] = src[s + c]! * scale;
      }
    }
  }
}

/** torchvision RandomResizedCrop box selection (10 tries, then the central crop). */
function cropBox(H: number, W: number, rng: Rng): { top: number; left: number; h: number; w: number } {
  const area = H * W;
  const [r0, r1] = [Math.log(STRONG.ratio[0]), Math.log(STRONG.ratio[1])];
  for (let t = 0; t < 10; t++) {
    const target = area * (STRONG.scale[0] + rng.next() * (STRONG.scale[1] - STRONG.scale[0]));
    const ratio = Math.exp(r0 + rng.next() * (r1 - r0));
    const w = Math.round(Math.sqrt(target * ratio));
    const h = Math.round(Math.sqrt(target / ratio));
    if (w > 0 && h > 0 && w <= W && h <= H) return { top: rng.int(H - h + 1), left: rng.int(W - w + 1), h, w };
  }
  const inRatio = W / H;
  let w = W;
  let h = H;
  if (inRatio < STRONG.ratio[0]) h = Math.round(w / STRONG.ratio[0]);
  else if (inRatio > STRONG.ratio[1]) w = Math.round(h * STRONG.ratio[1]);
  return { top: Math.floor((H - h) / 2), left: Math.floor((W - w) / 2), h, w };
}

/** Random resized crop (bilinear, half-pixel centres as torchvision) and flip. */
function resizedCrop(src: ImageSource, base: number, scale: number, geo: ImageGeometry, flipOn: boolean, rng: Rng, o: Float32Array): void {
  const { height: H, width: W, channels: C } = geo;
  const box = cropBox(H, W, rng);
  const flip = flipOn && rng.next() < 0.5;
  const sy = box.h / H;
  const sx = box.w / W;
  for (let y = 0; y < H; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), box.h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, box.h - 1);
    const wy = fy - y0;
    for (let x = 0; x < W; x++) {
      const xo = flip ? W - 1 - x : x;
      const fx = Math.min(Math.max((xo + 0.5) * sx - 0.5, 0), box.w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, box.w - 1);
      const wx = fx - x0;
      const r0 = base + ((box.top + y0) * W + box.left) * C;
      const r1 = base + ((box.top + y1) * W + box.left) * C;
      const d = (y * W + x) * C;
      for (let c = 0; c < C; c++) {
        const a = src[r0 + x0 * C + c]! * (1 - wx) + src[r0 + x1 * C + c]! * wx;
        const b = src[r1 + x0 * C + c]! * (1 - wx) + src[r1 + x1 * C + c]! * wx;
        o[d + c] = (a * (1 - wy) + b * wy) * scale;
      }
    }
  }
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

function grayMean(o: Float32Array, C: number): number {
  let s = 0;
  const px = o.length / C;
  if (C === 1) for (let k = 0; k < px; k++) s += o[k]!;
  else for (let k = 0; k < px; k++) s += 0.299 * o[3 * k]! + 0.587 * o[3 * k + 1]! + 0.114 * o[3 * k + 2]!;
  return s / px;
}

/** ColorJitter(0.4, 0.4, 0.4, 0.1) with p 0.8 in random order, then RandomGrayscale(0.2). */
function colourJitter(o: Float32Array, geo: ImageGeometry, rng: Rng): void {
  const C = geo.channels;
  if (rng.next() < STRONG.jitterProbability) {
    const ops = C === 3 ? [0, 1, 2, 3] : [0, 1];
    rng.shuffle(ops);
    for (const op of ops) {
      switch (op) {
        case 0: {
          const f = 1 - STRONG.brightness + rng.next() * 2 * STRONG.brightness;
          for (let k = 0; k < o.length; k++) o[k] = clamp01(o[k]! * f);
          break;
        }
        case 1: {
          const f = 1 - STRONG.contrast + rng.next() * 2 * STRONG.contrast;
          const m = grayMean(o, C);
          for (let k = 0; k < o.length; k++) o[k] = clamp01((o[k]! - m) * f + m);
          break;
        }
        case 2: {
          const f = 1 - STRONG.saturation + rng.next() * 2 * STRONG.saturation;
          for (let k = 0; k < o.length; k += 3) {
            const g = 0.299 * o[k]! + 0.587 * o[k + 1]! + 0.114 * o[k + 2]!;
            for (let c = 0; c < 3; c++) o[k + c] = clamp01((o[k + c]! - g) * f + g);
          }
          break;
        }
        case 3:
          shiftHue(o, (rng.next() * 2 - 1) * STRONG.hue);
          break;
      }
    }
  }
  if (C === 3 && rng.next() < STRONG.grayscaleProbability) {
    for (let k = 0; k < o.length; k += 3) {
      const g = 0.299 * o[k]! + 0.587 * o[k + 1]! + 0.114 * o[k + 2]!;
      o[k] = g;
      o[k + 1] = g;
      o[k + 2] = g;
    }
  }
}

/** Hue rotation by `shift` turns through HSV (torchvision adjust_hue). */
function shiftHue(o: Float32Array, shift: number): void {
  for (let k = 0; k < o.length; k += 3) {
    const r = o[k]!;
    const g = o[k + 1]!;
    const b = o[k + 2]!;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const delta = max - min;
    if (delta === 0) continue; // grey pixel: hue undefined, unchanged
    let h: number;
    if (max === r) h = ((g - b) / delta) % 6;
    else if (max === g) h = (b - r) / delta + 2;
    else h = (r - g) / delta + 4;
    h = h / 6 + shift;
    h -= Math.floor(h);
    const s = delta / max;
    const v = max;
    const h6 = h * 6;
    const i = Math.floor(h6) % 6;
    const f = h6 - Math.floor(h6);
    const p = v * (1 - s);
    const q = v * (1 - s * f);
    const t = v * (1 - s * (1 - f));
    let R: number, G: number, B: number;
    switch (i) {
      case 0:
        R = v;
        G = t;
        B = p;
        break;
      case 1:
        R = q;
        G = v;
        B = p;
        break;
      case 2:
        R = p;
        G = v;
        B = t;
        break;
      case 3:
        R = p;
        G = q;
        B = v;
        break;
      case 4:
        R = t;
        G = p;
        B = v;
        break;
      default:
        R = v;
        G = p;
        B = q;
    }
    o[k] = R;
    o[k + 1] = G;
    o[k + 2] = B;
  }
}

/**
 * The views of one training batch: view 1 weak; view 2 strong when `strongSecondView`, else a
 * second independent weak view. One view for single-view methods.
 */
export function trainingViews(
  src: ImageSource,
  indices: ArrayLike<number>,
  geo: ImageGeometry,
  views: 1 | 2,
  opts: AugmentOptions & { strongSecondView: boolean },
  rng: Rng,
): Float32Array[] {
  const out = [augmentView(src, indices, geo, 'weak', opts, rng)];
  if (views === 2) out.push(augmentView(src, indices, geo, opts.strongSecondView ? 'strong' : 'weak', opts, rng));
  return out;
}
