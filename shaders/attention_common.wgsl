// Online-softmax attention, shared by attention.wgsl and window_attention.wgsl. The TS side builds
// each shader as `const DH: u32 = <head dim>u; const QT: u32 = <queries per invocation>u;` + this
// file + the entry shader. DH sizes the private arrays below (one pipeline per head dim and tile;
// a model has one head dim). DH must be a multiple of 4 (as rope2d already requires): heads are
// read as vec4s, and all offsets below are in vec4 units.
//
// Layout: one invocation owns a tile of QT queries of one head. Their scaled queries, the running
// max and sum of each streaming softmax and the output accumulators live in private memory, so
// the kernels need no workgroup memory and no barriers (barriers are very expensive on
// SwiftShader). Each key/value row is loaded once per tile (`load_key`) and folded into every query
// of the tile that sees it (`attend_key`), which divides the cache reads by QT.
//
// Loops over D4 or QT that end in `// unroll` are written out by the TS side (kernels/attention.ts)
// with constant indices, which keep the private arrays out of per-lane gathers on SwiftShader
// (≈1.5× at M = 8..16). The file is valid WGSL without that step, only slower.
//
// Bindings shared by both entry shaders (binding 0 is each shader's own uniform Params, binding 5
// its visibility input):
//   1 q        [M, H·DH] f32 (read)
//   2 k_cache  [T, H·DH] f32 (read), rows < kv_len valid
//   3 v_cache  [T, H·DH] f32 (read)
//   4 out      [M, H·DH] f32 (read_write)
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> k_cache: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> v_cache: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> out: array<vec4<f32>>;

// vec4 chunks per head.
const D4: u32 = DH / 4u;

// Query t of the tile keeps chunk c of its query and accumulator at index t·D4 + c.
var<private> q_tile: array<vec4<f32>, QT * D4>;
var<private> acc: array<vec4<f32>, QT * D4>;
var<private> run_max: array<f32, QT>;
var<private> run_sum: array<f32, QT>;
// The key/value row being folded, shared by the tile's queries.
var<private> k_row: array<vec4<f32>, D4>;
var<private> v_row: array<vec4<f32>, D4>;

// Loads query t (pre-multiplied by the softmax scale) from `q_off` and clears its softmax state.
fn attend_begin(t: u32, q_off: u32, scale: f32) {
  for (var c = 0u; c < D4; c++) {
    q_tile[t * D4 + c] = q[q_off + c] * scale;
    acc[t * D4 + c] = vec4(0.0);
  }
  // Finite stand-in for −∞: the first key's rescale factor exp(run_max − s) underflows to 0.
  run_max[t] = -3.0e38;
  run_sum[t] = 0.0;
}

// Loads key/value row `kv_off` (offset of this head in the caches) for `attend_key`.
fn load_key(kv_off: u32) {
  for (var c = 0u; c < D4; c++) { k_row[c] = k_cache[kv_off + c]; v_row[c] = v_cache[kv_off + c]; } // unroll
}

// Folds the loaded key/value row into query t's state. Called with a constant t from unrolled
// loops, so after inlining every index below is a constant.
fn attend_key(t: u32) {
  let b = t * D4;
  var s4 = vec4(0.0);
  for (var c = 0u; c < D4; c++) { s4 += q_tile[b + c] * k_row[c]; } // unroll
  let s = s4.x + s4.y + s4.z + s4.w;
  // Rescale only when the max grows, which after the first few keys is rare.
  if (s > run_max[t]) {
    let f = exp(run_max[t] - s);
    run_sum[t] *= f;
    for (var c = 0u; c < D4; c++) { acc[b + c] *= f; } // unroll
    run_max[t] = s;
  }
  let w = exp(s - run_max[t]);
  run_sum[t] += w;
  for (var c = 0u; c < D4; c++) { acc[b + c] += w * v_row[c]; } // unroll
}

// Writes query t's acc / sum to `out_off`; a query that saw no key (sum 0) gets zeros.
fn attend_end(t: u32, out_off: u32) {
  let inv = select(0.0, 1.0 / run_sum[t], run_sum[t] > 0.0);
  for (var c = 0u; c < D4; c++) { out[out_off + c] = acc[t * D4 + c] * inv; }
}
