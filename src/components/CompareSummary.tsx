/** Compare mode's result: both times and how much faster Hawk was than plain AR. */
import { formatMs, formatRatio } from '../format';
import { useHawk } from '../store';

export function CompareSummary() {
  const runs = useHawk((s) => s.runs);
  const ar = runs.find((r) => r.key === 'ar')?.summary;
  const hawk = runs.find((r) => r.key === 'hawk')?.summary;
  if (!ar || !hawk) return null;
  const ratio = ar.totalMs / hawk.totalMs;
  return (
    <p className="compare-summary" data-testid="compare-ratio">
      Plain AR {formatMs(ar.totalMs)} ({ar.targetForwards} forwards) · Hawk {formatMs(hawk.totalMs)} ({hawk.targetForwards} forwards) ·{' '}
      <strong>{formatRatio(ratio)} {ratio >= 1 ? 'faster' : 'slower'}</strong>
    </p>
  );
}
