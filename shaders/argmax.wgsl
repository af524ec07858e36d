// Index of the largest value per row, the first one on ties: out[m] = argmax_i x[m, i] (u32).
// Bindings: 0 params, 1 x [M, V] f32 (read), 2 out [M] u32.
// Dispatch: one workgroup of WG invocations per row (flatGrid(M, 1)).
// Needs rowreduce.wgsl prepended.
struct Params { rows: u32, v: u32, row_stride: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;


@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, p.row_stride);
  if (row >= p.rows) { return; }
  let base = row * p.v;
  // Each invocation scans its columns in increasing order keeping strict improvements, so it holds
  // the first index of its own maximum (key 0 and NONE when it has no column: V < WG). Order keys
  // compare like the floats, but an empty invocation stays below even a row of −∞.
  var best = 0u;
  var idx = NONE;
  for (var i = lid; i < p.v; i += WG) {
    let k = order_key(x[base + i]);
    if (idx == NONE || k > best) { best = k; idx = i; }
  }
  // The row's first maximum is the smallest index among the invocations that hold the maximum.
  let m = wg_max_u32(best, lid);
  let first = wg_min_u32(select(NONE, idx, best == m), lid);
  if (lid == 0u) { out[row] = first; }
}
