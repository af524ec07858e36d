// Rasterize SVGs to 64x64 RGB on white with resvg; reads a JSON list of paths, writes N*64*64*3 raw bytes.
// Usage: node rasterize.mjs list.json out.bin [size]
import { readFileSync, writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';

const [listPath, outPath, sizeArg] = process.argv.slice(2);
const size = Number(sizeArg ?? 64);
const paths = JSON.parse(readFileSync(listPath, 'utf8'));
const out = Buffer.alloc(paths.length * size * size * 3);
paths.forEach((p, i) => {
  const svg = readFileSync(p, 'utf8');
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
