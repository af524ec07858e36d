// Top-k softmax per row: out[m, i] = exp((x_i − max) / T) / Σ over kept values, where a value is
// kept iff it is ≥ the k-th largest of its row (ties kept), and 0 otherwise.
// Bindings: 0 params, 1 x [M, V] f32 (read), 2 out [M, V] f32.
// Params: k = 0 keeps everything (the host passes 0 for topK 0 and topK ≥ V); temperature > 0.
// Dispatch: one workgroup of WG invocations per row (flatGrid(M, 1)).
// Needs rowreduce.wgsl prepended.
//
// The k-th largest is found without sorting by a radix select over order-preserving u32 keys of
// the values: up to 4 passes of 8 bits from the top, each a 256-bin histogram of the values that
// share the bits decided so far; each reads the row once and costs 3 barriers. On SwiftShader the
// first pass dominates (an atomicAdd for every value; later passes count only the few matches).
struct Params { rows: u32, v: u32, k: u32, temperature: f32, row_stride: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> selected: u32;

/** Key of the k-th largest value of the row starting at `base` (k ≥ 1, k ≤ V), or a key ≤ it
 *  that keeps exactly the same values (see the early exit). */
fn kth_largest_key(base: u32, lid: u32) -> u32 {
  var prefix = 0u;   // digits decided so far; the bits below them stay 0
  var rank = p.k;    // rank of the wanted value among the values that match `prefix`
  for (var digit_pass = 0u; digit_pass < 4u; digit_pass++) {
    let shift = 24u - 8u * digit_pass;
    // Bits above `shift` that are already decided (none in the first pass, where the shift by 32 would wrap to 0).
    let decided = select(0xffffffffu << (shift + 8u), 0u, digit_pass == 0u);
    for (var b = lid; b < 256u; b += WG) { atomicStore(&hist[b], 0u); }
    workgroupBarrier();
    for (var i = lid; i < p.v; i += WG) {
      let key = order_key(x[base + i]);
      if ((key & decided) == prefix) { atomicAdd(&hist[(key >> shift) & 255u], 1u); }
    }
    workgroupBarrier();
    // Every invocation walks the bins from the top (same data, same answer): no broadcast needed.
    var digit = 255u;
    var count = atomicLoad(&hist[digit]);
    while (count < rank && digit > 0u) {
      rank -= count;
      digit--;
      count = atomicLoad(&hist[digit]);
    }
    prefix |= digit << shift;
    // When the wanted value is the smallest of its bin, "key ≥ start of the bin" keeps exactly the
    // same values as "key ≥ the k-th largest": stop (often after 2 or 3 passes: bins are sparse by then).
    if (lid == 0u) { selected = u32(count == rank); }
    // Its barrier also ensures all have read the histogram before the next pass clears it.
    if (workgroupUniformLoad(&selected) != 0u) { break; }
  }
  return prefix;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, p.row_stride);
  if (row >= p.rows) { return; }
  let base = row * p.v;
  var max_key = 0u;
  for (var i = lid; i < p.v; i += WG) { max_key = max(max_key, order_key(x[base + i])); }
  max_key = wg_max_u32(max_key, lid);
  let m = key_value(max_key);
  // Key 0 is below every value's key: keep all. For k = 1 the threshold is the maximum itself.
  var threshold = 0u;
  if (p.k == 1u) {
    threshold = max_key;
  } else if (p.k > 1u) {
    threshold = kth_largest_key(base, lid);
  }
  // Unnormalised values go to `out` first; each invocation rescales only what it wrote itself.
  var s = 0.0;
  for (var i = lid; i < p.v; i += WG) {
    let v = x[base + i];
    var e = 0.0;
    if (order_key(v) >= threshold) { e = exp((v - m) / p.temperature); }
    out[base + i] = e;
    s += e;
  }
  s = wg_sum(s, lid);
  for (var i = lid; i < p.v; i += WG) { out[base + i] = out[base + i] / s; }
}
