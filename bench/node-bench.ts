/**
 * The benchmark sweep (bench/sweep.ts) in Node, without a browser: the shipped models (checksums verified) on the
 * npm `webgpu` package (Dawn) or on the CPU backend, driven by the same generation code as the app's worker
 * (workers/engine/generation.ts), minus the VQ decoder (pixels are not part of the timing there either: rows decode
 * off the decoding loop's critical path). This is how real-GPU numbers are taken on a headless GPU machine, where
 * Dawn picks the system's Vulkan driver:
 *
 *   npm run bench:node -- configs=ar,n1v1,n4v1 reps=1            (here: SwiftShader, through scripts/swiftshader-env.sh)
 *   npx tsx --import ./bench/node/register.mjs bench/node-bench.ts configs=…   (a machine with a GPU)
 *
 * Options: those of bench/sweep.ts, plus backend=webgpu|cpu (default webgpu). Prints the table and writes
 * bench/results/node-<date>.json (the bench page's result format).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { generateImage } from '../workers/engine/generation';
import { backendOf, commandLineOptions, root, shippedModels } from './node/shipped';
import { runSweep, sweepOptions } from './sweep';

const args = commandLineOptions();

async function main(): Promise<number> {
  const options = sweepOptions(args);
  const { backend, adapter } = await backendOf(args.get('backend') ?? 'webgpu');
  const models = await shippedModels(backend);
  const result = await runSweep(options, {
    adapter, platform: `Node ${process.version}`, cores: availableParallelism(),
    generate: (prompt, settings) => generateImage(models, prompt, settings, () => {}),
  }, (line) => console.error(line));
  console.log(`\nadapter: ${result.adapter}`);
  console.table(result.table);
  for (const line of result.lines ?? []) console.log(line);
  const dir = fileURLToPath(new URL('bench/results/', root));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}node-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ page: 'node', query: args.toString(), date: new Date().toISOString(), ...result }, null, 1));
  console.log(`results: ${file}`);
  return 0;
}

// Dawn keeps the process alive: exit explicitly.
main().then((code) => process.exit(code), (e: unknown) => { console.error(e); process.exit(1); });
