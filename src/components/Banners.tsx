/** Messages that stay up: no WebGPU (CPU backend), and a worker that crashed and was restarted. */
import { useHawk } from '../store';

export function Banners() {
  const capabilities = useHawk((s) => s.capabilities);
  const banner = useHawk((s) => s.banner);
  const set = useHawk((s) => s.set);
  const chosen = useHawk((s) => s.prefs.backend);
  return (
    <>
      {capabilities?.backend === 'cpu' && (
        <p className="banner warn" data-testid="cpu-banner">
          {chosen === 'cpu'
            ? 'CPU backend selected in settings: running on the CPU backend, slower.'
            : `WebGPU is not available here (${capabilities.reason}): running on the CPU backend, slower.`}
        </p>
      )}
      {banner && (
        <div className="banner error-banner" role="alert" data-testid="engine-banner">
          <span>{banner}</span>
          <button type="button" className="small" onClick={() => set({ banner: null })}>Dismiss</button>
        </div>
      )}
    </>
  );
}
