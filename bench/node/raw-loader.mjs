// Node module hook for the Node benchmark driver: Vite's `import text from './file?raw'` (the WGSL
// shaders) becomes a module whose default export is the file's text, as under Vite and Vitest.
import { readFile } from 'node:fs/promises';

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && url.endsWith('?raw')) {
    const text = await readFile(new URL(url.slice(0, -'?raw'.length)), 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  return nextLoad(url, context);
}
