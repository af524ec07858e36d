// `npm run bench:kernels`: serves bench/kernels.html with Vite, opens it in headless Debian Chromium
// (WebGPU on SwiftShader here), waits for `window.benchResult`, prints the table and exits.
// Extra query parameters for the page can be passed as arguments, e.g. `npm run bench:kernels -- reps=9`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const query = process.argv.slice(2).join('&');
const server = await createServer({ root, logLevel: 'error', server: { port: 0, host: '127.0.0.1' } });
await server.listen();
const url = `${server.resolvedUrls.local[0]}bench/kernels.html${query ? `?${query}` : ''}`;
const profile = mkdtempSync(join(tmpdir(), 'hawk-bench-'));
let context;
let failed = false;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--enable-unsafe-webgpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-domain-reliability'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => console.error(`[page] ${m.text()}`));
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => window.benchResult !== undefined, null, { timeout: 30 * 60_000, polling: 500 });
  const result = await page.evaluate(() => window.benchResult);
  console.log(`\nadapter: ${result.adapter}`);
  if (result.error) { console.log(`error: ${result.error}`); failed = true; }
  console.table(result.rows.map((r) => ({
    kernel: r.name,
    variant: r.variant,
    'ms (median)': Number(r.ms.toFixed(3)),
    value: Number(r.value.toFixed(2)),
    unit: r.unit,
    'rel err': r.relErr === undefined ? '' : r.relErr.toExponential(1),
  })));
} catch (e) {
  console.error(e);
  failed = true;
} finally {
  await context?.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
