// RMSNorm over the last dim: out[m, d] = x[m, d] * inverseSqrt(mean_d(x[m, :]²) + eps) * w[d].
// Bindings: 0 params, 1 x [M, D] f32 (read), 2 w [D] f32|f16 (read, via load_w), 3 out [M, D] f32.
// Two layouts of the same computation (the host picks one per device, see rowReduce.ts):
//   per_workgroup:  one workgroup of WG invocations per row, grid flatGrid(M, 1); invocation lid
//                   takes columns lid, lid + WG, … (unit stride across the workgroup).
//   per_invocation: one invocation per row, no barrier, grid flatGrid(M, 64); row_stride = grid stride.
// Needs weights.wgsl and rowreduce.wgsl prepended.
struct Params { rows: u32, d: u32, eps: f32, row_stride: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

/** Σ x² over the columns first, first + step, … of the row starting at `base`. */
fn sum_squares(base: u32, first: u32, step: u32) -> f32 {
  var ss = 0.0;
  for (var i = first; i < p.d; i += step) {
    let v = x[base + i];
    ss += v * v;
  }
  return ss;
}

fn scale_columns(base: u32, first: u32, step: u32, ss: f32) {
  let r = inverseSqrt(ss / f32(p.d) + p.eps);
  for (var i = first; i < p.d; i += step) {
    out[base + i] = x[base + i] * r * load_w(i);
  }
}

@compute @workgroup_size(WG)
fn per_workgroup(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // workgroup_id is uniform, so returning here keeps the barrier of wg_sum in uniform control flow.
  let row = row_index(wid, p.row_stride);
  if (row >= p.rows) { return; }
  let base = row * p.d;
  scale_columns(base, lid, WG, wg_sum(sum_squares(base, lid, WG), lid));
}

@compute @workgroup_size(64)
fn per_invocation(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x + gid.y * p.row_stride;
  if (row >= p.rows) { return; }
  let base = row * p.d;
  scale_columns(base, 0u, 1u, sum_squares(base, 0u, 1u));
}
