/**
 * Acceptance by draft position, added up from step events: the worker's summary and the page's
 * live chart count the same way, so the chart during a run ends on the summary's numbers.
 */
import type { StepEvent } from './types';

/** accepted[d] of drafted[d] proposals at draft position d + 1 were accepted. */
export interface DepthCounts {
  accepted: number[];
  drafted: number[];
}

export const NO_DEPTHS: DepthCounts = { accepted: [], drafted: [] };

/** The counts after one more step (new arrays: the page's store compares by identity). */
export function addStepDepths(counts: DepthCounts, step: Pick<StepEvent, 'n' | 'acceptedDepths'>): DepthCounts {
  const accepted = [...counts.accepted], drafted = [...counts.drafted];
  for (let d = 0; d < step.n; d++) {
    drafted[d] = (drafted[d] ?? 0) + 1;
    accepted[d] ??= 0;
  }
  for (const depth of step.acceptedDepths) accepted[depth - 1] = (accepted[depth - 1] ?? 0) + 1;
  return { accepted, drafted };
}
