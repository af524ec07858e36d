import type { GpuCapabilities } from '../src/types';

/** An adapter as the benchmark results name it: vendor, architecture, description, and whether it is a fallback. */
export function describeAdapter(a: GpuCapabilities['adapter']): string {
  return [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') + (a.isFallbackAdapter ? ' (fallback adapter)' : '');
}

/** What a benchmark page leaves in `window.benchResult` for bench/run-page.mjs to print and save. */
export interface PageResult {
  adapter: string;
  /** Printed with console.table. */
  table: Record<string, string | number>[];
  /** Printed after the table. */
  lines?: string[];
  /** Set when the run failed: the runner exits non-zero. */
  error?: string;
  /** Raw measurements, saved to bench/results/. */
  data?: unknown;
}

declare global {
  interface Window { benchResult?: PageResult }
}
