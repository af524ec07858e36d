/** Acceptance rate by draft position (1 = first drafted token after the committed prefix), as bars. */
import { formatPercent } from '../format';

interface Props {
  accepted: readonly number[];
  drafted: readonly number[];
  /** True while the run is going: the counts of the steps so far. */
  live: boolean;
}

const W = 240, H = 80, PAD = 14;

export function AcceptanceChart({ accepted, drafted, live }: Props) {
  const depths = drafted.map((d, i) => ({ depth: i + 1, rate: d > 0 ? (accepted[i] ?? 0) / d : 0, drafted: d })).filter((x) => x.drafted > 0);
  if (!depths.length) return null;
  const bw = (W - PAD) / depths.length;
  const summary = depths.map((x) => `position ${x.depth}: ${formatPercent(x.rate)}`).join(', ');
  return (
    <figure className="chart" data-testid="acceptance-chart">
      <svg viewBox={`0 0 ${W} ${H + PAD}`} role="img" aria-label={`Acceptance by draft position${live ? ' (so far)' : ''}: ${summary}`}>
        <line x1={PAD} y1={H} x2={W} y2={H} stroke="#999" />
        {depths.map((x, i) => {
          const h = Math.max(1, x.rate * (H - 12));
          return (
            <g key={x.depth}>
              <rect x={PAD + i * bw + 2} y={H - h} width={bw - 4} height={h} fill="#1f77ff">
                <title>{`position ${x.depth}: ${formatPercent(x.rate)} of ${x.drafted}`}</title>
              </rect>
              <text x={PAD + i * bw + bw / 2} y={H - h - 2} textAnchor="middle" fontSize="9">{Math.round(x.rate * 100)}</text>
              <text x={PAD + i * bw + bw / 2} y={H + 11} textAnchor="middle" fontSize="9">{x.depth}</text>
            </g>
          );
        })}
      </svg>
      <figcaption>Acceptance (%) by draft position{live ? ' — so far' : ''}</figcaption>
    </figure>
  );
}
