/** The page: prompt box, Generate, canvas, status line, and a diagnostics panel for the GPU. */
import { useEffect, useRef } from 'react';
import { Comlink, type Engine, startEngine } from './engineClient';
import { validatePrompt } from './prompt';
import { useHawk } from './store';
import type { Capabilities, EngineNotice } from './types';

/** Image size in pixels the models produce (16×16 tokens of 4×4 pixels). */
const IMAGE_PX = 64;

let engine: Engine | null = null;
function getEngine(): Engine {
  if (!engine) {
    engine = startEngine();
    // The e2e tests reach the worker API directly (device-loss recovery) in development builds.
    if (import.meta.env.DEV) Object.assign(window, { hawkEngine: engine });
  }
  return engine;
}

function describe(c: Capabilities): string {
  if (c.backend === 'cpu') return `CPU backend (slower): ${c.reason}`;
  const a = c.gpu.adapter;
  const name = [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') || 'unknown adapter';
  return `WebGPU on ${name}${a.isFallbackAdapter ? ' (software fallback adapter)' : ''}`;
}

export function App() {
  const { capabilities, prompt, status, busy, error, setPrompt, set } = useHawk();

  useEffect(() => {
    const e = getEngine();
    void e.onNotice(Comlink.proxy((n: EngineNotice) => {
      if (n.kind === 'device-restored') set({ capabilities: n.capabilities, status: `GPU device re-created. ${describe(n.capabilities)}` });
      else set({ status: n.message, error: n.kind === 'device-unrecoverable' ? n.message : null });
    }));
    e.capabilities().then(
      (c) => set({ capabilities: c, status: describe(c) }),
      (err: Error) => set({ error: err.message, status: 'The engine failed to start.' }),
    );
  }, [set]);

  async function generate(event: React.FormEvent) {
    event.preventDefault();
    try {
      validatePrompt(prompt);
    } catch (err) {
      set({ error: (err as Error).message });
      return;
    }
    set({ busy: true, error: null, status: 'Sending the prompt to the engine…' });
    try {
      const r = await getEngine().submitPrompt(prompt);
      set({ status: `The engine (${r.backend}) received “${r.prompt}”.${r.notice ? ` ${r.notice}` : ''}` });
    } catch (err) {
      set({ error: (err as Error).message, status: 'The request failed.' });
    } finally {
      set({ busy: false });
    }
  }

  return (
    <main className="app">
      <header>
        <h1>Hawk</h1>
        <p className="tagline">Text to image on your GPU, sped up by spatially aware speculative decoding.</p>
      </header>
      <form className="prompt" onSubmit={generate}>
        <label htmlFor="prompt">Prompt</label>
        <input id="prompt" value={prompt} onChange={(e) => setPrompt(e.target.value)} placeholder="a red apple, twemoji" autoComplete="off" />
        <button type="submit" disabled={busy}>Generate</button>
      </form>
      {error && <p role="alert" className="error">{error}</p>}
      <ImageCanvas />
      <p className="status" data-testid="status" aria-live="polite">{status}</p>
      <Diagnostics capabilities={capabilities} />
    </main>
  );
}

function ImageCanvas() {
  const ref = useRef<HTMLCanvasElement>(null);
  return <canvas ref={ref} className="image" width={IMAGE_PX} height={IMAGE_PX} aria-label="Generated image" />;
}

function Diagnostics({ capabilities }: { capabilities: Capabilities | null }) {
  const { kernelChecks, set } = useHawk();
  async function selfTest() {
    set({ kernelChecks: [], error: null });
    try {
      const results = [];
      for (const kernel of await getEngine().kernelChecks()) results.push(await getEngine().checkKernel(kernel));
      set({ kernelChecks: results });
    } catch (err) {
      set({ error: `Kernel self-test failed: ${(err as Error).message}` });
    }
  }
  return (
    <details className="diagnostics">
      <summary>GPU diagnostics</summary>
      <p data-testid="backend">{capabilities ? describe(capabilities) : 'probing…'}</p>
      {capabilities?.backend === 'webgpu' && (
        <ul data-testid="features">
          {Object.entries(capabilities.gpu.features).map(([name, on]) => <li key={name}>{name}: {on ? 'yes' : 'no'}</li>)}
          <li>max storage binding: {(capabilities.gpu.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB</li>
        </ul>
      )}
      <button type="button" onClick={selfTest}>Run kernel self-test</button>
      <table data-testid="kernel-checks">
        <tbody>
          {kernelChecks.map((c) => (
            <tr key={c.kernel}><td>{c.kernel}</td><td>{c.backend}</td><td>max |err| {c.maxAbsError.toExponential(2)}</td><td>{c.ms.toFixed(1)} ms</td></tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
