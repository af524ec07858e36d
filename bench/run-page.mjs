// Runs a benchmark page in headless Debian Chromium (WebGPU on SwiftShader here):
//   node bench/run-page.mjs <page> [key=value …]     e.g. `npm run bench:kernels -- reps=9`
// serves bench/<page>.html with Vite, waits for `window.benchResult` ({ adapter, table, lines?, error? }), prints the
// table and lines, writes the whole result to bench/results/<page>-<date>.json, and exits non-zero when the page reports
// an error or logs nothing for 30 minutes.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const [pageName, ...args] = process.argv.slice(2);
if (!pageName) throw new Error('usage: node bench/run-page.mjs <page> [key=value …]');
// key=value pairs, each side URL-encoded (a prompt may hold '&', '#' or spaces).
const query = args.map((a) => a.split(/=(.*)/s, 2).map(encodeURIComponent).join('=')).join('&');
const server = await createServer({ root, logLevel: 'error', server: { port: 0, host: '127.0.0.1' } });
await server.listen();
const url = `${server.resolvedUrls.local[0]}bench/${pageName}.html${query ? `?${query}` : ''}`;
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
  // A full `npm run bench` takes hours, so the limit is on silence: the pages log every measurement.
  let lastLog = Date.now();
  page.on('console', (m) => { lastLog = Date.now(); console.error(`[page] ${m.text()}`); });
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await page.goto(url);
  while (!(await page.evaluate(() => window.benchResult !== undefined))) {
    if (Date.now() - lastLog > 30 * 60_000) throw new Error('the page logged nothing for 30 minutes');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const result = await page.evaluate(() => window.benchResult);
  console.log(`\nadapter: ${result.adapter}`);
  console.table(result.table);
  for (const line of result.lines ?? []) console.log(line);
  if (result.error) { console.log(`error: ${result.error}`); failed = true; }
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${pageName}-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ page: pageName, query, date: new Date().toISOString(), ...result }, null, 1));
  console.log(`results: ${file}`);
} catch (e) {
  console.error(e);
  failed = true;
} finally {
  await context?.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
