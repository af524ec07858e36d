// Classifier-free guidance with the plausibility cut (training/guidance.py is the reference, decoding/
// logitsProcessing.ts `guideRow` the CPU oracle), one row m of M:
//   out[m, i] = u[i] + scale * (c[i] - u[i])   if c[i] >= max_j c[j] + ln(plausibility)
//             = CUT (the lowest f32)           otherwise: exp underflows to exactly 0, never an argmax
// with c = x[m, :] and u = x[M + m, :] (two sequences: cond rows, then uncond rows), or u = c (one sequence:
// scale 1 has no unconditional rows, only the cut applies).
// Bindings: 0 params, 1 x [S·M, V] f32 (read), 2 out [M, V] f32.
// Params: uncond_offset = M·V with two sequences, 0 with one; cut = 0 skips the cut; log_plausibility is
// ln(plausibility) rounded to f32 by the host, so that the threshold max + ln(p) is the same f32 sum on both backends.
// Dispatch: one workgroup of WG invocations per row (flatGrid(M, 1)).
// Needs rowreduce.wgsl prepended.
struct Params { rows: u32, v: u32, uncond_offset: u32, cut: u32, scale: f32, log_plausibility: f32, row_stride: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

const CUT: f32 = -0x1.fffffep+127f;  // the lowest f32 (−3.4028235e38), as CUT_LOGIT

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, p.row_stride);
  if (row >= p.rows) { return; }
  let base = row * p.v;
  var threshold = CUT;  // no cut: nothing is below the lowest f32
  if (p.cut != 0u) {
    var max_key = 0u;
    for (var i = lid; i < p.v; i += WG) { max_key = max(max_key, order_key(x[base + i])); }
    threshold = key_value(wg_max_u32(max_key, lid)) + p.log_plausibility;
  }
  for (var i = lid; i < p.v; i += WG) {
    let c = x[base + i];
    let u = x[p.uncond_offset + base + i];
    out[base + i] = select(u + p.scale * (c - u), CUT, c < threshold);
  }
}
