import { expect, test } from '@playwright/test';

test('without WebGPU the page says so and the CPU backend runs the kernels', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('status')).toContainText('CPU backend (slower)', { timeout: 30_000 });
  await expect(page.getByTestId('status')).toContainText(/WebGPU|adapter/);
  await page.getByText('GPU diagnostics').click();
  await page.getByRole('button', { name: 'Run kernel self-test' }).click();
  const rows = page.getByTestId('kernel-checks').locator('tr');
  await expect(rows).toHaveCount(4, { timeout: 60_000 });
  await expect(rows.first()).toContainText('cpu');
});

test('without WebGPU the CPU backend generates a whole image through the UI', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto('/');
  await expect(page.getByTestId('status')).toContainText('CPU backend (slower)', { timeout: 30_000 });
  await page.getByLabel('Prompt').fill('red apple, fluent');
  await page.getByLabel('Speculation length', { exact: true }).fill('4');
  await page.getByRole('button', { name: 'Generate' }).click();
  const run = page.getByTestId('run-main');
  await expect.poll(() => run.getAttribute('data-phase'), { timeout: 540_000 }).toMatch(/done|failed|cancelled/);
  expect(await run.getAttribute('data-phase'), (await page.getByRole('alert').allInnerTexts()).join(' ')).toBe('done');
  expect(Number(await run.getAttribute('data-committed'))).toBe(256);
});
