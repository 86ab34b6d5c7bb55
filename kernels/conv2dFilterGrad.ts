// AssemblyScript source of the trainer's weight-gradient kernel for 2-D convolutions on the wasm
// backend (compiled by `npm run build:kernels`; why: docs/architecture.md, "Own wasm kernels").
// Same rules as batchNorm.ts: pointers are byte offsets into tfjs-backend-wasm's memory, which
// this module imports; no static data, no allocation.
//
//   dW[a, b, ci, co] = sum over n, ho, wo of x[n, ho sh + a - pt, wo sw + b - pl, ci] dy[n, ho, wo, co]
//
// x is NHWC [N, H, W, Ci], dy is [N, Ho, Wo, Co], dW is [kh, kw, Ci, Co]; positions outside x are
// the zero padding. Co must be a multiple of 16: the inner loop keeps a tile of 2 input channels x
// 16 output channels (eight 128-bit accumulators) in registers while it walks one output row, and
// adds the tile into dW once per row.

/** Adds one output row's products into the tile of input channels ci, ci + 1 x output channels co0 .. co0 + 15 at w. */
function maddRow2(xrow: usize, dyrow: usize, wo0: i32, wo1: i32, sw: i32, off: i32, Ci: i32, Co: i32, ci: i32, co0: i32, w: usize): void {
  const coBytes = (<usize>Co) << 2;
  const w1 = w + coBytes;
  let a0 = v128.load(w);
  let a1 = v128.load(w, 16);
  let a2 = v128.load(w, 32);
  let a3 = v128.load(w, 48);
  let b0 = v128.load(w1);
  let b1 = v128.load(w1, 16);
  let b2 = v128.load(w1, 32);
  let b3 = v128.load(w1, 48);
  let px = xrow + ((<usize>(wo0 * sw + off) * <usize>Ci + <usize>ci) << 2);
  const pxStep = (<usize>(sw * Ci)) << 2;
  let pd = dyrow + ((<usize>wo0 * <usize>Co + <usize>co0) << 2);
  for (let wo = wo0; wo <= wo1; wo++) {
    const d0 = v128.load(pd);
    const d1 = v128.load(pd, 16);
    const d2 = v128.load(pd, 32);
    const d3 = v128.load(pd, 48);
    const x0 = f32x4.splat(load<f32>(px));
    a0 = f32x4.add(a0, f32x4.mul(x0, d0));
    a1 = f32x4.add(a1, f32x4.mul(x0, d1));
    a2 = f32x4.add(a2, f32x4.mul(x0, d2));
    a3 = f32x4.add(a3, f32x4.mul(x0, d3));
    const x1 = f32x4.splat(load<f32>(px, 4));
    b0 = f32x4.add(b0, f32x4.mul(x1, d0));
    b1 = f32x4.add(b1, f32x4.mul(x1, d1));
    b2 = f32x4.add(b2, f32x4.mul(x1, d2));
    b3 = f32x4.add(b3, f32x4.mul(x1, d3));
    px += pxStep;
    pd += coBytes;
  }
  v128.store(w, a0);
  v128.store(w, a1, 16);
  v128.store(w, a2, 32);
  v128.store(w, a3, 48);
  v128.store(w1, b0);
  v128.store(w1, b1, 16);
  v128.store(w1, b2, 32);
  v128.store(w1, b3, 48);
}

/** The same for input channel ci alone (the last of an odd count). */
function maddRow1(xrow: usize, dyrow: usize, wo0: i32, wo1: i32, sw: i32, off: i32, Ci: i32, Co: i32, ci: i32, co0: i32, w: usize): void {
  const coBytes = (<usize>Co) << 2;
  let a0 = v128.load(w);
  let a1 = v128.load(w, 16);
  let a2 = v128.load(w, 32);
  let a3 = v128.load(w, 48);
  let px = xrow + ((<usize>(wo0 * sw + off) * <usize>Ci + <usize>ci) << 2);
  const pxStep = (<usize>(sw * Ci)) << 2;
  let pd = dyrow + ((<usize>wo0 * <usize>Co + <usize>co0) << 2);
  for (let wo = wo0; wo <= wo1; wo++) {
    const d0 = v128.load(pd);
    const d1 = v128.load(pd, 16);
    const d2 = v128.load(pd, 32);
    const d3 = v128.load(pd, 48);
    const x0 = f32x4.splat(load<f32>(px));
    a0 = f32x4.add(a0, f32x4.mul(x0, d0));
    a1 = f32x4.add(a1, f32x4.mul(x0, d1));
    a2 = f32x4.add(a2, f32x4.mul(x0, d2));
    a3 = f32x4.add(a3, f32x4.mul(x0, d3));
    px += pxStep;
    pd += coBytes;
  }
  v128.store(w, a0);
  v128.store(w, a1, 16);
  v128.store(w, a2, 32);
  v128.store(w, a3, 48);
}

/** dW (written, not accumulated) for the convolution described above. */
export function conv2dFilterGrad(
  x: usize,
  N: i32,
  H: i32,
  W: i32,
  Ci: i32,
  dy: usize,
  Ho: i32,
  Wo: i32,
  Co: i32,
  kh: i32,
  kw: i32,
  sh: i32,
  sw: i32,
  pt: i32,
  pl: i32,
  dw: usize,
): void {
  const total = kh * kw * Ci * Co;
  for (let i = 0; i < total; i++) store<f32>(dw + ((<usize>i) << 2), 0);
  for (let n = 0; n < N; n++) {
    for (let ho = 0; ho < Ho; ho++) {
      const dyrow = dy + ((<usize>(n * Ho + ho) * <usize>Wo * <usize>Co) << 2);
      for (let a = 0; a < kh; a++) {
        const hi = ho * sh + a - pt;
        if (hi < 0 || hi >= H) continue;
        const xrow = x + ((<usize>(n * H + hi) * <usize>W * <usize>Ci) << 2);
        for (let b = 0; b < kw; b++) {
          // wo with 0 <= wo sw + b - pl < W
          const off = b - pl;
          let wo0 = off >= 0 ? 0 : (-off + sw - 1) / sw;
          let wo1 = (W - 1 - off) / sw;
          if (W - 1 - off < 0) continue;
          if (wo1 > Wo - 1) wo1 = Wo - 1;
          if (wo0 > wo1) continue;
          const wtap = dw + ((<usize>((a * kw + b) * Ci) * <usize>Co) << 2);
          for (let co0 = 0; co0 < Co; co0 += 16) {
            let ci = 0;
            for (; ci + 1 < Ci; ci += 2) {
              maddRow2(xrow, dyrow, wo0, wo1, sw, off, Ci, Co, ci, co0, wtap + ((<usize>(ci * Co + co0)) << 2));
            }
            if (ci < Ci) maddRow1(xrow, dyrow, wo0, wo1, sw, off, Ci, Co, ci, co0, wtap + ((<usize>(ci * Co + co0)) << 2));
          }
        }
      }
    }
  }
}
