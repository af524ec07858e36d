// Small-M GEMM, y = x · wᵀ (+ bias), for M ≥ 3 (batched verification of drafted tokens).
//   x [M, K] f32, w [N, K] f32 or f16 (IEEE halves packed two per u32 word, low half first; W_F16),
//   bias [N] f32 (read only when HAS_BIAS; otherwise the caller binds any buffer there), y [M, N] f32.
// Bindings: 0 params {M, N, K, stride}, 1 x, 2 w, 3 bias, 4 y. Bindings 1 and 2 are declared twice,
// as scalar and as vec4 arrays, each used by one entry point (WGSL forbids aliasing only within one).
// Each invocation computes a 4 (rows m of x) × 4 (columns n) register tile, so every loaded weight is
// used 4 times and every loaded x value 4 times. Tile t covers n0 = 4 (t % ceil(N/4)),
// m0 = 4 (t / ceil(N/4)): neighbouring invocations share rows of x and stream different weights.
// Entry points:
//   main:   vec4 loads along K; needs K % 4 == 0 (f32) or K % 8 == 0 (f16).
//   scalar: any K.
// Dispatch: flatGrid(ceil(M/4) * ceil(N/4), 64); stride = the grid's invocation stride.
// Registers only, no workgroup memory or barriers: slower on SwiftShader (bench/KERNELS.md).
struct Params { M: u32, N: u32, K: u32, stride: u32 }
override HAS_BIAS: bool = false;
override W_F16: bool = false;
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

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = tile(gid);
  if (t.m0 >= p.M) { return; }
  let K4 = p.K / 4u; // x row length in vec4
  let xr = t.xr * K4;
  // A step's 4 values of each of the tile's 4 weight rows are the columns of a matrix `a`: for a vec4
  // of one x row, `x * a` is the vec4 of its 4 dot products, so c_i accumulates row m0 + i of the tile.
  // (4 vec4 partial sums per output, reduced at the end, measured no faster and need 4× the registers.)
  var c0 = vec4<f32>(); var c1 = vec4<f32>(); var c2 = vec4<f32>(); var c3 = vec4<f32>();
  if (W_F16) {
    let wr = t.wr * (p.K / 8u); // a vec4<u32> holds 8 halves
    for (var j = 0u; j < p.K / 8u; j++) {
      let q0 = w4[wr.x + j]; let q1 = w4[wr.y + j]; let q2 = w4[wr.z + j]; let q3 = w4[wr.w + j];
      let a = mat4x4<f32>(lo(q0), lo(q1), lo(q2), lo(q3));
      let b = mat4x4<f32>(hi(q0), hi(q1), hi(q2), hi(q3));
      let k = 2u * j; // a pairs with x values k..k+3 (x4 index k), b with k+4..k+7
      c0 += x4[xr.x + k] * a + x4[xr.x + k + 1u] * b;
      c1 += x4[xr.y + k] * a + x4[xr.y + k + 1u] * b;
      c2 += x4[xr.z + k] * a + x4[xr.z + k + 1u] * b;
      c3 += x4[xr.w + k] * a + x4[xr.w + k + 1u] * b;
    }
  } else {
    let wr = t.wr * K4;
    for (var j = 0u; j < K4; j++) {
      let a = mat4x4<f32>(bitcast<vec4<f32>>(w4[wr.x + j]), bitcast<vec4<f32>>(w4[wr.y + j]),
                          bitcast<vec4<f32>>(w4[wr.z + j]), bitcast<vec4<f32>>(w4[wr.w + j]));
      c0 += x4[xr.x + j] * a; c1 += x4[xr.y + j] * a;
      c2 += x4[xr.z + j] * a; c3 += x4[xr.w + j] * a;
    }
  }
  store_row(t.m0, t.n0, c0); store_row(t.m0 + 1u, t.n0, c1);
  store_row(t.m0 + 2u, t.n0, c2); store_row(t.m0 + 3u, t.n0, c3);
}
