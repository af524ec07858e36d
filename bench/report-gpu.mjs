// Turns the Node benchmark runs of a GPU machine (bench/gpu/run.sh: a sweep at temperature 1 and a greedy one, both
// bench/node-bench.ts results) into the README table between <!-- gpu:start --> and <!-- gpu:end -->:
//   node bench/report-gpu.mjs bench/results/node-<gpu>-<date>.json [bench/results/node-<gpu>-<date>.json (greedy)]
// The narrative around the table (what it says) is written by hand.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ceiling, msPerForward } from './stepCost.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const files = process.argv.slice(2).map((f) => resolve(f));
if (!files.length || files.length > 2) throw new Error('usage: node bench/report-gpu.mjs TEMPERATURE1.json [GREEDY.json]');
const runs = files.map((f) => ({ file: f, result: JSON.parse(readFileSync(f, 'utf8')) }));
const sampled = runs.find((r) => r.result.data.temperature > 0);
const greedy = runs.find((r) => r.result.data.temperature === 0);
if (!sampled) throw new Error('one run must be at temperature > 0 (lossless sampling)');

const f2 = (v) => v.toFixed(2);
const ms = (v) => Math.round(v).toLocaleString('en-US');
const byConfig = (run) => new Map((run?.result.data.configs ?? []).map((c) => [c.config, c]));
const arOf = (configs) => msPerForward(configs.get('ar'));
const s = byConfig(sampled), g = byConfig(greedy);
const label = (c) => (c.config.startsWith('r') ? `${c.config} (relaxed)` : c.config);
const images = (run) => [...new Set(run.result.data.configs.map((c) => c.images))].join('–');

const rows = [...s.values()].map((c) => {
  const gc = g.get(c.config);
  return `| ${label(c)} | ${ms(c.msMedian)} | ${f2(c.speedup)} | ${f2(c.tokensPerForward)} | ${msPerForward(c).toFixed(1)} | ${ceiling(c, arOf(s))} | ` +
    (gc ? `${ms(gc.msMedian)} | ${f2(gc.speedup)} | ${f2(gc.tokensPerForward)} |` : '| | |');
});
const { result } = sampled;
const section = [
  `${result.adapter}, ${result.data.browser}, ${result.data.cores} cores, ${result.date.slice(0, 10)}: medians of ${images(sampled)} images per ` +
  `config at temperature ${result.data.temperature}${greedy ? ` and ${images(greedy)} greedy` : ''} (${result.lines?.join('; ')}). ` +
  `Raw runs: ${runs.map((r) => `\`${relative(root, r.file)}\``).join(', ')}.`,
  '',
  '| config | temperature 1: ms/image | vs AR | tokens per forward | ms per forward | ceiling | greedy: ms/image | vs AR | tokens per forward |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows,
].join('\n');

const readmeFile = join(root, 'README.md');
const readme = readFileSync(readmeFile, 'utf8');
const marked = /(<!-- gpu:start -->\n)[\s\S]*?(<!-- gpu:end -->)/;
if (!marked.test(readme)) throw new Error('README.md has no <!-- gpu:start --> … <!-- gpu:end --> section');
writeFileSync(readmeFile, readme.replace(marked, (_, start, end) => `${start}${section}\n${end}`));
console.log(`README GPU table rewritten from ${runs.map((r) => relative(root, r.file)).join(', ')}`);
