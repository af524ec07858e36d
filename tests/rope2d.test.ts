import { describe, expect, it } from 'vitest';
import { both, cpu, randomF32, randomU32 } from './harness';
import { expectMatch, useGpu } from './kernelCheck';

const gpu = useGpu();

describe('rope2d', () => {
  // Hand-computed, independent of both implementations: pins the convention itself.
  it.each([
    {
      what: 'Dh=4: row half by pos 1 rad, col half by pos 2 rad',
      x: [1, 2, 3, 4], pos: [1, 2], heads: 1,
      // [1·cos1 − 2·sin1, 1·sin1 + 2·cos1, 3·cos2 − 4·sin2, 3·sin2 + 4·cos2]
      want: [-1.1426397, 1.9220756, -4.8856302, 1.0633049],
    },
    {
      what: 'Dh=8: pair i=1 of a half of 4 turns by pos·10000^(−2/4) = pos/100',
      x: [1, 0, 0, 1, 1, 0, 0, 1], pos: [3, 100], heads: 1,
      // row: (cos3, sin3), (−sin0.03, cos0.03); col: (cos100, sin100), (−sin1, cos1)
      want: [-0.9899925, 0.14112, -0.0299955, 0.99955, 0.8623189, -0.5063656, -0.841471, 0.5403023],
    },
    {
      what: 'two heads rotate alike',
      x: [1, 2, 3, 4, 1, 2, 3, 4], pos: [1, 2], heads: 2,
      want: [-1.1426397, 1.9220756, -4.8856302, 1.0633049, -1.1426397, 1.9220756, -4.8856302, 1.0633049],
    },
  ])('$what', async ({ x, pos, heads, want }) => {
    for (const b of [cpu, gpu()]) {
      const out = b.rope2d(b.upload(new Float32Array(x), [1, x.length]), b.upload(new Uint32Array(pos), [1, 2]), heads, 10000);
      const got = Array.from(await b.read(out));
      got.forEach((v, i) => expect(v, `${b.name}[${i}]`).toBeCloseTo(want[i], 5));
    }
  });

  it.each([
    [1, 1, 4, 10000], [3, 3, 8, 10000], [20, 4, 16, 10000], [7, 2, 64, 100], [2, 1, 128, 10000], [5, 6, 12, 10000],
  ])('matches the CPU oracle: M=%i heads=%i Dh=%i base=%i', async (M, H, Dh, base) => {
    const [cx, gx] = both(gpu(), randomF32(M * H * Dh, M * H + Dh, 2), [M, H * Dh]);
    const [cp, gp] = both(gpu(), randomU32(M * 2, Dh + base, 64), [M, 2]);
    await expectMatch(gpu(), 'rope2d', gpu().rope2d(gx, gp, H, base), cpu.rope2d(cx, cp, H, base));
  });

  // The fused block step: q returned rotated, k rotated and v copied into each sequence's cache slots,
  // the rest of the caches untouched; with and without rotation, batch 1 and 2 (CFG).
  it.each([
    [1, 1, 2, 8, true], [3, 1, 3, 16, true], [4, 2, 2, 8, true], [2, 2, 6, 64, true], [3, 1, 2, 8, false], [2, 2, 3, 12, false],
  ])('qkvRope matches the CPU oracle: M=%i batch=%i heads=%i Dh=%i rotate=%s', async (M, B, H, Dh, rotate) => {
    const C = H * Dh, T = M + 5, start = 3, seed = M * 13 + B * 7 + Dh;
    const [cq, gq] = both(gpu(), randomF32(B * M * 3 * C, seed, 2), [B * M, 3 * C]);
    const [cp, gp] = rotate ? both(gpu(), randomU32(B * M * 2, seed + 1, 16), [B * M, 2]) : [null, null];
    const [ck, gk] = both(gpu(), randomF32(B * T * C, seed + 2), [B * T, C]);
    const [cv, gv] = both(gpu(), randomF32(B * T * C, seed + 3), [B * T, C]);
    const gOut = gpu().qkvRope(gq, gp, H, 10000, gk, gv, start, B);
    const cOut = cpu.qkvRope(cq, cp, H, 10000, ck, cv, start, B);
    await expectMatch(gpu(), 'qkvRope', gOut, cOut);
    await expectMatch(gpu(), 'qkvRope', gk, ck);
    await expectMatch(gpu(), 'qkvRope', gv, cv);
  });

  it('qkvRope refuses cache slots past the end', () => {
    const [, gq] = both(gpu(), randomF32(2 * 24, 1), [2, 24]);
    const [, gk] = both(gpu(), randomF32(4 * 8, 2), [4, 8]);
    expect(() => gpu().qkvRope(gq, null, 2, 10000, gk, gk, 3, 1)).toThrow(/outside 4/);
  });

  it('rejects a head dim that is not a multiple of 4', () => {
    const [, gx] = both(gpu(), randomF32(6, 1), [1, 6]);
    const [, gp] = both(gpu(), new Uint32Array([0, 0]), [1, 2]);
    expect(() => gpu().rope2d(gx, gp, 1, 10000)).toThrow(/multiple of 4/);
    expect(() => gpu().rope2d(gx, gp, 4, 10000)).toThrow(/heads/);
  });
});
