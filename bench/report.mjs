// Turns a result of the bench page (bench/bench.ts), scored by training/score_bench.py, into a chart next to it
// (bench/results/bench-<date>.svg) and the README section between <!-- bench:start --> and <!-- bench:end -->:
//   node bench/report.mjs [bench/results/bench-<date>.json]      (default: the newest bench-*.json)
// The newest ort-*.json (npm run bench:ort, a page of its own) adds its per-token numbers; it is not re-run here.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ceiling, msPerForward } from './stepCost.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const results = join(root, 'bench', 'results');
// ISO dates in the names sort by time.
const newest = (prefix) => readdirSync(results).filter((f) => f.startsWith(prefix) && f.endsWith('.json')).sort().map((f) => join(results, f)).at(-1);
const file = process.argv[2] ? resolve(process.argv[2]) : newest('bench-');
if (!file) throw new Error('no bench/results/bench-*.json: run `npm run bench` first');
const result = JSON.parse(readFileSync(file, 'utf8'));
const { configs, prompts, reps, temperature, browser, cores } = result.data;

const f2 = (v) => v.toFixed(2);
const f3 = (v) => (v === null || v === undefined ? '–' : v.toFixed(3));
const count = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
/** One colour per config family: plain AR, Hawk, Hawk relaxed, ablation. */
const family = (c) => (c.startsWith('ar') ? '#888' : { n: '#2f6fb0', r: '#d9822b', a: '#3b9c5a' }[c[0]]);
const PALETTE = ['#2f6fb0', '#d9822b', '#3b9c5a', '#c0392b', '#8e44ad', '#16a085', '#7f8c8d', '#b7950b', '#e84393', '#34495e', '#6c5ce7', '#00838f'];

const arMsPerForward = msPerForward(configs.find((c) => c.config === 'ar') ?? configs[0]);

// ---------------------------------------------------------------- chart
const ROW = 18, TOP = 34, BAR = 190;

function bars(x0, title, value, fmt, reference) {
  const max = Math.max(...configs.map(value), reference ?? 0);
  const at = (v) => x0 + 64 + (v / max) * BAR;
  const rows = configs.map((c, i) => {
    const y = TOP + i * ROW, v = value(c);
    return `<text x="${x0 + 60}" y="${y + 12}" text-anchor="end">${esc(c.config)}</text>` +
      `<rect x="${x0 + 64}" y="${y + 2}" width="${(at(v) - at(0)).toFixed(1)}" height="${ROW - 5}" fill="${family(c.config)}"/>` +
      `<text x="${(at(v) + 4).toFixed(1)}" y="${y + 12}">${fmt(v)}</text>`;
  });
  const line = reference === undefined ? '' :
    `<line x1="${at(reference)}" x2="${at(reference)}" y1="${TOP - 4}" y2="${TOP + configs.length * ROW}" stroke="#000" stroke-dasharray="3 3"/>`;
  return [`<text x="${x0}" y="18" class="title">${title}</text>`, ...rows, line].join('\n');
}

function depthLines(x0, width, height) {
  const drafted = configs.filter((c) => c.acceptanceByDepth.length > 1);
  if (!drafted.length) return '';
  const depth = Math.max(...drafted.map((c) => c.acceptanceByDepth.length));
  const x = (d) => x0 + 30 + (d / (depth - 1)) * (width - 40), y = (a) => TOP + height - a * height;
  const axes = [0, 0.5, 1].map((a) => `<text x="${x0 + 24}" y="${y(a) + 4}" text-anchor="end">${a}</text><line x1="${x(0)}" x2="${x(depth - 1)}" y1="${y(a)}" y2="${y(a)}" stroke="#ddd"/>`)
    .concat(Array.from({ length: depth }, (_, d) => `<text x="${x(d)}" y="${y(0) + 14}" text-anchor="middle">${d + 1}</text>`));
  const lines = drafted.map((c, i) => {
    const colour = PALETTE[i % PALETTE.length], ly = y(0) + 30 + Math.floor(i / 3) * ROW, lx = x0 + 30 + (i % 3) * 100;
    return `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${c.acceptanceByDepth.map((a, d) => `${x(d).toFixed(1)},${y(a).toFixed(1)}`).join(' ')}"/>` +
      `<line x1="${lx}" x2="${lx + 14}" y1="${ly - 4}" y2="${ly - 4}" stroke="${colour}" stroke-width="2"/><text x="${lx + 18}" y="${ly}">${esc(c.config)}</text>`;
  });
  return [`<text x="${x0}" y="18" class="title">acceptance by draft depth (accepted / drafted)</text>`, ...axes, ...lines].join('\n');
}

