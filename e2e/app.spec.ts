import { expect, test } from '@playwright/test';

test('finds the WebGPU adapter and reports its features', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('status')).toContainText('WebGPU on', { timeout: 30_000 });
  await page.getByText('GPU diagnostics').click();
  await expect(page.getByTestId('features')).toContainText('subgroups: yes');
  await expect(page.getByTestId('features')).toContainText('shaderF16: no');
});

test('runs kernels in the worker and they match the CPU oracle', async ({ page }) => {
  await page.goto('/');
  await page.getByText('GPU diagnostics').click();
  await page.getByRole('button', { name: 'Run kernel self-test' }).click();
  const rows = page.getByTestId('kernel-checks').locator('tr');
  await expect(rows).toHaveCount(4, { timeout: 60_000 }); // matmul, windowAttention, softmax, sample
  for (const text of await rows.allInnerTexts()) {
    expect(text).toContain('webgpu');
    const err = Number(/max \|err\| (\S+)/.exec(text)![1]);
    expect(err).toBeLessThan(1e-4);
  }
});

// Generate now loads the models and generates (see generate.spec.ts); what holds whether or not the
// worker's generate() has landed is that the normalised prompt is what the status line reports.
test('the Generate button sends the normalised prompt to the engine', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Prompt').fill('  a red   apple  ');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByTestId('status')).toContainText('“a red apple”');
});

test('an empty prompt is refused with a message', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('alert')).toHaveText(/empty/);
});

test('a lost GPU device is reported and re-created', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('status')).toContainText('WebGPU on', { timeout: 30_000 });
  await page.evaluate(() => (window as unknown as { hawkEngine: { loseDevice(): Promise<void> } }).hawkEngine.loseDevice());
  await expect(page.getByTestId('status')).toContainText('GPU device re-created', { timeout: 30_000 });
  await page.getByText('GPU diagnostics').click();
  await page.getByRole('button', { name: 'Run kernel self-test' }).click();
  await expect(page.getByTestId('kernel-checks').locator('tr')).toHaveCount(4, { timeout: 60_000 });
});
