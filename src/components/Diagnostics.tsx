/** GPU diagnostics: the adapter, its features, and the kernel self-test against the CPU oracle. */
import { describeCapabilities, getEngine } from '../engineHost';
import { useHawk } from '../store';

export function Diagnostics() {
  const capabilities = useHawk((s) => s.capabilities);
  const kernelChecks = useHawk((s) => s.kernelChecks);
  const set = useHawk((s) => s.set);
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
      <p data-testid="backend">{capabilities ? describeCapabilities(capabilities) : 'probing…'}</p>
      {capabilities?.backend === 'webgpu' && (
        <ul data-testid="features">
          {Object.entries(capabilities.gpu.features).map(([name, on]) => <li key={name}>{name}: {on ? 'yes' : 'no'}</li>)}
          <li>max storage binding: {(capabilities.gpu.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB</li>
        </ul>
      )}
      <button type="button" onClick={selfTest}>Run kernel self-test</button>
      <div className="table-scroll">
        <table data-testid="kernel-checks">
          <tbody>
            {kernelChecks.map((c) => (
              <tr key={c.kernel}><td>{c.kernel}</td><td>{c.backend}</td><td>max |err| {c.maxAbsError.toExponential(2)}</td><td>{c.ms.toFixed(1)} ms</td></tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
