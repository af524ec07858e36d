/**
 * The benchmark page of `npm run bench`: the sweep of bench/sweep.ts through the app's engine worker in the browser.
 * Options in the query string (see bench/sweep.ts).
 */
import { Comlink, startEngine } from '../src/engineClient';
import type { Capabilities } from '../src/types';
import { type PageResult, describeAdapter } from './pageResult';
import { runSweep, sweepOptions } from './sweep';

const out = document.getElementById('out')!;
const log = (line: string) => { out.textContent = out.textContent === 'running…' ? line : `${out.textContent}\n${line}`; console.log(line); };

function adapterOf(caps: Capabilities): string {
  if (caps.backend !== 'webgpu') return `cpu (${caps.reason})`;
  return describeAdapter(caps.gpu.adapter);
}

async function main(): Promise<PageResult> {
  const options = sweepOptions(new URLSearchParams(location.search));
  const engine = startEngine();
  const adapter = adapterOf(await engine.capabilities());
  const version = /Chrom(?:e|ium)\/([\d.]+)/.exec(navigator.userAgent)?.[1];
  await engine.load(Comlink.proxy(() => {}));
  return runSweep(options, {
    adapter,
    platform: version ? `Chromium ${version}` : navigator.userAgent,
    cores: navigator.hardwareConcurrency,
    generate: (prompt, settings) => engine.generate(prompt, settings, Comlink.proxy(() => {})),
  }, log);
}

main()
  .catch((e: unknown): PageResult => ({ adapter: 'unknown', table: [], error: String((e as Error)?.stack ?? e) }))
  .then((r) => {
    if (r.error) log(`error: ${r.error}`);
    window.benchResult = r;
  });
