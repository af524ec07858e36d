// Row gather: out[m, d] = table[ids[m], d]; an id ≥ V (which the host cannot see: ids live on the
// GPU) yields a row of zeros instead of a read outside the table. The CPU backend throws instead.
// Bindings: 0 params, 1 w = table [V, D] f32|f16 (read, via load_w), 2 ids [M] u32 (read),
// 3 out [M, D] f32. Dispatch: one invocation per output value, flatGrid(M * D, 256).
// Needs weights.wgsl prepended.
struct Params { n: u32, d: u32, vocab: u32, stride: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<u32>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.stride;
  if (i >= p.n) { return; }
  let id = ids[i / p.d];
  var v = 0.0;
  // A branch, not select(): select evaluates both operands and would issue the out-of-range load.
  if (id < p.vocab) { v = load_w(id * p.d + i % p.d); }
  out[i] = v;
}
