/** Full-page screenshots into e2e/screenshots/, checked not to be blank. */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Page, expect } from '@playwright/test';

const SHOTS = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');

/** Width and height from the PNG header (IHDR), and the byte size. */
function pngInfo(buf: Buffer) {
  expect(buf.subarray(1, 4).toString('ascii')).toBe('PNG');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), bytes: buf.length };
}

/**
 * Saves a full-page screenshot and checks it is not blank: a PNG of a flat page compresses to almost
 * nothing, so ours must be several times the size of an empty page's at the same viewport.
 */
export async function shoot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  const buf = await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const blankPage = await page.context().newPage();
  await blankPage.setViewportSize(page.viewportSize()!);
  const blank = await blankPage.screenshot();
  await blankPage.close();
  const shot = pngInfo(buf), empty = pngInfo(blank);
  expect(shot.width).toBe(empty.width);
  expect(shot.bytes, `${name}.png looks blank`).toBeGreaterThan(empty.bytes * 4);
}
