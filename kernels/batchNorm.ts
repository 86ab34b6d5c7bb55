// AssemblyScript source of the trainer's batch-norm kernels for the wasm backend (compiled by
// `npm run build:kernels`; why and how they are used: docs/architecture.md, "Own wasm kernels").
//
// Every pointer is a byte offset into the memory of tfjs-backend-wasm, which this module imports:
// the kernels read and write tensors where tfjs keeps them. The module must therefore own no
// memory of its own: no static data, no strings, no allocation (the build checks that the binary
// has no data section). Tensors are NHWC and contiguous, seen as `rows` x `C` (channels last).
//
// Sums run per channel over the rows: four channels per SIMD lane group, f32 partial sums over
// blocks of BLOCK rows added into f64 totals, so that a 32x32x128 map sums as precisely as the
// pairwise reductions of other backends.

const BLOCK: i32 = 256;

// Scratch layout (the caller passes 40 * C bytes, 8-byte aligned):
//   [0, 8C)    f64 tot1[C]      [8C, 16C)  f64 tot2[C]
//   [16C, 20C) f32 acc1[C]      [20C, 24C) f32 acc2[C]
//   [24C, 28C) f32 k1[C]        [28C, 32C) f32 k2[C]      [32C, 36C) f32 k3[C]   [36C, 40C) f32 shift[C]

/** Zeroes the f64 totals and the f32 partial sums at the start of the scratch ([0, 24C) bytes). */
function clearSums(scratch: usize, C: i32): void {
  const words = 6 * C;
  for (let i = 0; i < words; i++) store<u32>(scratch + ((<usize>i) << 2), 0);
}

function flush(acc: usize, tot: usize, C: i32): void {
  for (let c = 0; c < C; c++) {
    const a = acc + ((<usize>c) << 2);
    const t = tot + ((<usize>c) << 3);
    store<f64>(t, load<f64>(t) + <f64>load<f32>(a));
    store<f32>(a, 0);
  }
}

/**
 * Training-mode batch norm forward: per-channel batch mean and biased variance of x, then
 * y = x * gamma r + (beta - mean gamma r) [+ res] [then max(0, .)], r = 1 / sqrt(var + eps).
 * Writes mean, variance (biased) and r ([C] each). `res` is 0 for none.
 */
export function bnForward(
  x: usize,
  rows: i32,
  C: i32,
  gamma: usize,
  beta: usize,
  eps: f32,
  res: usize,
  relu: i32,
  y: usize,
  meanOut: usize,
  varOut: usize,
  rOut: usize,
  scratch: usize,
): void {
  const C4 = C & ~3;
  const tot1 = scratch;
  const tot2 = scratch + ((<usize>C) << 3);
  const acc1 = scratch + ((<usize>C) << 4);
  const acc2 = acc1 + ((<usize>C) << 2);
  const k1 = acc2 + ((<usize>C) << 2);
  const k2 = k1 + ((<usize>C) << 2);
  const shift = k2 + ((<usize>C) << 3);
  clearSums(scratch, C);
  for (let c = 0; c < C; c++) {
    // Sums of (x - shift) and its square, shifted by the first row: no cancellation when the
    // mean is far from zero compared with the spread.
    store<f32>(shift + ((<usize>c) << 2), rows > 0 ? load<f32>(x + ((<usize>c) << 2)) : 0);
  }
  const rowBytes = (<usize>C) << 2;
  let p = x;
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (; c < C4; c += 4) {
      const o = (<usize>c) << 2;
      const d = f32x4.sub(v128.load(p + o), v128.load(shift + o));
      v128.store(acc1 + o, f32x4.add(v128.load(acc1 + o), d));
      v128.store(acc2 + o, f32x4.add(v128.load(acc2 + o), f32x4.mul(d, d)));
    }
    for (; c < C; c++) {
      const o = (<usize>c) << 2;
      const d = load<f32>(p + o) - load<f32>(shift + o);
      store<f32>(acc1 + o, load<f32>(acc1 + o) + d);
      store<f32>(acc2 + o, load<f32>(acc2 + o) + d * d);
    }
    p += rowBytes;
    if ((r + 1) % BLOCK == 0) {
      flush(acc1, tot1, C);
      flush(acc2, tot2, C);
    }
  }
  flush(acc1, tot1, C);
  flush(acc2, tot2, C);
  const n = <f64>(rows > 0 ? rows : 1);
  for (let c = 0; c < C; c++) {
    const o = (<usize>c) << 2;
    const m1 = load<f64>(tot1 + ((<usize>c) << 3)) / n;
    let v = load<f64>(tot2 + ((<usize>c) << 3)) / n - m1 * m1;
    if (v < 0) v = 0;
    const mean = <f64>load<f32>(shift + o) + m1;
    const rr = 1.0 / Math.sqrt(v + <f64>eps);
    const a = <f64>load<f32>(gamma + o) * rr;
    store<f32>(meanOut + o, <f32>mean);
    store<f32>(varOut + o, <f32>v);
    store<f32>(rOut + o, <f32>rr);
    store<f32>(k1 + o, <f32>a);
    store<f32>(k2 + o, <f32>(<f64>load<f32>(beta + o) - mean * a));
  }
  const zero = f32x4.splat(0);
  let px = x;
  let py = y;
  let pr = res;
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (; c < C4; c += 4) {
      const o = (<usize>c) << 2;
      let v = f32x4.add(f32x4.mul(v128.load(px + o), v128.load(k1 + o)), v128.load(k2 + o));
      if (res != 0) v = f32x4.add(v, v128.load(pr + o));
      if (relu != 0) v = f32x4.max(v, zero);
      v128.store(py + o, v);
    }
    for (; c < C; c++) {
      const o = (<usize>c) << 2;
      let v = load<f32>(px + o) * load<f32>(k1 + o) + load<f32>(k2 + o);
      if (res != 0) v += load<f32>(pr + o);
      if (relu != 0 && !(v > 0)) v = 0;
      store<f32>(py + o, v);
    }
    px += rowBytes;
    py += rowBytes;
    pr += rowBytes;
  }
}