function chart() {
  const lineHeight = 200, legendRows = Math.ceil(configs.filter((c) => c.acceptanceByDepth.length > 1).length / 3);
  const height = Math.max(TOP + configs.length * ROW, TOP + lineHeight + 30 + legendRows * ROW) + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="1040" height="${height}" font-family="sans-serif" font-size="11">
<style>.title { font-weight: bold; font-size: 12px }</style>
<rect width="100%" height="100%" fill="#fff"/>
${bars(8, 'speed-up vs plain AR (median ms/image)', (c) => c.speedup, f2, 1)}
${bars(328, 'tokens per target forward', (c) => c.tokensPerForward, f2)}
${depthLines(648, 382, lineHeight)}
</svg>
`;
}

// ---------------------------------------------------------------- README section
function section(svgFile) {
  const rel = (p) => relative(root, p);
  const fidelity = new Map((result.fidelity?.configs ?? []).map((c) => [c.config, c]));
  const sets = [...new Set(prompts.map((p) => p.set))].map((s) => `${prompts.filter((p) => p.set === s).length} ${s}`).join(', ');
  // A sweep under a time budget (`minutes=`) stops after whole prompt rounds: say how many, so nobody reads 2 images as 9.
  const rounds = result.data.runs.length / configs.length, planned = reps * prompts.length;
  const stopped = rounds < planned ? ` Stopped by the time budget after ${rounds} of ${planned} prompt rounds: medians of ${count(rounds, 'image')} per config.` : '';
  const out = [
    `\`npm run bench${result.query ? ` -- ${result.query.split('&').map(decodeURIComponent).map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}` : ''}\` on ${result.date.slice(0, 10)}: headless ${browser} on ` +
    `${result.adapter}, ${cores} logical cores; temperature ${temperature}${temperature === 0 ? ' (greedy)' : ' (lossless sampling)'}, ` +
    `${count(prompts.length, 'prompt')} (${sets}) × ${count(reps, 'seed')}, every config on the same prompts and seeds, interleaved. ` +
    `Raw runs: \`${rel(file)}\`.${stopped}`,
    '',
    `![speed-up, tokens per forward and acceptance by depth per config](${rel(svgFile)})`,
    '',
    '| config | what | ms/image (median) | speed-up vs AR | target forwards/image | tokens per forward | ms per forward | ceiling | acceptance by draft depth 1, 2, … | draft share of tokens, border / centre |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...configs.map((c) => `| ${c.config} | ${c.label} | ${Math.round(c.msMedian).toLocaleString('en-US')} | ${f2(c.speedup)} | ${c.forwardsMedian} | ` +
      `${f2(c.tokensPerForward)} | ${msPerForward(c).toFixed(1)} | ${ceiling(c, arMsPerForward)} | ${c.acceptanceByDepth.map(f2).join(', ') || '–'} | ${f2(c.draftShareBorder)} / ${f2(c.draftShareCentre)} |`),
    '',
    'Border / centre: the share of tokens the draft supplied in the outer ring of 4×4-token blocks (mostly background) and in the inner blocks. ' +
    'Ms per forward: median ms per image ÷ median target forwards per image (a step: draft, one target forward, acceptance). ' +
    'Ceiling: the speed-up over AR this config would reach at its measured cost per step if every drafted token were accepted ' +
    '(n + 1 tokens per forward): (n + 1) × AR ms per forward ÷ this config\'s.',
  ];
  if (result.fidelity) {
    const { real, realSplit } = result.fidelity;
    const [realColumn, realWhat] = realSplit === 'learnt'
      ? ['the learnt images', 'real training images of the learnt concepts'] : ['real test images', 'real test-split images'];
    out.push('',
      `| config | FD to ${realColumn} | FD to plain AR | caption–image score | diversity across seeds |`,
      '|---|---|---|---|---|',
      ...configs.map((c) => fidelity.get(c.config)).filter(Boolean).map((s) =>
        `| ${s.config} | ${f3(s.fdReal)} | ${f3(s.fdAr)} | ${f3(s.clipScore)} | ${f3(s.diversity)} |`),
      '',
      `Scored by \`training/score_bench.py\` with the shipped evaluator: FD is the Fréchet distance of its image features ` +
      `(${count(configs[0].images, 'image')} per config against ${real.images} ${realWhat}; comparable only within ` +
      `one run, as the estimate depends on the sample size). Noise floor: \`ar2\` (plain AR on other seeds) against ` +
      `\`ar\`; lossless Hawk should stay within it, relaxed acceptance shows its cost. Caption–image score: mean ` +
      `cosine with the prompt. Diversity: mean pairwise cosine distance across the seeds of a prompt (${realWhat}: ${f3(real.diversity)}).`);
  } else {
    out.push('', 'No fidelity scores in this result: run `python3 -m training.score_bench` on it.');
  }
  const ortFile = newest('ort-');
  if (ortFile) {
    const ort = JSON.parse(readFileSync(ortFile, 'utf8'));
    const ms = ort.table.map((r) => `${r.engine}: ${r['ms/token (median)']} ms`).join('; ');
    out.push('', `Engine vs onnxruntime-web (\`npm run bench:ort\`, not re-run here; \`${rel(ortFile)}\`, ${ort.date.slice(0, 10)}, ${ort.adapter}): median per token ${ms}.`);
  }
  return out.join('\n');
}

const svgFile = file.replace(/\.json$/, '.svg');
writeFileSync(svgFile, chart());
const readmeFile = join(root, 'README.md');
const readme = readFileSync(readmeFile, 'utf8');
const marked = /(<!-- bench:start -->\n)[\s\S]*?(<!-- bench:end -->)/;
if (!marked.test(readme)) throw new Error('README.md has no <!-- bench:start --> … <!-- bench:end --> section');
writeFileSync(readmeFile, readme.replace(marked, (_, start, end) => `${start}${section(svgFile)}\n${end}`));
console.log(`chart: ${relative(root, svgFile)}; README section rewritten from ${basename(file)}`);
