import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalWindow, Tensor } from '../workers/backend/backend';
import { windowVisible } from '../workers/backend/cpu/cpuBackend';
import type { WebGpuBackend } from '../workers/backend/webgpu/webgpuBackend';
import { both, cpu, diff, gpuBackend, randomF32, record, rng } from './harness';

let gpu: WebGpuBackend;
beforeAll(async () => { gpu = await gpuBackend(); });
afterAll(() => gpu.destroy());

const TOLERANCE = 1e-4;

/** Random q and a cache with `extra` garbage rows beyond kvLen, which the kernels must ignore. */
function inputs(M: number, heads: number, Dh: number, kvLen: number, seed: number, extra = 3, qScale = 3) {
  const C = heads * Dh, T = kvLen + extra;
  // q scaled up so that some softmaxes are peaked, as trained attention often is.
  const [cq, gq] = both(gpu, randomF32(M * C, seed, qScale), [M, C]);
  const [ck, gk] = both(gpu, randomF32(T * C, seed + 1), [T, C]);
  const [cv, gv] = both(gpu, randomF32(T * C, seed + 2), [T, C]);
  return { cq, gq, ck, gk, cv, gv };
}

type MaskKind = 'chain' | 'tree' | 'random';

/**
 * The M queries are the last M cache rows (the drafted tokens being verified); the kvLen − M
 * rows before them are committed context that every query sees. Chain: query m sees drafts ≤ m.
 * Tree: each draft has a random earlier parent (or none) and sees itself and its ancestors.
 */
function buildMask(kind: MaskKind, M: number, kvLen: number, seed: number): Uint32Array {
  const r = rng(seed);
  const ctx = kvLen - M;
  const mask = new Uint32Array(M * kvLen);
  const parent = Array.from({ length: M }, (_, m) => (m === 0 || r() < 0.2 ? -1 : Math.floor(r() * m)));
  for (let m = 0; m < M; m++) {
    const row = mask.subarray(m * kvLen, (m + 1) * kvLen);
    if (kind === 'random') { row.forEach((_, j) => (row[j] = r() < 0.5 ? 1 : 0)); continue; }
    row.fill(1, 0, ctx);
    if (kind === 'chain') row.fill(1, ctx, ctx + m + 1);
    else for (let a = m; a >= 0; a = parent[a]) row[ctx + a] = 1;
  }
  return mask;
}

async function expectClose(kernel: string, actual: Tensor, expected: Tensor): Promise<Float32Array> {
  const a = (await gpu.read(actual)) as Float32Array;
  const d = diff(a, await cpu.read(expected));
  record(kernel, d);
  expect(d.maxRel).toBeLessThanOrEqual(TOLERANCE);
  return a;
}

