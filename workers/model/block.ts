/**
 * The pre-norm transformer block shared by the target, the draft and the text encoder
 * (training/target.py `Block`): h = x + wo(attn(rmsnorm(x))), out = h + w2(swiglu(w13(rmsnorm(h)))),
 * q/k rotated by 2D RoPE, K/V appended to the layer's cache. How queries see keys is the caller's
 * choice (`attend`), which is all that differs between the models.
 */
import type { Backend, Tensor } from '../backend/backend';
import type { RawTensor } from './safetensors';

export interface BlockWeights {
  attnNorm: Tensor;
  /** Fused q | k | v projection `[3C, C]`, as trained. */
  wqkv: Tensor;
  wo: Tensor;
  ffnNorm: Tensor;
  w13: Tensor;
  w2: Tensor;
}

export interface BlockShape {
  dim: number;
  hidden: number;
  nHeads: number;
  ropeBase: number;
  normEps: number;
}

/** Reads and shape-checks one tensor of a state dict. */
export function tensorOf(raw: Map<string, RawTensor>, name: string, shape: number[], what: string): RawTensor {
  const t = raw.get(name);
  if (!t) throw new Error(`${what} weights: missing tensor ${name}`);
  if (t.shape.join() !== shape.join()) throw new Error(`${what} weights: ${name} has shape [${t.shape}], expected [${shape}]`);
  return t;
}

export function uploadRaw(backend: Backend, t: RawTensor, shape = t.shape, data = t.data): Tensor {
  return backend.upload(data, shape, t.dtype === 'F16' ? 'f16' : 'f32');
}

/** Uploads block `prefix` (e.g. "layers.0."). */
export function uploadBlock(backend: Backend, raw: Map<string, RawTensor>, prefix: string, s: BlockShape, what: string): BlockWeights {
  const C = s.dim, F = s.hidden;
  const get = (name: string, shape: number[]) => tensorOf(raw, prefix + name, shape, what);
  return {
    attnNorm: uploadRaw(backend, get('attn_norm.weight', [C])),
    wqkv: uploadRaw(backend, get('attn.wqkv.weight', [3 * C, C])),
    wo: uploadRaw(backend, get('attn.wo.weight', [C, C])),
    ffnNorm: uploadRaw(backend, get('ffn_norm.weight', [C])),
    w13: uploadRaw(backend, get('ffn.w13.weight', [2 * F, C])),
    w2: uploadRaw(backend, get('ffn.w2.weight', [C, F])),
  };
}

/** Attention of rotated queries over the layer's cache after the new K/V rows were written. */
export type Attend = (q: Tensor, kCache: Tensor, vCache: Tensor) => Tensor;

/**
 * One block over x `[B·M, dim]` (B sequences of M rows) at cache slots start … start+M−1 of each
 * sequence's cache (`[B·T, dim]`), with RoPE positions pos `[B·M, 2]` (u32) or no rotation when pos
 * is null. Returns a new tensor; x is left to the caller.
 */
export function blockForward(b: Backend, s: BlockShape, L: BlockWeights, x: Tensor, kCache: Tensor, vCache: Tensor, start: number, pos: Tensor | null, attend: Attend, batch = 1): Tensor {
  const n1 = b.rmsnorm(x, L.attnNorm, s.normEps);
  const qkv = b.matmul(n1, L.wqkv);
  const q = b.qkvRope(qkv, pos, s.nHeads, s.ropeBase, kCache, vCache, start, batch);
  const att = attend(q, kCache, vCache);
  const proj = b.matmul(att, L.wo);
  const h1 = b.add(x, proj);
  const n2 = b.rmsnorm(h1, L.ffnNorm, s.normEps);
  const gu = b.matmul(n2, L.w13);
  const act = b.swiglu(gu);
  const down = b.matmul(act, L.w2);
  const out = b.add(h1, down);
  for (const t of [n1, qkv, q, att, proj, h1, n2, gu, act, down]) b.release(t);
  return out;
}
