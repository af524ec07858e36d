// Inverse-CDF sampling, one token per row: out[m] = the first index i with w[m, i] > 0 and
// u[m] · Σw < Σ_{j ≤ i} w[m, j], where w is a row of non-negative weights (a softmax's output; the
// row need not be normalised) — the device twin of `sampleIndex` in workers/decoding/acceptance.ts.
// Rounding at the very end (no index reaches u · Σw) gives the last positive index. A row without
// positive weight gives 0xffffffff.
// Bindings: 0 params, 1 w [M, V] f32 (read), 2 u [M] f32 in [0, 1) (read), 3 out [M] u32.
// Dispatch: one workgroup of WG invocations per row (flatGrid(M, 1)).
// Needs rowreduce.wgsl prepended.
//
// Invocation l owns the contiguous columns [l·C, (l+1)·C), C = ceil(V / WG), so that the running sum
// walks the row in index order like the host: every invocation folds the WG chunk sums in the same
// order (bit-identical total and prefixes), then scans its own chunk from its prefix. The first
// invocation whose scan passes u · Σw holds the answer. Three barriers per row.
struct Params { rows: u32, v: u32, row_stride: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> u: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;


@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, p.row_stride);
  if (row >= p.rows) { return; }
  let base = row * p.v;
  let chunk = (p.v + WG - 1u) / WG;
  let lo = min(lid * chunk, p.v);
  let hi = min(lo + chunk, p.v);
  var own = 0.0;
  for (var i = lo; i < hi; i++) { own += max(w[base + i], 0.0); }

  let partials = publish(bitcast<u32>(own), lid);
  var before = 0.0;
  var total = 0.0;
  for (var i = 0u; i < WG; i++) {
    let s = bitcast<f32>(scratch[partials + i]);
    if (i == lid) { before = total; }
    total += s;
  }
  let goal = u[row] * total;

  var hit = NONE;   // first index of this chunk where the running sum passes the goal
  var last = NONE;  // last positive index of this chunk
  var acc = before;
  for (var i = lo; i < hi; i++) {
    let x = w[base + i];
    if (x > 0.0) {
      acc += x;
      last = i;
      if (hit == NONE && goal < acc) { hit = i; }
    }
  }
  let first_hit = wg_min_u32(hit, lid);
  // NONE is the largest u32: the maximum ignores it only through the +1 wrap (NONE + 1 = 0).
  let last_positive = wg_max_u32(last + 1u, lid);
  if (lid == 0u) { out[row] = select(last_positive - 1u, first_hit, first_hit != NONE); }
}