describe('attention (explicit mask) matches the CPU oracle', () => {
  // [M, heads, Dh, kvLen, mask]. M 1..4 and ≥ 4 take tiles of 1..4 queries per invocation,
  // M 5, 9, 11 end in a partial tile.
  it.each<[number, number, number, number, MaskKind]>([
    [1, 1, 4, 1, 'chain'],
    [1, 8, 64, 264, 'chain'],
    [2, 6, 64, 100, 'chain'],
    [8, 8, 64, 264, 'tree'],
    [16, 6, 64, 300, 'tree'],
    [16, 8, 64, 24, 'chain'],
    [5, 3, 12, 37, 'tree'],
    [3, 2, 8, 13, 'chain'],
    [2, 7, 36, 9, 'chain'],
    [11, 4, 20, 50, 'random'],
    [9, 2, 16, 30, 'tree'],
    [16, 1, 4, 300, 'random'],
  ])('M %i, heads %i, Dh %i, kvLen %i, %s mask', async (M, heads, Dh, kvLen, kind) => {
    const seed = M * 1000 + heads * 100 + Dh + kvLen;
    const { cq, gq, ck, gk, cv, gv } = inputs(M, heads, Dh, kvLen, seed);
    const [cm, gm] = both(gpu, buildMask(kind, M, kvLen, seed), [M, kvLen]);
    await expectClose('attention', gpu.attention(gq, gk, gv, kvLen, gm, heads), cpu.attention(cq, ck, cv, kvLen, cm, heads));
  });

  it('gives zeros to a query that sees no key', async () => {
    const M = 4, heads = 3, Dh = 16, kvLen = 20;
    const { cq, gq, ck, gk, cv, gv } = inputs(M, heads, Dh, kvLen, 7);
    const mask = buildMask('chain', M, kvLen, 7);
    mask.fill(0, 2 * kvLen, 3 * kvLen);
    const [cm, gm] = both(gpu, mask, [M, kvLen]);
    const out = await expectClose('attention', gpu.attention(gq, gk, gv, kvLen, gm, heads), cpu.attention(cq, ck, cv, kvLen, cm, heads));
    const C = heads * Dh;
    expect(Array.from(out.subarray(2 * C, 3 * C)).every((x) => x === 0)).toBe(true);
    expect(out.subarray(C, 2 * C).some((x) => x !== 0)).toBe(true);
  });

  it('stays finite when scores are far beyond exp range (running max)', async () => {
    const M = 4, heads = 2, Dh = 64, kvLen = 40;
    // Scores spread over several hundred: exp without subtracting a running max overflows f32.
    const { cq, gq, ck, gk, cv, gv } = inputs(M, heads, Dh, kvLen, 13, 3, 600);
    const [cm, gm] = both(gpu, buildMask('chain', M, kvLen, 13), [M, kvLen]);
    await expectClose('attention', gpu.attention(gq, gk, gv, kvLen, gm, heads), cpu.attention(cq, ck, cv, kvLen, cm, heads));
  });

  it('rejects bad shapes with a message', () => {
    const { gq, gk, gv } = inputs(2, 2, 8, 10, 9);
    const [, mask] = both(gpu, new Uint32Array(2 * 9), [2, 9]);
    expect(() => gpu.attention(gq, gk, gv, 10, mask, 2)).toThrow(/attention mask: expected shape \[2, 10\]/);
    expect(() => gpu.attention(gq, gk, gv, 9, mask, 3)).toThrow(/16 columns do not split into 3 heads/);
    expect(() => gpu.attention(gq, gk, gv, 14, mask, 2)).toThrow(/kvLen 14 outside the cache of 13 rows/);
    expect(() => gpu.attention(gq, gv, gq, 9, mask, 2)).toThrow(/vCache: expected shape \[13, 16\]/);
    // Heads are read as vec4s: a head dim that is not a multiple of 4 is refused, not misread.
    expect(() => gpu.attention(gq, gk, gv, 9, mask, 8)).toThrow(/head dim 2 is not a multiple of 4/);
    expect(() => gpu.attention(gq, gk, gv, 9, mask, 16)).toThrow(/head dim 1 is not a multiple of 4/);
  });
});

