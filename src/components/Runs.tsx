/** The runs of the latest request (one, or plain AR and Hawk side by side), the overlay toggle and the comparison. */
import { useHawk } from '../store';
import { CompareSummary } from './CompareSummary';
import { RunPanel } from './RunPanel';

export function Runs() {
  const runs = useHawk((s) => s.runs);
  const overlay = useHawk((s) => s.prefs.overlay);
  const setPref = useHawk((s) => s.setPref);
  return (
    <section className="runs-section" aria-label="Results">
      <label className="toggle">
        <input type="checkbox" checked={overlay} onChange={(e) => setPref('overlay', e.target.checked)} />
        Show token sources (which tokens each draft guessed)
      </label>
      {runs.length === 0 ? (
        <div className="run placeholder"><div className="canvas-wrap"><canvas className="image" width={64} height={64} aria-label="Generated image" data-testid="run-canvas" /></div></div>
      ) : (
        <div className={`runs${runs.length > 1 ? ' two' : ''}`}>{runs.map((r) => <RunPanel key={r.key} run={r} />)}</div>
      )}
      <CompareSummary />
    </section>
  );
}
