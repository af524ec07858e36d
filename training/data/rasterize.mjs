// Rasterize SVGs to 64x64 RGB on white with resvg; reads a JSON list of entries, writes N*64*64*3 raw bytes.
// An entry is a path, or {path, color}: then `color` replaces currentColor (icons drawn in the text colour), or {svg}:
// the SVG text itself (Iconify's sets ship their icons inside one JSON file).
// Images are written one by one, so when resvg aborts on an SVG (a panic ends the process; a few of Iconify's do) the
// caller knows from the output's length which entry it was, and can go on after it.
// Usage: node rasterize.mjs list.json out.bin [size]
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';

const [listPath, outPath, sizeArg] = process.argv.slice(2);
const size = Number(sizeArg ?? 64);
const entries = JSON.parse(readFileSync(listPath, 'utf8'));
const out = openSync(outPath, 'w');
const image = Buffer.alloc(size * size * 3);
for (const entry of entries) {
  const { path, color, svg: text } = typeof entry === 'string' ? { path: entry } : entry;
  const source = text ?? readFileSync(path, 'utf8');
  const svg = color ? source.replaceAll('currentColor', color) : source;
  // Fit the longer side to `size`; emoji are square, the white background replaces transparency.
  const img = new Resvg(svg, { fitTo: { mode: 'width', value: size }, background: 'white' }).render();
  const { width, height, pixels } = img; // RGBA, already composited on white
  const ox = (size - width) >> 1, oy = (size - height) >> 1;
  image.fill(255);
  for (let y = 0; y < Math.min(height, size); y++)
    for (let x = 0; x < Math.min(width, size); x++) {
      const s = (y * width + x) * 4, d = ((y + oy) * size + x + ox) * 3;
      image[d] = pixels[s]; image[d + 1] = pixels[s + 1]; image[d + 2] = pixels[s + 2];
    }
  writeSync(out, image);
}
closeSync(out);
