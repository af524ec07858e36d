/** Model download progress (sizes in MB) while the engine loads, from the worker's load events. */
import { formatMB } from '../format';
import { useHawk } from '../store';

export function LoadProgress() {
  const load = useHawk((s) => s.load);
  if (!load.active) return null;
  const files = Object.values(load.files);
  const loaded = files.reduce((a, f) => a + f.loaded, 0);
  const total = files.reduce((a, f) => a + f.total, 0);
  const cached = files.filter((f) => f.fromCache).length;
  return (
    <div className="load" data-testid="load-progress">
      <label htmlFor="load-bar">
        {files.length === 0
          ? 'Preparing the models…'
          : `Loading models: ${formatMB(loaded)} of ${formatMB(total)} (${files.length} file${files.length > 1 ? 's' : ''}${cached ? `, ${cached} from cache` : ''})`}
      </label>
      {/* Without a total yet the bar is indeterminate rather than stuck at 0. */}
      <progress id="load-bar" max={total || undefined} value={total ? loaded : undefined} />
    </div>
  );
}
