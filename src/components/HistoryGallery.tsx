/** Recent results (kept in localStorage); clicking one restores its prompt and settings. */
import { formatMs, formatTime } from '../format';
import { type HistoryEntry, decodeSources } from '../history';
import { useHawk } from '../store';
import { SourceOverlay } from './SourceOverlay';

function keySettings(h: HistoryEntry): string {
  const s = h.settings;
  return `${s.n === 0 ? 'plain AR' : `n ${s.n}`} · seed ${s.seed} · T ${s.temperature} · CFG ${s.cfgScale}${s.plausibility ? ` · cut ${s.plausibility}` : ''}`;
}

export function HistoryGallery() {
  const history = useHawk((s) => s.history);
  const busy = useHawk((s) => s.busy);
  const overlay = useHawk((s) => s.prefs.overlay);
  const { setPrompt, setSettings, clearHistory } = useHawk.getState();
  if (!history.length) return null;

  function restore(h: HistoryEntry) {
    setPrompt(h.prompt);
    setSettings(h.settings);
    document.getElementById('prompt')?.focus();
  }

  return (
    <section className="history" aria-labelledby="history-title">
      <div className="section-head">
        <h2 id="history-title">History</h2>
        <button type="button" className="secondary small" onClick={clearHistory}>Clear</button>
      </div>
      <ul className="gallery" data-testid="history">
        {history.map((h) => (
          <li key={h.id}>
            {/* The accessible name avoids the word "prompt", which the tests use to find the prompt box. */}
            <button type="button" className="history-item" data-testid="history-item" disabled={busy} onClick={() => restore(h)} title="Restore this text and these settings">
              <span className="thumb">
                <img src={h.thumbnail} alt="" width={64} height={64} />
                {overlay && <SourceOverlay sources={decodeSources(h.sources)} />}
              </span>
              <span className="history-text">
                <span className="history-prompt">{h.prompt}</span>
                <span className="muted">{keySettings(h)}</span>
                <span className="muted">{formatMs(h.totalMs)} · {h.tokensPerForward.toFixed(2)} tok/fwd · {h.backend} · {formatTime(h.createdAt)}</span>
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
