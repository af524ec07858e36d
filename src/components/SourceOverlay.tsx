/** Tints each committed 4×4-pixel token cell by how its token was produced (drawn over the canvas). */
import { GRID } from '../store';
import type { TokenSource } from '../types';
import { SOURCE_COLORS } from './sourceColors';

export function SourceOverlay({ sources }: { sources: readonly (TokenSource | null)[] }) {
  return (
    <svg className="overlay" viewBox={`0 0 ${GRID} ${GRID}`} preserveAspectRatio="none" aria-hidden="true" data-testid="source-overlay">
      {sources.map((s, t) =>
        s ? <rect key={t} x={t % GRID} y={Math.floor(t / GRID)} width={1} height={1} fill={SOURCE_COLORS[s]} /> : null,
      )}
    </svg>
  );
}
