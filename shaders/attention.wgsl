// Multi-query attention over a KV cache with an explicit mask: chain (causal) and tree verification.
// Prepended by the TS side: `const DH` (a multiple of 4), `const QT` (queries per invocation) and
// attention_common.wgsl (bindings 1–4, the online-softmax helpers).
//   out[m, h·DH + d] = Σ_j softmax_j(q[m,h]·k[j,h] · scale | mask[m, j] ≠ 0) · v[j, h·DH + d]
// Bindings: 0 Params, 1 q [B·M, H·DH], 2 k_cache [B·T, H·DH], 3 v_cache [B·T, H·DH], 4 out [B·M, H·DH],
//           5 mask [M, kv_len] u32 (1 = may attend), shared by the B sequences (T = cache_rows).
// Dispatch: one invocation per (head, tile of QT consecutive queries), i = h·⌈M/QT⌉ + tile, in
//           workgroups of 4 folded into x/y (flat index = gid.x + gid.y · stride). Each invocation
//           reads the kv_len cache rows once for its whole tile. gid.z = sequence b of the batch
//           (classifier-free guidance runs cond and uncond as B = 2 in one dispatch).
struct Params { rows: u32, heads: u32, kv_len: u32, scale: f32, stride: u32, cache_rows: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(5) var<storage, read> mask: array<u32>;

fn visible(m: u32, j: u32) -> bool {
  return m < p.rows && mask[m * p.kv_len + j] != 0u;
}

@compute @workgroup_size(4)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let tiles = (p.rows + QT - 1u) / QT;
  let i = gid.x + gid.y * p.stride;
  if (i >= tiles * p.heads) { return; }
  let h = i / tiles;
  let base = (i % tiles) * QT; // first query of the tile; the last tile may be partial
  let C4 = p.heads * D4; // row length in vec4s
  let q0 = gid.z * p.rows * C4 + h * D4; // this sequence's queries, this head
  let kv0 = gid.z * p.cache_rows * C4 + h * D4; // this sequence's cache, this head
  for (var t = 0u; t < QT; t++) { attend_begin(t, q0 + min(base + t, p.rows - 1u) * C4, p.scale); } // unroll
  for (var j = 0u; j < p.kv_len; j++) {
    // Bit t: query base + t sees key j. Rows nobody in the tile sees are not even loaded.
    var seen = 0u;
    for (var t = 0u; t < QT; t++) { seen |= select(0u, 1u << t, visible(base + t, j)); } // unroll
    if (seen == 0u) { continue; }
    load_key(kv0 + j * C4);
    for (var t = 0u; t < QT; t++) { if ((seen & (1u << t)) != 0u) { attend_key(t); } } // unroll
  }
  for (var t = 0u; t < QT; t++) { if (base + t < p.rows) { attend_end(t, q0 + (base + t) * C4); } } // unroll
}
