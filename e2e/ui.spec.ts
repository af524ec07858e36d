/**
 * The page's own behaviour, without generating: settings validation and persistence, prompt checks,
 * keyboard use, crash recovery, layout at phone width, and screenshots of the main states.
 * Tests that need engine.generate live in generate.spec.ts.
 */
import { readFileSync } from 'node:fs';
import { type Page, expect, test } from '@playwright/test';
import { DEFAULT_SETTINGS } from '../src/settings';
import { shoot } from './shoot';

const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });

/** Waits until the worker answered the capability probe, so the page is in its settled state. */
async function open(page: Page) {
  await page.goto('/');
  await expect(page.getByTestId('status')).toContainText(/WebGPU on|CPU backend/, { timeout: 30_000 });
}

// Each test gets a fresh browser context, so localStorage (settings, history) starts empty.

test('settings out of range are refused, with the message next to the field', async ({ page }) => {
  await open(page);
  await page.getByLabel('Prompt').fill('red apple, fluent');
  await field(page, 'Speculation length').fill('12');
  await expect(page.getByTestId('error-n')).toHaveText('Speculation length must be between 0 and 8; got 12.');
  await field(page, 'Temperature').fill('2.5');
  await expect(page.getByTestId('error-temperature')).toHaveText('Temperature must be between 0 and 2; got 2.5.');
  await field(page, 'Tree width').fill('1.5');
  await expect(page.getByTestId('error-treeWidth')).toHaveText('Tree width must be a whole number; got 1.5.');
  await field(page, 'Seed').fill('');
  await expect(page.getByTestId('error-seed')).toHaveText('Seed must be a number.');
  await expect(field(page, 'Speculation length')).toHaveAttribute('aria-invalid', 'true');

  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('alert')).toContainText('Fix the settings first');
  await expect(page.getByRole('alert')).toContainText('Speculation length must be between 0 and 8; got 12.');
  // Nothing was sent: no run on screen, the status still shows the backend.
  await expect(page.getByTestId('run-main')).toHaveCount(0);
  await expect(page.getByTestId('status')).not.toContainText('Loading the models');

  // Fixing the field clears its message.
  await field(page, 'Speculation length').fill('8');
  await expect(page.getByTestId('error-n')).toHaveCount(0);
  // The slider edits the same value.
  await expect(page.getByLabel('Speculation length (slider)')).toHaveValue('8');
});

test('an empty or blank prompt is blocked, by click and by Enter', async ({ page }) => {
  await open(page);
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('alert')).toHaveText(/empty/);
  await page.getByLabel('Prompt').fill('    ');
  await page.getByLabel('Prompt').press('Enter');
  await expect(page.getByRole('alert')).toHaveText(/empty/);
  await expect(page.getByTestId('run-main')).toHaveCount(0);
});

test('a 10,000-character prompt shows the trimming notice', async ({ page }) => {
  await open(page);
  await page.getByLabel('Prompt').fill('a'.repeat(10_000));
  await expect(page.getByTestId('prompt-notice')).toHaveText('The prompt was 10,000 characters; only the first 500 are used.');
  await page.getByLabel('Prompt').fill('red apple');
  await expect(page.getByTestId('prompt-notice')).toHaveCount(0);
});

test('emoji and non-Latin prompts pass the page’s checks', async ({ page }) => {
  await open(page);
  for (const text of ['🍎 red apple 🍏', '赤いりんご', 'яблоко', 'تفاحة حمراء', '👩‍👩‍👧 family']) {
    await page.getByLabel('Prompt').fill(text);
    await expect(page.getByTestId('prompt-notice')).toHaveCount(0);
    await page.getByRole('button', { name: 'Generate' }).click();
    // The request went out with the prompt as typed (the status quotes it); any alert is the engine's, not a refusal.
    await expect(page.getByTestId('status')).toContainText(`“${text}”`);
    const alerts = (await page.getByRole('alert').allInnerTexts()).join(' ');
    expect(alerts).not.toMatch(/empty|Fix the settings/);
    await page.keyboard.press('Escape'); // cancel, in case the engine is generating
    await expect(page.getByRole('button', { name: 'Generate' })).toBeEnabled({ timeout: 30_000 });
  }
});

