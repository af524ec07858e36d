/**
 * Packs the Node benchmarks (bench/node-bench.ts, bench/step-costs.ts) for one run on a lent GPU machine that has no
 * Node, no npm and no network, within its 64 MiB upload limit: `npx tsx bench/gpu/pack.ts [DIR]` (default .dev/, which
 * .git/info/exclude should ignore), then on that machine `bash DIR/run.sh` (bench/gpu/run.sh) with $OUT set; about
 * 4 minutes there (2026-11-30, one H200: README, "On a real GPU"). The repo's own tracked files (74 MB, the shipped
 * models) exceed that upload limit: for the call, empty the index (`cp .git/index /tmp/index.bak && git rm -r -q
 * --cached .`), ignore everything (`/*` in .git/info/exclude) and carry only DIR; restore the index afterwards.
 * Back here: copy the returned node-*.json into bench/results/ and `node bench/report-gpu.mjs` writes the README table.
 *
 * What goes, and why it is smaller than the repo:
 *   - the two benchmarks bundled with esbuild (tsx's own) into plain .mjs files; `webgpu` stays an import;
 *   - the `webgpu` package with only its linux-x64 dawn.node, and this machine's node binary, stripped;
 *   - the shipped hawk-emoji models without the ablation draft, the VQ decoder and golden.json (the Node benchmarks
 *     decode no pixels and the GPU run does not sweep the ablation), and with the text vocabulary cut to the words of
 *     bench/prompts.json: those words keep their rows, so every benchmark prompt encodes exactly as with the shipped
 *     table. The manifest lists the cut files with their own sizes and sha256, so the loader's checks still run;
 *   - Debian's Vulkan loader and glvnd packages (what Dawn and NVIDIA's ICD load; the machine's image has neither);
 *   - every large file xz-compressed; f16 weights byte-planed first (high bytes, then low bytes: the exponents
 *     compress, the mantissas do not), undone by bench/gpu/unpack.py on the GPU machine's Python.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { parseSafetensors, type RawTensor } from '../../workers/model/safetensors';
import { promptWords } from '../../workers/model/textEncoder';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const out = resolve(repo, process.argv[2] ?? '.dev');
const models = join(repo, 'public/models/hawk-emoji');

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'bench/node'), { recursive: true });

/** Vite's `import text from './x.wgsl?raw'`, as bench/node/raw-loader.mjs does it at run time. */
const rawText: Plugin = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: resolve(a.resolveDir, a.path.slice(0, -'?raw'.length)), namespace: 'raw' }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, (a) => ({ contents: readFileSync(a.path, 'utf8'), loader: 'text' }));
  },
};
// Bundled into bench/node/ so that `new URL('../..', import.meta.url)` (bench/node/shipped.ts) is the pack's root.
await build({
  entryPoints: ['bench/node-bench.ts', 'bench/step-costs.ts'].map((p) => join(repo, p)),
  outdir: join(out, 'bench/node'), outExtension: { '.js': '.mjs' }, bundle: true, platform: 'node', format: 'esm',
  target: 'node20', external: ['webgpu'], plugins: [rawText], logLevel: 'warning',
});

function xz(src: string, dst: string): void {
  writeFileSync(dst, execFileSync('xz', ['-9', '-T2', '-c', src], { maxBuffer: 1 << 30 }));
}

/** f16 tensors byte-planed (all high bytes, then all low bytes) and xz-compressed; unpack.py inverts it. */
function packWeights(bytes: Buffer, dst: string): void {
  const half = bytes.length >> 1, planed = Buffer.alloc(bytes.length);
  for (let i = 0; i < half; i++) { planed[i] = bytes[2 * i + 1]; planed[half + i] = bytes[2 * i]; }
  if (bytes.length & 1) planed[bytes.length - 1] = bytes[bytes.length - 1];
  const tmp = `${dst}.raw`;
  writeFileSync(tmp, planed);
  xz(tmp, `${dst}.planed.xz`);
  rmSync(tmp);
}

/** The safetensors format that workers/model/safetensors.ts reads: 8-byte header length, JSON header, tensor bytes. */
function writeSafetensors(tensors: Map<string, RawTensor>): Buffer {
  const header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> = {};
  const bytes = [...tensors.values()].map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  let offset = 0;
  [...tensors].forEach(([name, t], i) => {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes[i].length] };
    offset += bytes[i].length;
  });
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]); // pad with spaces to 8 bytes
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, ...bytes]);
}

