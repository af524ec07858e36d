// Workgroup-wide reductions for the kernels that give one workgroup to each row (rmsnorm, softmax,
// argmax, sample). Prepended by workers/backend/webgpu/kernels/rowReduce.ts; the including shader declares
// its entry point with @workgroup_size(WG) and calls these from uniform control flow.
//
// Barriers are very expensive on SwiftShader, so instead of a log2(WG)-step tree each invocation
// publishes its partial, passes ONE barrier and folds all WG partials itself, always in the same
// order: every invocation gets the bit-identical result (softmax relies on that to agree on its
// threshold and sum). Partials alternate between the two halves of `scratch`: reduction n+2 writes
// the half that reduction n read, and the barrier of reduction n+1 lies between, so no invocation
// can overwrite partials that a slower one is still folding. One barrier per reduction in all.
override WG: u32 = 64u;

/** "No index": the largest u32 (argmax's invocation without a column, sample's row without weight). */
const NONE: u32 = 0xffffffffu;

var<workgroup> scratch: array<u32, 2u * WG>;
var<private> parity: u32 = 0u;

/**
 * u32 key with the order of the floats, so that max/min and radix selection can work on integers:
 * negatives have all bits flipped, the rest their sign bit set. −0 maps to the key of +0, as they
 * compare equal. Every non-NaN key is > 0, so 0 is "below everything" (and −∞ needs no constant:
 * a WGSL const-expression may not evaluate to an infinity).
 */
fn order_key(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  if ((b & 0x7fffffffu) == 0u) { return 0x80000000u; }
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

/** Inverse of `order_key`. */
fn key_value(k: u32) -> f32 {
  return bitcast<f32>(select(~k, k & 0x7fffffffu, (k & 0x80000000u) != 0u));
}

/** Publishes this invocation's partial and returns where the WG partials of this reduction start. */
fn publish(v: u32, lid: u32) -> u32 {
  let base = parity * WG;
  parity ^= 1u;
  scratch[base + lid] = v;
  workgroupBarrier();
  return base;
}

fn wg_sum(v: f32, lid: u32) -> f32 {
  let base = publish(bitcast<u32>(v), lid);
  var s = 0.0;
  for (var i = 0u; i < WG; i++) { s += bitcast<f32>(scratch[base + i]); }
  return s;
}

fn wg_max_u32(v: u32, lid: u32) -> u32 {
  let base = publish(v, lid);
  var m = 0u;
  for (var i = 0u; i < WG; i++) { m = max(m, scratch[base + i]); }
  return m;
}

fn wg_min_u32(v: u32, lid: u32) -> u32 {
  let base = publish(v, lid);
  var m = 0xffffffffu;
  for (var i = 0u; i < WG; i++) { m = min(m, scratch[base + i]); }
  return m;
}

/** Row handled by this workgroup: rows beyond 65535 workgroups fold into y (see `flatGrid`). */
fn row_index(wid: vec3<u32>, row_stride: u32) -> u32 {
  return wid.x + wid.y * row_stride;
}
