// What one decoding step costs in a sweep result's config summary (bench/sweep.ts statsOf), shared by the README
// writers (bench/report.mjs for the browser benchmark, bench/report-gpu.mjs for the Node runs on a GPU machine).

/** Median ms per image over median target forwards per image: what one decoding step costs. */
export const msPerForward = (c) => c.msMedian / c.forwardsMedian;

/** Speed-up at full acceptance (n + 1 tokens per forward) at this config's cost per step; '–' for plain AR. */
export function ceiling(c, arMsPerForward) {
  const n = /^[nra](\d+)v/.exec(c.config)?.[1];
  return n === undefined ? '–' : (((Number(n) + 1) * arMsPerForward) / msPerForward(c)).toFixed(2);
}