/** The text encoder and vocabulary with only the rows of <pad>, <unk> and the benchmark prompts' words. */
function cutVocabulary(manifest: any): { vocab: Buffer; text: Buffer; size: number } {
  const prompts = JSON.parse(readFileSync(join(repo, 'bench/prompts.json'), 'utf8')) as Record<string, string[] | string>;
  const words = new Set(Object.values(prompts).filter(Array.isArray).flat().flatMap(promptWords));
  const vocab = JSON.parse(readFileSync(join(models, manifest.text_encoder.vocab), 'utf8')) as string[];
  const keep = vocab.map((_, i) => i).filter((i) => i === manifest.tokenizer.pad_id || i === manifest.tokenizer.unk_id || words.has(vocab[i]));
  const file = readFileSync(join(models, manifest.text_encoder.weights));
  const tensors = parseSafetensors(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength));
  const embed = tensors.get('embed.weight')!; // [vocab, word_dim] f16 rows
  const dim = embed.shape[1];
  const rows = new Uint16Array(keep.length * dim);
  keep.forEach((i, r) => rows.set(embed.data.subarray(i * dim, (i + 1) * dim) as Uint16Array, r * dim));
  tensors.set('embed.weight', { dtype: embed.dtype, shape: [keep.length, dim], data: rows });
  console.log(`vocabulary cut to ${keep.length} of ${vocab.length} words (${words.size} prompt words)`);
  return { vocab: Buffer.from(JSON.stringify(keep.map((i) => vocab[i]))), text: writeSafetensors(tensors), size: keep.length };
}

// --- models ---
const manifest = JSON.parse(readFileSync(join(models, 'manifest.json'), 'utf8'));
const cut = cutVocabulary(manifest);
manifest.text_encoder.vocab_size = cut.size;
delete manifest.drafts.ablation;
const contents: Record<string, Buffer> = {
  [manifest.target.weights]: readFileSync(join(models, manifest.target.weights)),
  [manifest.text_encoder.weights]: cut.text,
  [manifest.text_encoder.vocab]: cut.vocab,
  [manifest.drafts.hawk.weights]: readFileSync(join(models, manifest.drafts.hawk.weights)),
  '../vq/codebook.safetensors': readFileSync(join(models, '../vq/codebook.safetensors')), // relaxed acceptance's neighbours
};
manifest.files = Object.entries(contents).map(([path, bytes]) => ({
  path, role: manifest.files.find((f: { path: string }) => f.path === path).role, bytes: bytes.length,
  sha256: createHash('sha256').update(bytes).digest('hex'),
}));
manifest.total_bytes = manifest.files.reduce((s: number, f: { bytes: number }) => s + f.bytes, 0);
manifest.description += ' (GPU benchmark pack: no ablation draft, no VQ decoder, vocabulary cut to bench/prompts.json)';
const modelDir = join(out, 'public/models/hawk-emoji');
mkdirSync(join(out, 'public/models/vq'), { recursive: true });
mkdirSync(modelDir, { recursive: true });
writeFileSync(join(modelDir, 'manifest.json'), JSON.stringify(manifest, null, 1));
for (const [path, bytes] of Object.entries(contents)) {
  if (path.endsWith('.safetensors') && bytes.length > 1 << 20) packWeights(bytes, join(modelDir, path));
  else writeFileSync(join(modelDir, path), bytes);
}

// --- runtime: node (stripped), the webgpu package for linux-x64 ---
const webgpu = join(repo, 'node_modules/webgpu');
const webgpuOut = join(out, 'node_modules/webgpu');
mkdirSync(join(webgpuOut, 'dist/linux-x64'), { recursive: true });
for (const f of ['package.json', 'index.js', 'LICENSE.md']) copyFileSync(join(webgpu, f), join(webgpuOut, f));
xz(join(webgpu, 'dist/linux-x64/dawn.node'), join(webgpuOut, 'dist/linux-x64/dawn.node.xz'));
execFileSync('strip', ['-o', join(out, 'node'), process.execPath]);
xz(join(out, 'node'), join(out, 'node.xz'));
rmSync(join(out, 'node'));
for (const f of ['run.sh', 'unpack.py']) copyFileSync(join(repo, 'bench/gpu', f), join(out, f));
// Dawn dlopens libvulkan.so.1, which the GPU machine's image lacks, and NVIDIA's Vulkan ICD (libGLX_nvidia.so.0)
// loads only beside glvnd's libraries (without them: "Could not get 'vkCreateInstance'"); run.sh unpacks these into /.
execFileSync('apt-get', ['download', 'libvulkan1', 'libglvnd0', 'libgl1', 'libglx0', 'libegl1', 'libopengl0', 'libgles2'], { cwd: out, stdio: 'ignore' });

const total = execFileSync('du', ['-sb', out], { encoding: 'utf8' }).split('\t')[0];
console.log(`packed ${out}: ${(Number(total) / 2 ** 20).toFixed(1)} MiB (the GPU machine takes 64 MiB with the repo)`);
if (statSync(join(out, 'node.xz')).size === 0) throw new Error('empty node.xz');
