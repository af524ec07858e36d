import { expect, test } from '@playwright/test';

/** What the test needs of the worker API (see workers/engine.worker.ts decodeTokens). */
interface DecodeApi {
  decodeTokens(tokens: number[], rows: number): Promise<{ width: number; height: number; rgba: Uint8ClampedArray }>;
}

/** Fixed, varied token ids for a 16×16 grid (any id in 0..1023 is a valid code). */
const TOKENS = Array.from({ length: 256 }, (_, i) => (i * 37 + 11) % 1024);
const PARTIAL_ROWS = 5;

test('the worker decodes a full and a partial token grid with the ONNX VQ decoder', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('status')).toContainText('WebGPU on', { timeout: 30_000 });

  // Decoding runs in the worker; only plain arrays cross back so the assertions run here.
  const decode = () =>
    page.evaluate(
      async ({ tokens, partialRows }) => {
        const engine = (window as unknown as { hawkEngine: DecodeApi }).hawkEngine;
        const full = await engine.decodeTokens(tokens, 16);
        const part = await engine.decodeTokens(tokens.slice(0, partialRows * 16), partialRows);
        return {
          full: { width: full.width, height: full.height, rgba: Array.from(full.rgba) },
          part: { width: part.width, height: part.height, rgba: Array.from(part.rgba) },
        };
      },
      { tokens: TOKENS, partialRows: PARTIAL_ROWS },
    );
  let result: Awaited<ReturnType<typeof decode>>;
  try {
    result = await decode();
  } catch (err) {
    // With a cold Vite cache the worker's first import of onnxruntime-web makes the dev server
    // optimise it and reload the page; decode again on the reloaded page. Any other error is real.
    if (!/context was destroyed|navigation|Target closed/i.test(String(err))) throw err;
    await page.waitForLoadState('load');
    await expect(page.getByTestId('status')).toContainText('WebGPU on', { timeout: 30_000 });
    result = await decode();
  }

  // The worker kept the verified decoder in Cache Storage (same origin, so the page can see it).
  const cached = await page.evaluate(async () => {
    const hit = await (await caches.open('hawk-models-v1')).match(new URL('/models/vq/decoder.onnx', location.href).href);
    return hit ? (await hit.arrayBuffer()).byteLength : 0;
  });
  expect(cached).toBeGreaterThan(0);

  expect([result.full.width, result.full.height]).toEqual([64, 64]);
  expect([result.part.width, result.part.height]).toEqual([64, PARTIAL_ROWS * 4]);
  expect(result.full.rgba).toHaveLength(64 * 64 * 4);
  expect(result.part.rgba).toHaveLength(64 * PARTIAL_ROWS * 4 * 4);

  // Not blank: the colour channels vary, and alpha is opaque.
  for (const image of [result.full, result.part]) {
    const rgb = image.rgba.filter((_, i) => i % 4 !== 3);
    const mean = rgb.reduce((a, b) => a + b, 0) / rgb.length;
    const variance = rgb.reduce((a, b) => a + (b - mean) ** 2, 0) / rgb.length;
    expect(variance).toBeGreaterThan(0);
    expect(image.rgba.filter((_, i) => i % 4 === 3).every((a) => a === 255)).toBe(true);
  }

  // The partial grid is the top of the full image. The decoder's 3×3 convolutions see across the
  // partial grid's bottom edge (zero padding there, real rows in the full grid), so the last two token
  // rows may differ; the rows above must match up to rounding and float differences.
  const stableRows = (PARTIAL_ROWS - 2) * 4;
  let maxDiff = 0;
  for (let i = 0; i < stableRows * 64 * 4; i++) maxDiff = Math.max(maxDiff, Math.abs(result.part.rgba[i] - result.full.rgba[i]));
  expect(maxDiff).toBeLessThanOrEqual(8);

  // Across all the partial rows, edge included, the images still agree on average.
  let sumDiff = 0;
  for (let i = 0; i < result.part.rgba.length; i++) sumDiff += Math.abs(result.part.rgba[i] - result.full.rgba[i]);
  expect(sumDiff / result.part.rgba.length).toBeLessThan(12);
});