test('settings start at the defaults, persist across a reload, and Reset restores the defaults', async ({ page }) => {
  await open(page);
  await expect(field(page, 'Speculation length')).toHaveValue(String(DEFAULT_SETTINGS.n));
  await expect(field(page, 'Vertical depth')).toHaveValue(String(DEFAULT_SETTINGS.vsd));
  // SwiftShader is compute-bound: the advice says to keep speculation short there.
  await expect(page.getByTestId('speculation-advice')).toContainText('keep speculation short');
  await field(page, 'Speculation length').fill('6');
  await field(page, 'Temperature').fill('0.5');
  await field(page, 'Top-k').fill('50');
  await field(page, 'Seed').fill('1234');
  await page.getByLabel('Automatic speculation').check();
  await page.getByLabel('Draft model').selectOption('ablation');

  await page.reload();
  await expect(field(page, 'Speculation length')).toHaveValue('6');
  await expect(page.getByLabel('Speculation length (slider)')).toHaveValue('6');
  await expect(field(page, 'Temperature')).toHaveValue('0.5');
  await expect(field(page, 'Top-k')).toHaveValue('50');
  await expect(field(page, 'Seed')).toHaveValue('1234');
  await expect(page.getByLabel('Automatic speculation')).toBeChecked();
  await expect(page.getByLabel('Draft model')).toHaveValue('ablation');

  await page.getByRole('button', { name: 'Reset to defaults' }).click();
  const expectDefaults = async () => {
    await expect(field(page, 'Speculation length')).toHaveValue(String(DEFAULT_SETTINGS.n));
    await expect(field(page, 'Vertical depth')).toHaveValue(String(DEFAULT_SETTINGS.vsd));
    await expect(field(page, 'Temperature')).toHaveValue(String(DEFAULT_SETTINGS.temperature));
    await expect(field(page, 'Top-k')).toHaveValue(String(DEFAULT_SETTINGS.topK));
    await expect(field(page, 'Seed')).toHaveValue(String(DEFAULT_SETTINGS.seed));
    await expect(page.getByLabel('Automatic speculation')).not.toBeChecked();
    await expect(page.getByLabel('Draft model')).toHaveValue(DEFAULT_SETTINGS.draft);
  };
  await expectDefaults();
  await page.reload();
  await expectDefaults();
});

test('every setting has its help as a tooltip and a description; relaxed acceptance is marked as not lossless', async ({ page }) => {
  await open(page);
  const n = field(page, 'Speculation length');
  await expect(n).toHaveAttribute('title', /plain autoregressive/);
  await expect(n).toHaveAccessibleDescription(/plain autoregressive decoding\. From 0 to 8\./);
  await expect(field(page, 'Guidance scale')).toHaveAccessibleDescription(/classifier-free guidance/);
  await expect(page.getByLabel(/^Lossless/)).toBeChecked();
  await expect(page.getByLabel('Relaxed')).toHaveAccessibleDescription(/^not lossless/);
  await page.getByLabel('Relaxed').check();
  await expect(page.getByLabel('Relaxed')).toBeChecked();
  await page.getByLabel(/^Lossless/).check();
  // Randomise gives a valid seed different from the default.
  await page.getByRole('button', { name: 'Randomise' }).click();
  await expect(field(page, 'Seed')).not.toHaveValue(String(DEFAULT_SETTINGS.seed));
  await expect(page.getByTestId('error-seed')).toHaveCount(0);
});

test('the keyboard reaches the prompt first, then Generate, then the examples', async ({ page }) => {
  await open(page);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Prompt')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Generate' })).toBeFocused();
  await page.keyboard.press('Tab'); // Cancel is disabled while idle, so focus skips it
  await expect(page.getByRole('button', { name: 'red apple, fluent' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByLabel('Prompt')).toHaveValue('red apple, fluent');
});

test('choosing the CPU backend shows the slower-backend banner, and Auto brings WebGPU back', async ({ page }) => {
  await open(page);
  await page.getByLabel('Backend').selectOption('cpu');
  await expect(page.getByTestId('cpu-banner')).toContainText('running on the CPU backend, slower');
  await expect(page.getByTestId('status')).toContainText('CPU backend (slower)');
  await page.reload(); // the choice persists and is applied to the new worker
  await expect(page.getByTestId('status')).toContainText('CPU backend (slower)', { timeout: 30_000 });
  await page.getByLabel('Backend').selectOption('auto');
  await expect(page.getByTestId('status')).toContainText('WebGPU on', { timeout: 30_000 });
  await expect(page.getByTestId('cpu-banner')).toHaveCount(0);
});

