/** Target forward inputs for tests: RoPE positions and causal masks of a run of sequence slots. */
import type { Backend, Tensor } from '../workers/backend/backend';
import { type TargetConfig, positionOf } from '../workers/model/target';

/** (row, col) of sequence slots start … start+m−1, `[m, 2]` u32. */
export function positions(b: Backend, cfg: TargetConfig, start: number, m: number): Tensor {
  const data = new Uint32Array(2 * m);
  for (let i = 0; i < m; i++) data.set(positionOf(cfg, start + i), 2 * i);
  return b.upload(data, [m, 2]);
}

/** Row i (slot start + i) sees every slot up to itself: `[m, start + m]` u32. */
export function causalMask(b: Backend, start: number, m: number): Tensor {
  const data = new Uint32Array(m * (start + m));
  for (let i = 0; i < m; i++) for (let j = 0; j <= start + i; j++) data[i * (start + m) + j] = 1;
  return b.upload(data, [m, start + m]);
}
