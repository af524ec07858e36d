// Rasterize SVGs to 64x64 RGB on white with resvg; reads a JSON list of entries, writes N*64*64*3 raw bytes.
// An entry is a path, or {path, color}: then `color` replaces currentColor (icons drawn in the text colour).
// Usage: node rasterize.mjs list.json out.bin [size]
import { readFileSync, writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';

const [listPath, outPath, sizeArg] = process.argv.slice(2);
const size = Number(sizeArg ?? 64);
const entries = JSON.parse(readFileSync(listPath, 'utf8'));
const out = Buffer.alloc(entries.length * size * size * 3);
entries.forEach((entry, i) => {
  const { path, color } = typeof entry === 'string' ? { path: entry, color: null } : entry;
  const source = readFileSync(path, 'utf8');
  const svg = color ? source.replaceAll('currentColor', color) : source;
  // Fit the longer side to `size`; emoji are square, the white background replaces transparency.
  const img = new Resvg(svg, { fitTo: { mode: 'width', value: size }, background: 'white' }).render();
  const { width, height, pixels } = img; // RGBA, already composited on white
  const ox = (size - width) >> 1, oy = (size - height) >> 1;
  out.fill(255, i * size * size * 3, (i + 1) * size * size * 3);
  for (let y = 0; y < Math.min(height, size); y++)
    for (let x = 0; x < Math.min(width, size); x++) {
      const s = (y * width + x) * 4, d = ((i * size + y + oy) * size + x + ox) * 3;
      out[d] = pixels[s]; out[d + 1] = pixels[s + 1]; out[d + 2] = pixels[s + 2];
    }
});
writeFileSync(outPath, out);
