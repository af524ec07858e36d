// 2D rotary embedding. x [M, H·Dh] viewed as [M, H, Dh]; pos [M, 2] u32 = (row, col). In each head
// the first half (h = Dh/2 values) rotates by row, the second by col; within a half the pair
// (2i, 2i+1) rotates by angle = pos · base^(−2i/h):
//   out[2i] = x[2i]·cos − x[2i+1]·sin,  out[2i+1] = x[2i]·sin + x[2i+1]·cos.
// Entry points:
//   main:     x [M, C] → out [M, C] rotated.
//   qkv_rope: a block's fused projection x = qkv [B·M, 3C] (q | k | v columns, B sequences of M rows):
//             rotated q → out [B·M, C]; rotated k → k_cache, v (not rotated) → v_cache, both [B·T, C],
//             row b·M + r going to cache row b·T + start + r. ROTATE = false: nothing rotates (the text
//             encoder has no RoPE; pos is then any buffer and never read).
// Bindings: 0 params, 1 x f32 (read), 2 pos u32 [rows, 2] (read), 3 out f32, 4 k_cache, 5 v_cache (qkv_rope).
// Params: pairs (values / 2), cols (C), dh, log2_base, stride; qkv_rope also rows (M), cache_rows (T), start.
// Dispatch: one invocation per pair, flatGrid(pairs, 256). Dh % 4 == 0 (checked by the host), so
// every half holds whole pairs and no pair straddles a row or a q/k/v block.
struct Params { pairs: u32, cols: u32, dh: u32, log2_base: f32, stride: u32, rows: u32, cache_rows: u32, start: u32 }
override ROTATE: bool = true;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> pos: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read_write> k_cache: array<f32>;
@group(0) @binding(5) var<storage, read_write> v_cache: array<f32>;

// π/2 split in two floats (Cody–Waite): PIO2_LO carries what f32 π/2 misses, so the reduction
// stays within a few ulps of the angle, which is itself only as exact as its f32 rounding.
const PIO2_HI: f32 = 1.5707963705062866;
const PIO2_LO: f32 = -4.371139000186243e-8;

/**
 * (sin a, cos a) to a few ulps. The builtins are only specified to 2^-11 absolute on [−π, π] (SwiftShader's
 * are off by ~2e-4), too coarse for rotary angles: reduce by π/2, then Taylor polynomials on
 * [−π/4, π/4] (truncation < 2e-9) and the quadrant's swap/sign.
 */
fn sin_cos(a: f32) -> vec2<f32> {
  let k = round(a / PIO2_HI);
  let r = (a - k * PIO2_HI) - k * PIO2_LO;
  let r2 = r * r;
  let s = r + r * r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0))));
  let c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0 + r2 * (-1.0 / 3628800.0)))));
  switch (u32(i32(k) & 3)) {
    case 0u: { return vec2(s, c); }
    case 1u: { return vec2(c, -s); }
    case 2u: { return vec2(-s, -c); }
    default: { return vec2(-c, s); }
  }
}

// The pair (x0, x1) at column `col` of a head-major row at position pos[m], rotated.
fn rotate(x0: f32, x1: f32, m: u32, col: u32) -> vec2<f32> {
  let d = col % p.dh;                  // position inside the head
  let h = p.dh / 2u;
  let axis = d / h;                    // 0: row half, 1: col half
  let i = (d % h) / 2u;
  // base^(−2i/h) = exp2(−2i/h · log2(base)), log2(base) computed on the host in double.
  let inv_freq = exp2(-f32(2u * i) / f32(h) * p.log2_base);
  let sc = sin_cos(f32(pos[m * 2u + axis]) * inv_freq);
  return vec2(x0 * sc.y - x1 * sc.x, x0 * sc.x + x1 * sc.y);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = gid.x + gid.y * p.stride;
  if (q >= p.pairs) { return; }
  let e = 2u * q;                      // flat index of the pair's first value
  let r = rotate(x[e], x[e + 1u], e / p.cols, e % p.cols);
  out[e] = r.x;
  out[e + 1u] = r.y;
}

@compute @workgroup_size(256)
fn qkv_rope(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = gid.x + gid.y * p.stride;
  if (q >= p.pairs) { return; }
  let e = 2u * q;
  let C = p.cols;
  let m = e / (3u * C);                // row b·M + r of qkv
  let col = e % (3u * C);
  let part = col / C;                  // 0 q, 1 k, 2 v
  let c = col % C;
  var v = vec2(x[e], x[e + 1u]);
  if (ROTATE && part < 2u) { v = rotate(v.x, v.y, m, c); }
  if (part == 0u) {
    out[m * C + c] = v.x;
    out[m * C + c + 1u] = v.y;
    return;
  }
  let slot = ((m / p.rows) * p.cache_rows + p.start + m % p.rows) * C + c;
  if (part == 1u) {
    k_cache[slot] = v.x;
    k_cache[slot + 1u] = v.y;
  } else {
    v_cache[slot] = v.x;
    v_cache[slot + 1u] = v.y;
  }
}