/**
 * The closed-form batch-norm backward for upstream gradient dy, masked by [mask > 0] when mask
 * is not 0 (the ReLU that followed the norm): with g = dy [mask > 0], xhat = (x - mean) r,
 *   dbeta = sum g,  dgamma = sum g xhat,  dx = gamma r (g - dbeta / n - xhat dgamma / n).
 */
export function bnBackward(
  dy: usize,
  mask: usize,
  x: usize,
  rows: i32,
  C: i32,
  mean: usize,
  rIn: usize,
  gamma: usize,
  dx: usize,
  dgamma: usize,
  dbeta: usize,
  scratch: usize,
): void {
  const C4 = C & ~3;
  const tot1 = scratch;
  const tot2 = scratch + ((<usize>C) << 3);
  const acc1 = scratch + ((<usize>C) << 4);
  const acc2 = acc1 + ((<usize>C) << 2);
  const k1 = acc2 + ((<usize>C) << 2);
  const k2 = k1 + ((<usize>C) << 2);
  const k3 = k2 + ((<usize>C) << 2);
  clearSums(scratch, C);
  const zero = f32x4.splat(0);
  const rowBytes = (<usize>C) << 2;
  let pd = dy;
  let pm = mask;
  let px = x;
  // Pass 1: sum g and sum g (x - mean).
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (; c < C4; c += 4) {
      const o = (<usize>c) << 2;
      let g = v128.load(pd + o);
      if (mask != 0) g = v128.and(g, f32x4.gt(v128.load(pm + o), zero));
      const d = f32x4.sub(v128.load(px + o), v128.load(mean + o));
      v128.store(acc1 + o, f32x4.add(v128.load(acc1 + o), g));
      v128.store(acc2 + o, f32x4.add(v128.load(acc2 + o), f32x4.mul(g, d)));
    }
    for (; c < C; c++) {
      const o = (<usize>c) << 2;
      let g = load<f32>(pd + o);
      if (mask != 0 && !(load<f32>(pm + o) > 0)) g = 0;
      const d = load<f32>(px + o) - load<f32>(mean + o);
      store<f32>(acc1 + o, load<f32>(acc1 + o) + g);
      store<f32>(acc2 + o, load<f32>(acc2 + o) + g * d);
    }
    pd += rowBytes;
    pm += rowBytes;
    px += rowBytes;
    if ((r + 1) % BLOCK == 0) {
      flush(acc1, tot1, C);
      flush(acc2, tot2, C);
    }
  }
  flush(acc1, tot1, C);
  flush(acc2, tot2, C);
  // dx = A g + B x + K with A = gamma r, B = -A r dgamma / n, K = -A dbeta / n - B mean.
  const n = <f64>(rows > 0 ? rows : 1);
  for (let c = 0; c < C; c++) {
    const o = (<usize>c) << 2;
    const rr = <f64>load<f32>(rIn + o);
    const db = load<f64>(tot1 + ((<usize>c) << 3));
    const dg = load<f64>(tot2 + ((<usize>c) << 3)) * rr;
    const A = <f64>load<f32>(gamma + o) * rr;
    const B = (-A * rr * dg) / n;
    store<f32>(dbeta + o, <f32>db);
    store<f32>(dgamma + o, <f32>dg);
    store<f32>(k1 + o, <f32>A);
    store<f32>(k2 + o, <f32>B);
    store<f32>(k3 + o, <f32>((-A * db) / n - B * <f64>load<f32>(mean + o)));
  }
  pd = dy;
  pm = mask;
  px = x;
  let po = dx;
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (; c < C4; c += 4) {
      const o = (<usize>c) << 2;
      let g = v128.load(pd + o);
      if (mask != 0) g = v128.and(g, f32x4.gt(v128.load(pm + o), zero));
      const v = f32x4.add(f32x4.add(f32x4.mul(g, v128.load(k1 + o)), f32x4.mul(v128.load(px + o), v128.load(k2 + o))), v128.load(k3 + o));
      v128.store(po + o, v);
    }
    for (; c < C; c++) {
      const o = (<usize>c) << 2;
      let g = load<f32>(pd + o);
      if (mask != 0 && !(load<f32>(pm + o) > 0)) g = 0;
      store<f32>(po + o, g * load<f32>(k1 + o) + load<f32>(px + o) * load<f32>(k2 + o) + load<f32>(k3 + o));
    }
    pd += rowBytes;
    pm += rowBytes;
    px += rowBytes;
    po += rowBytes;
  }
}

/** out = dy where y > 0, else 0 (the gradient through a ReLU whose output was y); n elements. */
export function reluGrad(dy: usize, y: usize, n: i32, out: usize): void {
  const n4 = n & ~3;
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i < n4; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(out + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(y + o), zero)));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(out + o, load<f32>(y + o) > 0 ? load<f32>(dy + o) : 0);
  }
}
