/**
 * End-to-end generation through the UI. These need engine.load/generate/cancel in the worker and the
 * shipped target and draft models; on SwiftShader a 256-token image takes about a minute.
 */
import { type Locator, type Page, expect, test } from '@playwright/test';
import { RUN_TIMEOUT, start, waitDone } from './run';

async function open(page: Page) {
  await page.goto('/');
  await expect(page.getByTestId('status')).toContainText('WebGPU on', { timeout: 30_000 });
}

/** The canvas pixels of a run panel, as a plain array (RGBA, 64×64). */
function pixels(run: Locator): Promise<number[]> {
  return run.getByTestId('run-canvas').evaluate((c: HTMLCanvasElement) => Array.from(c.getContext('2d')!.getImageData(0, 0, 64, 64).data));
}

/** Number of pixel rows, from the top, whose every pixel is opaque (painted). */
function paintedRows(rgba: number[]): number {
  let rows = 0;
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) if (rgba[(y * 64 + x) * 4 + 3] !== 255) return rows;
    rows++;
  }
  return rows;
}

test.describe.configure({ timeout: 2 * RUN_TIMEOUT });

test('the canvas is painted row by row during the run and fully at the end, with statistics', async ({ page }) => {
  await open(page);
  await start(page, 'red apple, fluent');
  const run = page.getByTestId('run-main');
  // Mid-run: some rows painted, not all.
  await expect.poll(async () => Number(await run.getAttribute('data-committed')), { timeout: RUN_TIMEOUT }).toBeGreaterThanOrEqual(64);
  const mid = paintedRows(await pixels(run));
  if ((await run.getAttribute('data-phase')) === 'running') {
    expect(mid).toBeGreaterThan(0);
    expect(mid).toBeLessThan(64);
  }
  await expect(run.getByTestId('stat-elapsed')).toBeVisible();
  await expect(run.getByTestId('stat-tps')).toHaveText(/\d/);

  await waitDone(run);
  expect(paintedRows(await pixels(run))).toBe(64);
  await expect(run.getByTestId('stat-tokens')).toHaveText('256 / 256');
  expect(Number(await run.getByTestId('stat-forwards').innerText())).toBeGreaterThan(0);
  expect(Number(await run.getByTestId('stat-tpf').innerText())).toBeGreaterThanOrEqual(1);
  await expect(run.getByTestId('acceptance-chart')).toBeVisible();
  await expect(page.getByTestId('history-item')).toHaveCount(1);
  // The source overlay colours all 256 cells once the run is done.
  await page.getByLabel('Show token sources').check();
  await expect(run.getByTestId('source-overlay').locator('rect')).toHaveCount(256);
});

test('plain AR (n = 0) takes exactly one target forward per token', async ({ page }) => {
  await open(page);
  await start(page, 'grinning face, twemoji', { 'Speculation length': 0 });
  const run = page.getByTestId('run-main');
  await waitDone(run);
  await expect(run).toHaveAttribute('data-forwards', '256');
  await expect(run.getByTestId('stat-forwards')).toHaveText('256');
  await expect(run.getByTestId('stat-tpf')).toHaveText('1.00');
});

test('greedy decoding gives the same image with n = 0 and n = 6', async ({ page }) => {
  await open(page);
  const run = page.getByTestId('run-main');
  await start(page, 'blue heart, noto', { 'Speculation length': 0, Temperature: 0, Seed: 7 });
  await waitDone(run);
  const plain = await pixels(run);
  await start(page, 'blue heart, noto', { 'Speculation length': 6, Temperature: 0, Seed: 7 });
  await waitDone(run);
  const hawk = await pixels(run);
  expect(paintedRows(hawk)).toBe(64);
  // Exact equality: lossless verification under greedy sampling must reproduce the AR tokens.
  expect(hawk).toEqual(plain);
  // The Hawk run finds the plain-AR run in the history as its baseline.
  await expect(run.getByTestId('stat-speedup')).toHaveText(/\d+\.\d\d×/);
});

test('compare mode streams plain AR and Hawk side by side and shows the ratio', async ({ page }) => {
  await open(page);
  await page.getByLabel(/Compare with plain AR/).check();
  await start(page, 'cat face, fluent');
  const ar = page.getByTestId('run-ar'), hawk = page.getByTestId('run-hawk');
  await expect(ar).toBeVisible();
  await expect(hawk).toHaveAttribute('data-phase', 'waiting');
  await waitDone(ar);
  await waitDone(hawk);
  expect(paintedRows(await pixels(ar))).toBe(64);
  expect(paintedRows(await pixels(hawk))).toBe(64);
  await expect(ar).toHaveAttribute('data-forwards', '256');
  await expect(page.getByTestId('compare-ratio')).toHaveText(/Plain AR .* · Hawk .* · \d+\.\d\d× (faster|slower)/);
  await expect(page.getByTestId('history-item')).toHaveCount(2);
});

test('Cancel stops within a step, Escape cancels too, and Generate works again', async ({ page }) => {
  await open(page);
  const run = page.getByTestId('run-main');
  const committed = async () => Number(await run.getAttribute('data-committed'));
  await start(page, 'sun with face, twemoji', { 'Speculation length': 4 });
  await expect.poll(committed, { timeout: RUN_TIMEOUT }).toBeGreaterThanOrEqual(20);
  const atClick = await committed();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(run).toHaveAttribute('data-phase', 'cancelled', { timeout: 30_000 });
  await expect(page.getByTestId('status')).toContainText('Cancelled');
  // At most the step already in flight (n + 1 = 5 tokens) and one whose event was on its way.
  await page.waitForTimeout(3000);
  expect(await committed()).toBeLessThanOrEqual(atClick + 2 * 5);

  // Escape, from anywhere on the page, cancels a second run.
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(run).toHaveAttribute('data-phase', 'running', { timeout: RUN_TIMEOUT });
  await expect.poll(committed, { timeout: RUN_TIMEOUT }).toBeGreaterThan(0);
  await page.keyboard.press('Escape');
  await expect(run).toHaveAttribute('data-phase', 'cancelled', { timeout: 30_000 });

  // And a third runs to the end.
  await page.getByRole('button', { name: 'Generate' }).click();
  await waitDone(run);
  expect(paintedRows(await pixels(run))).toBe(64);
});
