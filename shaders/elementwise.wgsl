// Elementwise kernels over flat f32 arrays, one invocation per output value.
//   add:    out[i] = a[i] + b[i]                          n = numel
//   silu:   out[i] = a[i] * sigmoid(a[i])                   n = numel
//   swiglu: out[m, i] = silu(a[m, i]) * a[m, F + i]        a [M, 2F], out [M, F], n = M*F, F = p.cols
// Bindings: 0 params, 1 a (read), 2 b (read; add only), 3 out (read_write).
// Dispatch: ceil(n / 256) workgroups, folded into x/y when above 65535.
struct Params { n: u32, cols: u32, row_stride: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn index(gid: vec3<u32>) -> u32 { return gid.x + gid.y * p.row_stride; }

@compute @workgroup_size(256)
fn add(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = index(gid);
  if (i < p.n) { out[i] = a[i] + b[i]; }
}

@compute @workgroup_size(256)
fn silu(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = index(gid);
  if (i < p.n) { out[i] = a[i] / (1.0 + exp(-a[i])); }
}

@compute @workgroup_size(256)
fn swiglu(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = index(gid);
  if (i >= p.n) { return; }
  let m = i / p.cols;
  let c = i % p.cols;
  let g = a[m * 2u * p.cols + c];
  out[i] = g / (1.0 + exp(-g)) * a[m * 2u * p.cols + p.cols + c];
}