describe('windowAttention matches the CPU oracle and the equivalent explicit mask', () => {
  interface Case { M: number; heads: number; Dh: number; window: LocalWindow; qPos: number[]; kvLen?: number }
  const cases: Case[] = [
    // Draft-like: 8 queries in one row of a 16-wide grid after an 8-token prompt.
    { M: 8, heads: 8, Dh: 64, window: { prefixLen: 8, gridWidth: 16, rowsAbove: 2, colsLeft: 3, colsRight: 8 }, qPos: [40, 41, 42, 43, 44, 45, 46, 47] },
    // Left and right edges, first row, and a window wider than the grid.
    { M: 6, heads: 6, Dh: 64, window: { prefixLen: 8, gridWidth: 16, rowsAbove: 3, colsLeft: 16, colsRight: 16 }, qPos: [0, 15, 16, 31, 200, 255] },
    { M: 5, heads: 4, Dh: 12, window: { prefixLen: 0, gridWidth: 16, rowsAbove: 0, colsLeft: 0, colsRight: 0 }, qPos: [0, 1, 17, 100, 255] },
    { M: 4, heads: 2, Dh: 16, window: { prefixLen: 0, gridWidth: 16, rowsAbove: 1, colsLeft: 2, colsRight: 5 }, qPos: [0, 14, 15, 33] },
    // Odd grid width 5: clipping on both sides, windows leaning either way.
    { M: 7, heads: 3, Dh: 8, window: { prefixLen: 8, gridWidth: 5, rowsAbove: 1, colsLeft: 1, colsRight: 3 }, qPos: [0, 4, 5, 9, 12, 23, 24] },
    { M: 3, heads: 5, Dh: 20, window: { prefixLen: 0, gridWidth: 5, rowsAbove: 3, colsLeft: 3, colsRight: 0 }, qPos: [2, 13, 24] },
    { M: 16, heads: 8, Dh: 64, window: { prefixLen: 8, gridWidth: 16, rowsAbove: 1, colsLeft: 4, colsRight: 7 }, qPos: Array.from({ length: 16 }, (_, i) => 96 + i * 9) },
    { M: 1, heads: 1, Dh: 4, window: { prefixLen: 8, gridWidth: 5, rowsAbove: 2, colsLeft: 2, colsRight: 2 }, qPos: [7] },
    // kvLen cuts the window short (later keys do not exist yet), and a prefix longer than kvLen.
    { M: 4, heads: 2, Dh: 8, window: { prefixLen: 8, gridWidth: 16, rowsAbove: 2, colsLeft: 5, colsRight: 6 }, qPos: [20, 30, 40, 50], kvLen: 8 + 35 },
    { M: 2, heads: 2, Dh: 8, window: { prefixLen: 8, gridWidth: 16, rowsAbove: 1, colsLeft: 2, colsRight: 1 }, qPos: [3, 20], kvLen: 5 },
  ];

  it.each(cases.map((c) => [`M ${c.M}, heads ${c.heads}, Dh ${c.Dh}, ${JSON.stringify(c.window)}${c.kvLen ? `, kvLen ${c.kvLen}` : ''}`, c] as const))('%s', async (_, c) => {
    const { M, heads, Dh, window, qPos } = c;
    const kvLen = c.kvLen ?? window.prefixLen + Math.max(...qPos) + 1;
    const seed = M * 31 + heads * 7 + Dh + window.gridWidth * 3 + window.colsLeft + 5 * window.colsRight;
    const { cq, gq, ck, gk, cv, gv } = inputs(M, heads, Dh, kvLen, seed);
    const [cp, gp] = both(gpu, Uint32Array.from(qPos), [M]);
    const gWin = gpu.windowAttention(gq, gk, gv, kvLen, gp, heads, window);
    const got = await expectClose('windowAttention', gWin, cpu.windowAttention(cq, ck, cv, kvLen, cp, heads, window));

    // Second oracle: the masked kernel with the mask `windowVisible` gives.
    const mask = Uint32Array.from({ length: M * kvLen }, (_, i) => Number(windowVisible(i % kvLen, qPos[Math.floor(i / kvLen)], window)));
    const masked = (await gpu.read(gpu.attention(gq, gk, gv, kvLen, gpu.upload(mask, [M, kvLen]), heads))) as Float32Array;
    expect(diff(got, masked).maxRel).toBeLessThanOrEqual(TOLERANCE);
  });

  it('rejects bad shapes and windows with a message', () => {
    const { gq, gk, gv } = inputs(2, 2, 8, 10, 11);
    const [, pos] = both(gpu, Uint32Array.from([1, 2, 3]), [3]);
    const [, pos2] = both(gpu, Uint32Array.from([1, 2]), [2]);
    const w: LocalWindow = { prefixLen: 0, gridWidth: 4, rowsAbove: 1, colsLeft: 1, colsRight: 2 };
    expect(() => gpu.windowAttention(gq, gk, gv, 10, pos, 2, w)).toThrow(/qPos: expected shape \[2\]/);
    expect(() => gpu.windowAttention(gq, gk, gv, 10, pos2, 2, { ...w, gridWidth: 0 })).toThrow(/gridWidth must be an integer ≥ 1/);
    expect(() => gpu.windowAttention(gq, gk, gv, 10, pos2, 2, { ...w, colsRight: -1 })).toThrow(/colsRight must be an integer ≥ 0/);
    const { gq: q6, gk: k6, gv: v6 } = inputs(2, 2, 6, 10, 12);
    expect(() => gpu.windowAttention(q6, k6, v6, 10, pos2, 2, w)).toThrow(/head dim 6 is not a multiple of 4/);
  });
});
