/** What the overlay's colours mean, with how many tokens each source produced. */
import type { TokenSource } from '../types';
import { SOURCE_COLORS, SOURCE_LABELS } from './sourceColors';

export function SourceLegend({ sources }: { sources: readonly (TokenSource | null)[] }) {
  const count = (k: TokenSource) => sources.filter((s) => s === k).length;
  return (
    <ul className="legend" data-testid="source-legend">
      {(Object.keys(SOURCE_COLORS) as TokenSource[]).map((k) => (
        <li key={k}>
          <span className="swatch" style={{ background: SOURCE_COLORS[k] }} aria-hidden="true" />
          {SOURCE_LABELS[k]}: {count(k)}
        </li>
      ))}
    </ul>
  );
}