test('a crashed worker is reported and replaced by a working one', async ({ page }) => {
  await open(page);
  await page.evaluate(() => (window as unknown as { hawkCrashWorker(): void }).hawkCrashWorker());
  await expect(page.getByTestId('engine-banner')).toContainText('restarted');
  // The new worker answers (window.hawkEngine now points at it) and the page reports its backend again.
  const backend = await page.evaluate(async () => (await (window as unknown as { hawkEngine: { capabilities(): Promise<{ backend: string }> } }).hawkEngine.capabilities()).backend);
  expect(backend).toBe('webgpu');
  await expect(page.getByTestId('status')).toContainText('WebGPU on', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Dismiss' }).click();
  await expect(page.getByTestId('engine-banner')).toHaveCount(0);
});

test('history from localStorage is shown, and a click restores its text and settings', async ({ page }) => {
  await page.goto('/');
  await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = c.height = 64;
    const ctx = c.getContext('2d')!;
    ctx.fillStyle = '#d22';
    ctx.fillRect(8, 8, 48, 48);
    const entry = {
      id: 'test-1', prompt: 'blue heart, noto', backend: 'webgpu', totalMs: 4321, targetForwards: 120, tokensPerForward: 256 / 120,
      settings: { n: 5, vsd: 2, treeWidth: 2, autoSpeculation: true, temperature: 0.7, topK: 100, topP: 0.9, cfgScale: 4, seed: 77, acceptance: 'lossless', draft: 'hawk' },
      sources: 'thv'.repeat(85) + 't', thumbnail: c.toDataURL('image/png'), createdAt: Date.now(),
    };
    localStorage.setItem('hawk.history.v1', JSON.stringify([entry]));
  });
  await open(page);
  const item = page.getByTestId('history-item');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText('blue heart, noto');
  await expect(item).toContainText('n 5 · seed 77');
  await item.click();
  await expect(page.getByLabel('Prompt')).toHaveValue('blue heart, noto');
  await expect(page.getByLabel('Prompt')).toBeFocused();
  await expect(field(page, 'Speculation length')).toHaveValue('5');
  await expect(field(page, 'Seed')).toHaveValue('77');
  await expect(field(page, 'Top-p')).toHaveValue('0.9');
  await expect(field(page, 'Plausibility cut')).toHaveValue('0'); // saved before the cut existed: made without it
  await expect(page.getByLabel('Automatic speculation')).toBeChecked();
  await page.getByRole('button', { name: 'Clear' }).click();
  await expect(item).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId('history-item')).toHaveCount(0);
});

test('at phone width (375 px) nothing scrolls sideways', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 812 });
  await open(page);
  // Long unbroken text is the usual culprit.
  await page.getByLabel('Prompt').fill('x'.repeat(2000));
  await page.getByLabel('Show token sources').check();
  await page.getByLabel(/Compare with plain AR/).check();
  await page.getByText('GPU diagnostics').click();
  await field(page, 'Speculation length').fill('99');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await shoot(page, 'phone');
});

test('the page lists what the model can draw and hints when a prompt names none of it', async ({ page }) => {
  const shipped = JSON.parse(readFileSync(new URL('../public/models/hawk-emoji/manifest.json', import.meta.url), 'utf8')) as { concepts: string[] };
  await open(page);
  const list = page.getByTestId('concepts');
  await expect(list).toContainText(`What can Hawk draw? ${shipped.concepts.length} things`);
  await list.locator('summary').click();
  await list.getByRole('button', { name: 'penguin', exact: true }).click();
  await expect(page.getByLabel('Prompt')).toHaveValue('penguin');
  await expect(page.getByTestId('concept-hint')).toHaveCount(0);

  await page.getByLabel('Prompt').fill('giraffe, noto');
  await expect(page.getByTestId('concept-hint')).toContainText('No word of “giraffe, noto” is in what this model was trained to draw');
  await expect(page.getByLabel('Prompt')).toHaveAttribute('aria-describedby', 'concept-hint');
  await page.getByLabel('Prompt').fill('red apple, giraffe');
  await expect(page.getByTestId('concept-hint')).toHaveCount(0);
});

test('screenshots of the main states are saved and not blank', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await open(page);
  await shoot(page, 'initial');

  await page.getByRole('button', { name: 'grinning face, twemoji' }).click();
  await page.getByLabel('Show token sources').check();
  await shoot(page, 'overlay-on');

  await field(page, 'Speculation length').fill('12');
  await field(page, 'Top-p').fill('0');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('alert')).toContainText('Fix the settings first');
  await shoot(page, 'settings-invalid');

  await page.getByRole('button', { name: 'Reset to defaults' }).click();
  await page.getByLabel('Prompt').fill('a'.repeat(10_000));
  await expect(page.getByTestId('prompt-notice')).toBeVisible();
  await shoot(page, 'prompt-trimmed');

  await page.getByLabel('Backend').selectOption('cpu');
  await expect(page.getByTestId('cpu-banner')).toBeVisible();
  await shoot(page, 'cpu-banner');
});

test('the About view credits the CC-BY training images', async ({ page }) => {
  await page.goto('/');
  await page.getByText('About Hawk and its models').click();
  await expect(page.getByText(/Twemoji graphics © Twitter, Inc and other contributors/)).toBeVisible();
  await expect(page.getByRole('link', { name: 'CC-BY 4.0' })).toHaveAttribute('href', /creativecommons\.org\/licenses\/by\/4\.0/);
});
