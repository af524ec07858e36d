// Small-M GEMM, y = x · wᵀ (+ bias), for M ≥ 2 (CFG pairs and batched verification of drafted tokens).
//   x [M, K] f32, w [N, K] f32 or f16 (IEEE halves packed two per u32 word, low half first; W_F16),
//   bias [N] f32 (read only when HAS_BIAS; otherwise the caller binds any buffer there), y [M, N] f32.
// Bindings: 0 params {M, N, K, stride}, 1 x, 2 w, 3 bias, 4 y. Bindings 1 and 2 are declared twice,
// as scalar and as vec4 arrays, each used by one entry point (WGSL forbids aliasing only within one).
// Entry points:
//   main:   TILE_ROWS (2, 4, 6 or 8) rows of x × 8 columns per invocation, vec4 loads along K; needs
//           K % 4 == 0 (f32) or K % 8 == 0 (f16). Every loaded weight feeds TILE_ROWS outputs and every
//           loaded x value 8. Tile t covers n0 = 8 (t % ceil(N/8)), m0 = TILE_ROWS (t / ceil(N/8)).
//           Dispatch flatGrid(ceil(M/TILE_ROWS) * ceil(N/8), 16).
//   scalar: 4 × 4 tile, scalar loads, any K. Dispatch flatGrid(ceil(M/4) * ceil(N/4), 64).
// stride = the grid's invocation stride. Neighbouring invocations share rows of x and stream
// different weights. Registers only, no workgroup memory or barriers: slower on SwiftShader
// (bench/KERNELS.md). Why 8 columns and up to 8 rows: SwiftShader turns every storage load into a
// per-lane gather, so the FMAs per loaded value decide the speed; 8×8 measured 1.3× faster than 4×4 at
// M = 16 and 2×8 1.4× faster than the 2-row GEMV at M = 2, despite the register spills.
struct Params { M: u32, N: u32, K: u32, stride: u32 }
override HAS_BIAS: bool = false;
override W_F16: bool = false;
override TILE_ROWS: u32 = 4u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

// The tile's first row and column, and its 4 rows of x and 4 rows of w (clamped at the edges).
struct Tile { m0: u32, n0: u32, xr: vec4<u32>, wr: vec4<u32> }

fn tile(gid: vec3<u32>) -> Tile {
  let t = gid.x + gid.y * p.stride;
  let tiles_n = (p.N + 3u) / 4u;
  let n0 = (t % tiles_n) * 4u;
  let m0 = (t / tiles_n) * 4u;
  // Rows and columns past the edge are clamped: computed, never stored, and no branch in the loop.
  let lane = vec4<u32>(0u, 1u, 2u, 3u);
  return Tile(m0, n0, min(vec4<u32>(m0) + lane, vec4<u32>(p.M - 1u)), min(vec4<u32>(n0) + lane, vec4<u32>(p.N - 1u)));
}

fn store_row(m: u32, n0: u32, v: vec4<f32>) {
  if (m >= p.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let n = n0 + j;
    if (n < p.N) {
      var b = 0.0;
      if (HAS_BIAS) { b = bias[n]; }
      y[m * p.N + n] = v[j] + b;
    }
  }
}

// ---- scalar: any K ----
@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read> ws: array<u32>;

fn load_w(i: u32) -> f32 {
  if (W_F16) { return unpack2x16float(ws[i >> 1u])[i & 1u]; }
  return bitcast<f32>(ws[i]);
}

@compute @workgroup_size(64)
fn scalar(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = tile(gid);
  if (t.m0 >= p.M) { return; }
  let xr = t.xr * p.K;
  let wr = t.wr * p.K;
  var c0 = vec4<f32>(); var c1 = vec4<f32>(); var c2 = vec4<f32>(); var c3 = vec4<f32>();
  for (var k = 0u; k < p.K; k++) {
    let wv = vec4<f32>(load_w(wr.x + k), load_w(wr.y + k), load_w(wr.z + k), load_w(wr.w + k));
    c0 += xs[xr.x + k] * wv; c1 += xs[xr.y + k] * wv; c2 += xs[xr.z + k] * wv; c3 += xs[xr.w + k] * wv;
  }
  store_row(t.m0, t.n0, c0); store_row(t.m0 + 1u, t.n0, c1);
  store_row(t.m0 + 2u, t.n0, c2); store_row(t.m0 + 3u, t.n0, c3);
}

