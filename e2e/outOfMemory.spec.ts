/**
 * GPU out-of-memory recovery through the UI. Real out-of-memory cannot be provoked safely here, so
 * the worker's development hook makes the next GPU steps report it, through the same path a real
 * one takes. Settings that keep a run short: greedy, no guidance (batch 1), long speculation.
 */
import { type Locator, type Page, expect, test } from '@playwright/test';
import { RUN_TIMEOUT, field, start, waitDone } from './run';
import { shoot } from './shoot';

const FAST = { 'Speculation length': 8, 'Vertical depth': 2, Temperature: 0, 'Guidance scale': 1 };
const PROMPT = 'red apple, fluent';

test.describe.configure({ timeout: 2 * RUN_TIMEOUT });

/** Opens the page on WebGPU and makes the next `count` GPU steps run out of memory. */
async function openWithOutOfMemory(page: Page, count: number) {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/');
  await expect(page.getByTestId('status')).toContainText('WebGPU on', { timeout: 30_000 });
  await page.evaluate((n) => (window as unknown as { hawkEngine: { simulateOutOfMemory(count: number): Promise<void> } }).hawkEngine.simulateOutOfMemory(n), count);
}

/** Every pixel of the 64×64 canvas is painted (opaque). */
async function fullyPainted(run: Locator): Promise<boolean> {
  return run.getByTestId('run-canvas').evaluate((c: HTMLCanvasElement) => c.getContext('2d')!.getImageData(0, 0, 64, 64).data.every((v, i) => i % 4 !== 3 || v === 255));
}

/** The prompt and the settings the user typed are still there. */
async function expectInputsKept(page: Page) {
  await expect(page.getByLabel('Prompt')).toHaveValue(PROMPT);
  for (const [label, value] of Object.entries(FAST)) await expect(field(page, label)).toHaveValue(String(value));
}

test('one out-of-memory: the page says so, the generation restarts on a fresh GPU device and completes there', async ({ page }) => {
  await openWithOutOfMemory(page, 1);
  await start(page, PROMPT, FAST);
  const run = page.getByTestId('run-main');
  await expect(page.getByTestId('engine-banner')).toContainText('The GPU ran out of memory; everything cached on it was released and the generation restarted on a fresh GPU device.', { timeout: 120_000 });
  await waitDone(run);
  expect(await fullyPainted(run)).toBe(true);
  await expect(run.getByTestId('stat-tokens')).toHaveText('256 / 256');
  await expect(page.getByTestId('status')).toContainText(/^Done: .* on webgpu\.$/);
  await expect(page.getByTestId('cpu-banner')).toHaveCount(0);
  await expectInputsKept(page);
  await shoot(page, 'out-of-memory-retried');
});

test('persistent out-of-memory: the page falls back to the CPU backend, says so, and the image completes', async ({ page }) => {
  await openWithOutOfMemory(page, 1000);
  await start(page, PROMPT, FAST);
  const run = page.getByTestId('run-main');
  await expect(page.getByTestId('engine-banner')).toContainText('The GPU ran out of memory again; the generation restarted on the CPU backend (slower)', { timeout: 120_000 });
  await expect(page.getByTestId('cpu-banner')).toContainText('the GPU ran out of memory twice in one generation');
  await waitDone(run);
  expect(await fullyPainted(run)).toBe(true);
  await expect(run.getByTestId('stat-tokens')).toHaveText('256 / 256');
  await expect(page.getByTestId('status')).toContainText(/^Done: .* on cpu\.$/);
  await expectInputsKept(page);
  await shoot(page, 'out-of-memory-cpu-fallback');
});
