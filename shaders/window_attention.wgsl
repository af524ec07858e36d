// 2D local-window attention (draft model). Query m stands at image token qPos[m] = (row, col) on a
// grid of width W. It sees every prefix key (cache rows < prefix_len) and image key t (cache row
// prefix_len + t) with t ≤ qPos[m], row(t) ≥ row − rows_above and col − cols_left ≤ col(t) ≤ col + cols_right;
// only cache rows < kv_len exist. Same rule as `windowVisible` in workers/backend/cpu/cpuBackend.ts.
// Prepended by the TS side: `const DH` (a multiple of 4), `const QT = 1u` (the queries' windows
// differ, so each invocation has one) and attention_common.wgsl (bindings 1–4, the helpers).
// Bindings: 0 Params, 1 q [B·M, H·DH], 2 k_cache [B·T, H·DH], 3 v_cache [B·T, H·DH], 4 out [B·M, H·DH],
//           5 q_pos [M] u32, shared by the B sequences (T = cache_rows).
// Dispatch: one invocation per (query, head), i = m·H + h, workgroups of 4 folded into x/y
//           (flat index = gid.x + gid.y · stride). It walks only the prefix and the window's
//           (rows_above + 1) × (cols_left + 1 + cols_right) rectangle, clipped to the grid, never all kv_len keys.
//           gid.z = sequence b of the batch (cond and uncond of classifier-free guidance).
struct Params {
  rows: u32, heads: u32, kv_len: u32, scale: f32, stride: u32, cache_rows: u32,
  prefix_len: u32, grid_width: u32, rows_above: u32, cols_left: u32, cols_right: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(5) var<storage, read> q_pos: array<u32>;

@compute @workgroup_size(4)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.stride;
  if (i >= p.rows * p.heads) { return; }
  let m = i / p.heads;
  let h = i % p.heads;
  let C4 = p.heads * D4; // row length in vec4s
  let out_off = (gid.z * p.rows + m) * C4 + h * D4; // this sequence's query m, this head
  let kv0 = gid.z * p.cache_rows * C4 + h * D4; // this sequence's cache, this head
  attend_begin(0u, out_off, p.scale);

  for (var j = 0u; j < min(p.prefix_len, p.kv_len); j++) {
    load_key(kv0 + j * C4);
    attend_key(0u);
  }

  let pos = q_pos[m];
  let W = p.grid_width;
  let qr = pos / W;
  let qc = pos % W;
  // Written as comparisons before subtracting: u32 would wrap at the top and left edges.
  let r0 = select(0u, qr - p.rows_above, qr > p.rows_above);
  let c0 = select(0u, qc - p.cols_left, qc > p.cols_left);
  let c1 = min(W - 1u, qc + min(p.cols_right, W));
  // Cache rows grow with (r, c) in this order, so the first one past kv_len ends the walk; in the
  // query's own row the columns right of it are future tokens (t > pos) and are skipped.
  for (var r = r0; r <= qr; r++) {
    for (var c = c0; c <= c1; c++) {
      let t = r * W + c;
      if (t > pos) { break; }
      let j = p.prefix_len + t;
      if (j >= p.kv_len) { attend_end(0u, out_off); return; }
      load_key(kv0 + j * C4);
      attend_key(0u);
    }
  }
  attend_end(0u, out_off);
}
