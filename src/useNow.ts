/** A clock that ticks while `active`, so elapsed times move between (possibly slow) steps. */
import { useEffect, useState } from 'react';

export function useNow(active: boolean, everyMs = 200): number {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    if (!active) return;
    const id = setInterval(() => setNow(performance.now()), everyMs);
    return () => clearInterval(id);
  }, [active, everyMs]);
  return now;
}
