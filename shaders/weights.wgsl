// Weight loading shared by every kernel that reads model weights. Included (prepended) by the
// TypeScript side; the including shader declares `w: array<u32>` at a binding of its choice.
// Weights are either f32 (one word per value, bit-cast) or f16 packed two per word (low half
// first), widened with unpack2x16float — core WGSL, so the f16 path runs on every adapter,
// with or without the `shader-f16` feature, and halves the bytes a GEMV streams.
override W_F16: bool = false;

fn load_w(i: u32) -> f32 {
  if (W_F16) {
    return unpack2x16float(w[i >> 1u])[i & 1u];
  }
  return bitcast<f32>(w[i]);
}
