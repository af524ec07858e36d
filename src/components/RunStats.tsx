/** Live statistics of one run: time, throughput, target forwards, acceptance, speed-up over plain AR. */
import { findArBaseline } from '../history';
import { formatMs, formatRatio } from '../format';
import { type RunView, useHawk } from '../store';
import { useNow } from '../useNow';
import { AcceptanceChart } from './AcceptanceChart';

export function RunStats({ run }: { run: RunView }) {
  const history = useHawk((s) => s.history);
  const running = run.phase === 'running';
  const now = useNow(running);
  // Between steps the clock keeps moving; the worker's own elapsed time wins once it is newer.
  const elapsed = running ? Math.max(run.elapsedMs, now - run.startedAt) : run.elapsedMs;
  const s = run.summary;
  const tokens = s ? s.tokens.length : run.committed;
  const forwards = s ? s.targetForwards : run.targetForwards;
  const perForward = s ? s.tokensPerForward : forwards > 0 ? tokens / forwards : 0;

  // The baseline must not be this very run (history gets it as soon as it finishes).
  const baseline = s && s.settings.n > 0 ? findArBaseline(history, { prompt: s.prompt, settings: s.settings, backend: s.backend }) : null;
  const live = run.phase !== 'done';
  if (run.phase === 'waiting') return <p className="muted">Waiting for the {run.key === 'hawk' ? 'plain-AR run' : 'models'}…</p>;

  return (
    <div className="stats" data-testid="stats">
      <dl>
        <dt>Elapsed</dt><dd data-testid="stat-elapsed">{formatMs(elapsed)}</dd>
        <dt>Tokens</dt><dd data-testid="stat-tokens">{tokens} / 256</dd>
        <dt>Tokens/s</dt><dd data-testid="stat-tps">{elapsed > 0 ? (tokens / (elapsed / 1000)).toFixed(1) : '—'}</dd>
        <dt>Target forwards</dt><dd data-testid="stat-forwards">{forwards}</dd>
        <dt>Tokens per forward</dt><dd data-testid="stat-tpf">{perForward ? perForward.toFixed(2) : '—'}</dd>
        {baseline && s && (
          <>
            <dt>Speed-up vs plain AR</dt>
            <dd data-testid="stat-speedup" title={`Plain AR took ${formatMs(baseline.totalMs)} for the same prompt, seed and sampling on ${baseline.backend}.`}>
              {formatRatio(baseline.totalMs / s.totalMs)}
            </dd>
          </>
        )}
      </dl>
      {run.settings.n > 0 && (
        <AcceptanceChart accepted={s ? s.acceptedByDepth : run.depths.accepted} drafted={s ? s.draftedByDepth : run.depths.drafted} live={live} />
      )}
    </div>
  );
}
