// Writes rows of src into a larger dst (new K/V rows into each sequence's cache slots), in the
// compute pass: a buffer copy would end the pass, and every K/V write of every layer did.
//   src [B·M, C] f32, dst [B·T, C] f32: src row b·M + r → dst row b·T + offset + r.
// Bindings: 0 params {n = B·M·C, cols C, rows M, dst_rows T, offset, stride}, 1 src, 2 dst (read_write).
// Dispatch: flatGrid(n, 256), one invocation per value.
struct Params { n: u32, cols: u32, rows: u32, dst_rows: u32, offset: u32, stride: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.stride;
  if (i >= p.n) { return; }
  let row = i / p.cols; // b·M + r
  let b = row / p.rows;
  let r = row % p.rows;
  dst[(b * p.dst_rows + p.offset + r) * p.cols + i % p.cols] = src[i];
}
