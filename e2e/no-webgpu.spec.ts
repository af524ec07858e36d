import { expect, test } from '@playwright/test';

test('without WebGPU the page says so and the CPU backend runs the kernels', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('status')).toContainText('CPU backend (slower)', { timeout: 30_000 });
  await expect(page.getByTestId('status')).toContainText(/WebGPU|adapter/);
  await page.getByText('GPU diagnostics').click();
  await page.getByRole('button', { name: 'Run kernel self-test' }).click();
  const rows = page.getByTestId('kernel-checks').locator('tr');
  await expect(rows).toHaveCount(3, { timeout: 60_000 });
  await expect(rows.first()).toContainText('cpu');
});
