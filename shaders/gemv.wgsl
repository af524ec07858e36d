// GEMV, y = x · wᵀ (+ bias), for M ≤ 2 rows of x (batch 1, or the cond/uncond pair of CFG).
//   x [M, K] f32, w [N, K] f32 or f16 (IEEE halves packed two per u32 word, low half first; W_F16),
//   bias [N] f32 (read only when HAS_BIAS; otherwise the caller binds any buffer there), y [M, N] f32.
// Bindings: 0 params {M, N, K, stride}, 1 x, 2 w, 3 bias, 4 y. Bindings 1 and 2 are declared twice,
// as scalar and as vec4 arrays, each used by one entry point (WGSL forbids aliasing only within one).
// Entry points:
//   main:  4 consecutive columns n per invocation, all M ≤ 2 rows, so each weight is loaded once and
//          each x load feeds 4 rows of w. vec4 loads; needs K % 4 == 0 (f32) or K % 8 == 0 (f16).
//          Dispatch flatGrid(ceil(N / 4), 16).
//   naive: one invocation per output (m, n), scalar loads, any K and M. The bench baseline and the
//          fallback for K that main cannot take. Dispatch flatGrid(M * N, 64).
// stride = the grid's invocation stride (flat index = gid.x + gid.y * stride).
// No workgroup memory, barriers or subgroup reductions: all measured slower on SwiftShader (bench/KERNELS.md).
struct Params { M: u32, N: u32, K: u32, stride: u32 }
override HAS_BIAS: bool = false;
override W_F16: bool = false;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

fn bias_of(n: u32) -> f32 {
  if (HAS_BIAS) { return bias[n]; }
  return 0.0;
}

// ---- naive: scalar views of x and w ----
@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read> ws: array<u32>;

fn load_w(i: u32) -> f32 {
  if (W_F16) { return unpack2x16float(ws[i >> 1u])[i & 1u]; }
  return bitcast<f32>(ws[i]);
}

@compute @workgroup_size(64)
fn naive(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.stride;
  if (i >= p.M * p.N) { return; }
  let m = i / p.N;
  let n = i % p.N;
  var s = 0.0;
  for (var k = 0u; k < p.K; k++) { s += xs[m * p.K + k] * load_w(n * p.K + k); }
  y[i] = s + bias_of(n);
}

// ---- main: vec4 views of the same buffers ----
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> w4: array<vec4<u32>>;

// A step's 4 values of each of the 4 weight rows, as the columns of a matrix: for a vec4 `xv` of x,
// `xv * W` is the vec4 of the 4 dot products, so one vec4 accumulates the 4 outputs. (4 vec4 partial
// sums reduced at the end measured up to 25% slower: SwiftShader keeps each vec4 in 4 registers.)
fn w_f32(r: vec4<u32>, j: u32) -> mat4x4<f32> {
  return mat4x4<f32>(bitcast<vec4<f32>>(w4[r.x + j]), bitcast<vec4<f32>>(w4[r.y + j]),
                     bitcast<vec4<f32>>(w4[r.z + j]), bitcast<vec4<f32>>(w4[r.w + j]));
}
// The 8 halves of 4 packed words: lo(q) = elements 0..3, hi(q) = elements 4..7. (Widening with
// integer ops instead measured 1.3–1.6× slower on SwiftShader than unpack2x16float.)
fn lo(q: vec4<u32>) -> vec4<f32> { return vec4<f32>(unpack2x16float(q.x), unpack2x16float(q.y)); }
fn hi(q: vec4<u32>) -> vec4<f32> { return vec4<f32>(unpack2x16float(q.z), unpack2x16float(q.w)); }

// 16 invocations per workgroup (64 columns): small layers (N = 256 → 4 workgroups) still spread over
// the CPU cores that run SwiftShader's workgroups; 16 vs 64 measured 20% faster there, equal at N = 4096.
@compute @workgroup_size(16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = (gid.x + gid.y * p.stride) * 4u;
  if (n0 >= p.N) { return; }
  let K4 = p.K / 4u; // x row length in vec4
  // Rows past N are clamped to the last one: computed, never stored, and no branch in the loop.
  let rows = min(vec4<u32>(n0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.N - 1u));
  var s = vec4<f32>(); // outputs n0..n0+3 of x row 0
  var t = vec4<f32>(); // same for x row 1 (M == 2)
  // One loop per (dtype, M): a branch on M inside the loop cost 35% on SwiftShader.
  if (W_F16) {
    let r = rows * (p.K / 8u); // a vec4<u32> holds 8 halves
    if (p.M > 1u) {
      for (var j = 0u; j < p.K / 8u; j++) {
        let q0 = w4[r.x + j]; let q1 = w4[r.y + j]; let q2 = w4[r.z + j]; let q3 = w4[r.w + j];
        let a = mat4x4<f32>(lo(q0), lo(q1), lo(q2), lo(q3));
        let b = mat4x4<f32>(hi(q0), hi(q1), hi(q2), hi(q3));
        s += x4[2u * j] * a + x4[2u * j + 1u] * b;
        t += x4[K4 + 2u * j] * a + x4[K4 + 2u * j + 1u] * b;
      }
    } else {
      for (var j = 0u; j < p.K / 8u; j++) {
        let q0 = w4[r.x + j]; let q1 = w4[r.y + j]; let q2 = w4[r.z + j]; let q3 = w4[r.w + j];
        s += x4[2u * j] * mat4x4<f32>(lo(q0), lo(q1), lo(q2), lo(q3))
           + x4[2u * j + 1u] * mat4x4<f32>(hi(q0), hi(q1), hi(q2), hi(q3));
      }
    }
  } else {
    let r = rows * K4;
    if (p.M > 1u) {
      for (var j = 0u; j < K4; j++) {
        let a = w_f32(r, j);
        s += x4[j] * a;
        t += x4[K4 + j] * a;
      }
    } else {
      for (var j = 0u; j < K4; j++) { s += x4[j] * w_f32(r, j); }
    }
  }
  for (var i = 0u; i < 4u; i++) {
    let n = n0 + i;
    if (n < p.N) {
      y[n] = s[i] + bias_of(n);
      if (p.M > 1u) { y[p.N + n] = t[i] + bias_of(n); }
    }
  }
}
