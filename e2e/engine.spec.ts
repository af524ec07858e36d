import { expect, test } from '@playwright/test';
import { DEFAULT_SETTINGS } from '../src/settings';
import type { GenerateSettings, GenerationSummary } from '../src/types';

/** What the test needs of the worker API (workers/engine.worker.ts). */
interface EngineApi {
  load(): Promise<{ model: string; totalBytes: number }>;
  generate(prompt: string, settings: GenerateSettings): Promise<GenerationSummary>;
}

async function generate(page: import('@playwright/test').Page, settings: Partial<GenerateSettings>) {
  return page.evaluate(
    (s) => (window as unknown as { hawkEngine: EngineApi }).hawkEngine.generate('red apple, fluent', s),
    { ...DEFAULT_SETTINGS, ...settings },
  );
}

test('the shipped models generate in the worker; greedy Hawk gives the greedy AR image in fewer target forwards', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto('/');
  const loaded = await page.evaluate(() => (window as unknown as { hawkEngine: EngineApi }).hawkEngine.load());
  expect(loaded.model).toBe('hawk-emoji');
  const ar = await generate(page, { n: 0, temperature: 0, seed: 5 });
  expect(ar.backend).toBe('webgpu');
  expect(ar.tokens).toHaveLength(256);
  expect(ar.targetForwards).toBe(256);
  const hawk = await generate(page, { n: 4, vsd: 1, temperature: 0, seed: 5 });
  expect(hawk.tokens).toEqual(ar.tokens);
  expect(hawk.targetForwards).toBeLessThan(256);
  expect(hawk.tokensPerForward).toBeGreaterThan(1);
});
