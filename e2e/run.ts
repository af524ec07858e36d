/** Driving a generation through the page, shared by the e2e specs that run real generations. */
import { type Locator, type Page, expect } from '@playwright/test';

/** How long one generation may take on SwiftShader in CI. */
export const RUN_TIMEOUT = 300_000;

/** A settings field by its exact label (the NUMBER_RULES labels). */
export const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });

/** Fills the prompt and the given numeric settings and clicks Generate. */
export async function start(page: Page, prompt: string, settings: Record<string, number> = {}) {
  await page.getByLabel('Prompt').fill(prompt);
  for (const [label, value] of Object.entries(settings)) await field(page, label).fill(String(value));
  await page.getByRole('button', { name: 'Generate' }).click();
}

/** Waits for the run to end, and fails at once (with the page's alerts) if it ended any other way. */
export async function waitDone(run: Locator) {
  await expect.poll(() => run.getAttribute('data-phase'), { timeout: RUN_TIMEOUT }).toMatch(/done|failed|cancelled/);
  const alerts = (await run.page().getByRole('alert').allInnerTexts()).join(' ');
  expect(await run.getAttribute('data-phase'), alerts).toBe('done');
}