// ---- main: vec4 views of the same buffers ----
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> w4: array<vec4<u32>>;

// The 8 halves of 4 packed words: lo(q) = elements 0..3, hi(q) = elements 4..7. (Widening with
// integer ops instead measured 1.3–1.6× slower on SwiftShader than unpack2x16float.)
fn lo(q: vec4<u32>) -> vec4<f32> { return vec4<f32>(unpack2x16float(q.x), unpack2x16float(q.y)); }
fn hi(q: vec4<u32>) -> vec4<f32> { return vec4<f32>(unpack2x16float(q.z), unpack2x16float(q.w)); }
fn w_f32(r: vec4<u32>, j: u32) -> mat4x4<f32> {
  return mat4x4<f32>(bitcast<vec4<f32>>(w4[r.x + j]), bitcast<vec4<f32>>(w4[r.y + j]),
                     bitcast<vec4<f32>>(w4[r.z + j]), bitcast<vec4<f32>>(w4[r.w + j]));
}

// Row i of the tile, clamped to the last row of x (computed, never stored: no branch in the loop).
fn x_row(m0: u32, i: u32) -> u32 { return min(m0 + i, p.M - 1u) * (p.K / 4u); }

// Accumulators: row i of the tile in (ci0 = columns n0..n0+3, ci1 = n0+4..n0+7). A step's 4 values
// of 4 weight rows are the columns of a matrix `a`: for a vec4 `xv` of one x row, `xv * a` is the vec4
// of its 4 dot products. Rows ≥ TILE_ROWS are dead code once the override is known and compile away.
@compute @workgroup_size(16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * p.stride;
  let tiles_n = (p.N + 7u) / 8u;
  let n0 = (t % tiles_n) * 8u;
  let m0 = (t / tiles_n) * TILE_ROWS;
  if (m0 >= p.M) { return; }
  let lane = vec4<u32>(0u, 1u, 2u, 3u);
  let last = vec4<u32>(p.N - 1u);
  let wa = min(vec4<u32>(n0) + lane, last);
  let wb = min(vec4<u32>(n0 + 4u) + lane, last);
  let xr0 = x_row(m0, 0u); let xr1 = x_row(m0, 1u); let xr2 = x_row(m0, 2u); let xr3 = x_row(m0, 3u);
  let xr4 = x_row(m0, 4u); let xr5 = x_row(m0, 5u); let xr6 = x_row(m0, 6u); let xr7 = x_row(m0, 7u);
  var c00 = vec4<f32>(); var c01 = vec4<f32>(); var c10 = vec4<f32>(); var c11 = vec4<f32>();
  var c20 = vec4<f32>(); var c21 = vec4<f32>(); var c30 = vec4<f32>(); var c31 = vec4<f32>();
  var c40 = vec4<f32>(); var c41 = vec4<f32>(); var c50 = vec4<f32>(); var c51 = vec4<f32>();
  var c60 = vec4<f32>(); var c61 = vec4<f32>(); var c70 = vec4<f32>(); var c71 = vec4<f32>();
  if (W_F16) {
    let ra = wa * (p.K / 8u); // a vec4<u32> holds 8 halves
    let rb = wb * (p.K / 8u);
    for (var j = 0u; j < p.K / 8u; j++) {
      let q0 = w4[ra.x + j]; let q1 = w4[ra.y + j]; let q2 = w4[ra.z + j]; let q3 = w4[ra.w + j];
      let q4 = w4[rb.x + j]; let q5 = w4[rb.y + j]; let q6 = w4[rb.z + j]; let q7 = w4[rb.w + j];
      // a*: x values k..k+3 (x4 index 2j), b*: k+4..k+7; *0: columns n0..n0+3, *1: n0+4..n0+7.
      let a0 = mat4x4<f32>(lo(q0), lo(q1), lo(q2), lo(q3)); let b0 = mat4x4<f32>(hi(q0), hi(q1), hi(q2), hi(q3));
      let a1 = mat4x4<f32>(lo(q4), lo(q5), lo(q6), lo(q7)); let b1 = mat4x4<f32>(hi(q4), hi(q5), hi(q6), hi(q7));
      let k = 2u * j;
      var u = x4[xr0 + k]; var v = x4[xr0 + k + 1u]; c00 += u * a0 + v * b0; c01 += u * a1 + v * b1;
      u = x4[xr1 + k]; v = x4[xr1 + k + 1u]; c10 += u * a0 + v * b0; c11 += u * a1 + v * b1;
      if (TILE_ROWS > 2u) {
        u = x4[xr2 + k]; v = x4[xr2 + k + 1u]; c20 += u * a0 + v * b0; c21 += u * a1 + v * b1;
        u = x4[xr3 + k]; v = x4[xr3 + k + 1u]; c30 += u * a0 + v * b0; c31 += u * a1 + v * b1;
      }
      if (TILE_ROWS > 4u) {
        u = x4[xr4 + k]; v = x4[xr4 + k + 1u]; c40 += u * a0 + v * b0; c41 += u * a1 + v * b1;
        u = x4[xr5 + k]; v = x4[xr5 + k + 1u]; c50 += u * a0 + v * b0; c51 += u * a1 + v * b1;
      }
      if (TILE_ROWS > 6u) {
        u = x4[xr6 + k]; v = x4[xr6 + k + 1u]; c60 += u * a0 + v * b0; c61 += u * a1 + v * b1;
        u = x4[xr7 + k]; v = x4[xr7 + k + 1u]; c70 += u * a0 + v * b0; c71 += u * a1 + v * b1;
      }
    }
  } else {
    let K4 = p.K / 4u;
    let ra = wa * K4;
    let rb = wb * K4;
    for (var j = 0u; j < K4; j++) {
      let a0 = w_f32(ra, j);
      let a1 = w_f32(rb, j);
      var u = x4[xr0 + j]; c00 += u * a0; c01 += u * a1;
      u = x4[xr1 + j]; c10 += u * a0; c11 += u * a1;
      if (TILE_ROWS > 2u) {
        u = x4[xr2 + j]; c20 += u * a0; c21 += u * a1;
        u = x4[xr3 + j]; c30 += u * a0; c31 += u * a1;
      }
      if (TILE_ROWS > 4u) {
        u = x4[xr4 + j]; c40 += u * a0; c41 += u * a1;
        u = x4[xr5 + j]; c50 += u * a0; c51 += u * a1;
      }
      if (TILE_ROWS > 6u) {
        u = x4[xr6 + j]; c60 += u * a0; c61 += u * a1;
        u = x4[xr7 + j]; c70 += u * a0; c71 += u * a1;
      }
    }
  }
  store_row(m0, n0, c00); store_row(m0, n0 + 4u, c01);
  store_row(m0 + 1u, n0, c10); store_row(m0 + 1u, n0 + 4u, c11);
  if (TILE_ROWS > 2u) {
    store_row(m0 + 2u, n0, c20); store_row(m0 + 2u, n0 + 4u, c21);
    store_row(m0 + 3u, n0, c30); store_row(m0 + 3u, n0 + 4u, c31);
  }
  if (TILE_ROWS > 4u) {
    store_row(m0 + 4u, n0, c40); store_row(m0 + 4u, n0 + 4u, c41);
    store_row(m0 + 5u, n0, c50); store_row(m0 + 5u, n0 + 4u, c51);
  }
  if (TILE_ROWS > 6u) {
    store_row(m0 + 6u, n0, c60); store_row(m0 + 6u, n0 + 4u, c61);
    store_row(m0 + 7u, n0, c70); store_row(m0 + 7u, n0 + 4u, c71);
  }
}
