/** One generation on screen: label, streaming canvas with the optional source overlay, stats, download. */
import { type RunView, useHawk } from '../store';
import { DownloadButton } from './DownloadButton';
import { ImageCanvas } from './ImageCanvas';
import { RunStats } from './RunStats';
import { SourceLegend } from './SourceLegend';
import { SourceOverlay } from './SourceOverlay';

const PHASE_TEXT: Record<RunView['phase'], string> = {
  waiting: 'waiting', running: 'generating…', done: 'done', cancelled: 'cancelled', failed: 'failed',
};

export function RunPanel({ run }: { run: RunView }) {
  const overlay = useHawk((s) => s.prefs.overlay);
  // A lone run's error is already the page's alert; side by side, say which run failed.
  const showError = useHawk((s) => s.runs.length > 1) && run.error;
  return (
    <article
      className="run" data-testid={`run-${run.key}`} data-phase={run.phase} data-committed={run.committed}
      data-forwards={run.summary?.targetForwards ?? run.targetForwards} aria-busy={run.phase === 'running'}
    >
      <h3>{run.label} <span className="phase">{PHASE_TEXT[run.phase]}</span></h3>
      <div className="canvas-wrap">
        <ImageCanvas pixels={run.pixels} frame={run.frame} label={`${run.label} image of “${run.prompt}”`} />
        {overlay && <SourceOverlay sources={run.sources} />}
      </div>
      {overlay && <SourceLegend sources={run.sources} />}
      {showError && <p className="error">{run.error}</p>}
      <RunStats run={run} />
      <DownloadButton pixels={run.pixels} prompt={run.prompt} seed={run.settings.seed} disabled={run.frame === 0} />
    </article>
  );
}
