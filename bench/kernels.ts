/**
 * Kernel bench, run in the page (headless Chromium via bench/run-kernels.mjs, or opened by hand from
 * `npm run dev` at /bench/kernels.html). Each repeat records many dispatches into one submit and is
 * timed by wall clock around submit + onSubmittedWorkDone; we report the median of the repeats.
 * Every variant is first checked against a JS reference on the same data.
 */
import { acquireGpu } from '../workers/backend/webgpu/device';
import { GpuRuntime, type GpuTensor } from '../workers/backend/webgpu/gpuRuntime';
import { type MatmulVariant, gemmTileRows, matmul } from '../workers/backend/webgpu/kernels/matmul';
import { narrowToF16, f16ToF32 } from '../workers/backend/f16';
import './pageResult';

export interface BenchRow {
  name: string;
  variant: string;
  /** Median milliseconds per dispatch (or per round trip). */
  ms: number;
  /** Throughput in `unit`. */
  value: number;
  unit: string;
  /** Max abs error over max |reference|, for kernels with a reference. */
  relErr?: number;
}

interface BenchResult {
  adapter: string;
  rows: BenchRow[];
  error?: string;
}

const out = document.getElementById('out')!;
const log = (line: string) => { out.textContent = out.textContent === 'running…' ? line : `${out.textContent}\n${line}`; console.log(line); };
const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/**
 * Median ms per call of each recorder: `reps` rounds, each submitting `iters` calls of every recorder
 * in turn (one submit per recorder), after one warm-up round. Interleaving the recorders keeps the
 * comparison fair when other processes share the CPU.
 */
async function time(rt: GpuRuntime, reps: number, iters: number, recorders: (() => void)[]): Promise<number[]> {
  const times = recorders.map((): number[] => []);
  for (let r = 0; r <= reps; r++) {
    for (const [i, record] of recorders.entries()) {
      const t0 = performance.now();
      for (let k = 0; k < iters; k++) record();
      rt.flush();
      await rt.device.queue.onSubmittedWorkDone();
      if (r > 0) times[i].push((performance.now() - t0) / iters);
    }
  }
  return times.map(median);
}

async function readF32(rt: GpuRuntime, t: GpuTensor): Promise<Float32Array> {
  return new Float32Array(await rt.readBuffer(t.buffer, t.shape[0] * t.shape[1] * 4));
}

interface Case { M: number; N: number; K: number; f16: boolean }

async function benchMatmul(rt: GpuRuntime, c: Case, variants: MatmulVariant[], reps: number, iters: number, rows: BenchRow[], gemm: boolean) {
  const { M, N, K, f16 } = c;
  const xs = random(M * K, 1), ws = random(N * K, 2);
  const halves = f16 ? narrowToF16(ws) : null;
  const wEff = halves ? Float32Array.from(halves, f16ToF32) : ws;
  const ref = new Float32Array(M * N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += xs[m * K + k] * wEff[n * K + k];
    ref[m * N + n] = s;
  }
  const x = rt.uploadTensor(xs, [M, K], 'f32');
  const w = halves ? rt.uploadTensor(halves, [N, K], 'f16') : rt.uploadTensor(ws, [N, K], 'f32');
  const name = `${gemm ? 'GEMM' : 'GEMV'} ${M}×${N}×${K} ${f16 ? 'f16' : 'f32'}`;
  const errs: number[] = [];
  for (const variant of variants) {
    const y = matmul(rt, x, w, undefined, variant);
    const got = await readF32(rt, y);
    rt.release(y);
    let maxAbs = 0, scale = 1e-30;
    for (let i = 0; i < ref.length; i++) { maxAbs = Math.max(maxAbs, Math.abs(got[i] - ref[i])); scale = Math.max(scale, Math.abs(ref[i])); }
    errs.push(maxAbs / scale);
  }
  const ms = await time(rt, reps, iters, variants.map((v) => () => rt.release(matmul(rt, x, w, undefined, v))));
  variants.forEach((variant, i) => {
    const row: BenchRow = gemm
      ? { name, variant, ms: ms[i], value: (2 * M * N * K) / ms[i] / 1e6, unit: 'GFLOP/s', relErr: errs[i] }
      : { name, variant, ms: ms[i], value: (N * K * (f16 ? 2 : 4)) / ms[i] / 1e6, unit: 'GB/s', relErr: errs[i] };
    rows.push(row);
    log(`${row.name.padEnd(24)} ${row.variant.padEnd(12)} ${row.ms.toFixed(3).padStart(9)} ms ${row.value.toFixed(2).padStart(8)} ${row.unit}  err ${errs[i].toExponential(1)}`);
  });
  rt.release(x);
  rt.release(w);
}

/**
 * One layer of the shipped target's matmuls (wqkv 1152×384, wo 384×384, w13 2048×384, w2 384×1024, f32 as on
 * CPU-emulated adapters) at the row counts a verification forward has (M = 2 × tokens under CFG), for each GEMM tile
 * height: the table `gemmTileRows` is chosen from. ms per layer.
 */
async function benchTargetLayer(rt: GpuRuntime, reps: number, rows: BenchRow[]) {
  const shapes = [[1152, 384], [384, 384], [2048, 384], [384, 1024]];
  const weights = shapes.map(([N, K], i) => rt.uploadTensor(random(N * K, 10 + i), [N, K], 'f32'));
  for (const M of [2, 4, 6, 8, 10, 12, 16, 18]) {
    const xs = shapes.map(([, K], i) => rt.uploadTensor(random(M * K, 20 + i), [M, K], 'f32'));
    const tiles = [2, 4, 6, 8].filter((t) => t <= M + 2 && (t > 2 || M <= 4));
    const ms = await time(rt, reps, 4, tiles.map((t) => () => weights.forEach((w, i) => rt.release(matmul(rt, xs[i], w, undefined, 'gemm', t)))));
    const flops = shapes.reduce((a, [N, K]) => a + 2 * M * N * K, 0);
    tiles.forEach((t, i) => {
      const row: BenchRow = { name: `target layer M=${M}`, variant: `gemm ${t}×8${t === gemmTileRows(M) ? ' (auto)' : ''}`, ms: ms[i], value: flops / ms[i] / 1e6, unit: 'GFLOP/s' };
      rows.push(row);
      log(`${row.name.padEnd(24)} ${row.variant.padEnd(16)} ${row.ms.toFixed(3).padStart(9)} ms ${row.value.toFixed(2).padStart(8)} ${row.unit}`);
    });
    xs.forEach((x) => rt.release(x));
  }
  weights.forEach((w) => rt.release(w));
}

async function main(): Promise<BenchResult> {
  const got = await acquireGpu(navigator.gpu);
  if ('reason' in got) return { adapter: 'none', rows: [], error: got.reason };
  const a = got.capabilities.adapter;
  const adapter = `${a.vendor} ${a.architecture} ${a.description}${a.isFallbackAdapter ? ' (fallback)' : ''}`.trim();
  log(`adapter: ${adapter}; subgroups: ${got.capabilities.features.subgroups}`);
  // A kernel that fails validation would time an empty dispatch: fail the run instead.
  const errors: string[] = [];
  got.device.addEventListener('uncapturederror', (e) => errors.push((e as GPUUncapturedErrorEvent).error.message));
  const rt = new GpuRuntime(got.device);
  const rows: BenchRow[] = [];
  const params = new URLSearchParams(location.search);
  const reps = Number(params.get('reps') ?? 5);
  if (params.get('only') === 'layer') {
    await benchTargetLayer(rt, reps, rows);
    rt.destroy();
    return { adapter, rows, error: errors.join('\n') || undefined };
  }

  // GEMV: weight bytes streamed per second. GEMM: 2·M·N·K flops per second.
  for (const M of [1, 2]) for (const f16 of [false, true]) {
    await benchMatmul(rt, { M, N: 4096, K: 4096, f16 }, ['gemv-naive', 'gemv'], reps, 4, rows, false);
  }
  for (const M of [8, 16]) for (const f16 of [false, true]) {
    await benchMatmul(rt, { M, N: 1024, K: 1024, f16 }, ['gemv-naive', 'gemm-scalar', 'gemm'], reps, 4, rows, true);
  }
  await benchTargetLayer(rt, reps, rows);

  // Dispatch overhead: many tiny GEMVs (1×4×4) in one submit.
  const x = rt.uploadTensor(random(4, 3), [1, 4], 'f32');
  const w = rt.uploadTensor(random(16, 4), [4, 4], 'f32');
  const [dispatchMs] = await time(rt, reps, 500, [() => rt.release(matmul(rt, x, w))]);
  rows.push({ name: 'tiny dispatch (1×4×4)', variant: 'auto', ms: dispatchMs, value: dispatchMs * 1000, unit: 'µs/dispatch' });
  log(`tiny dispatch: ${(dispatchMs * 1000).toFixed(1)} µs`);

  // Awaited readback round trip: one tiny dispatch, submit, map 16 bytes back.
  const trips: number[] = [];
  for (let i = 0; i < 5 + reps * 4; i++) {
    const t0 = performance.now();
    const y = matmul(rt, x, w);
    await readF32(rt, y);
    rt.release(y);
    if (i >= 5) trips.push(performance.now() - t0);
  }
  const trip = median(trips);
  rows.push({ name: 'readback round trip', variant: 'auto', ms: trip, value: trip, unit: 'ms' });
  log(`readback round trip: ${trip.toFixed(2)} ms`);
  rt.destroy();
  const bad = rows.filter((r) => r.relErr !== undefined && !(r.relErr <= 1e-4)).map((r) => `${r.name} ${r.variant}: rel err ${r.relErr}`);
  const error = [...errors, ...bad].join('\n') || undefined;
  return { adapter, rows, error };
}

main()
  .catch((e: unknown): BenchResult => ({ adapter: 'unknown', rows: [], error: String((e as Error)?.stack ?? e) }))
  .then((r) => {
    if (r.error) log(`error: ${r.error}`);
    const table = r.rows.map((row) => ({
      kernel: row.name,
      variant: row.variant,
      'ms (median)': Number(row.ms.toFixed(3)),
      value: Number(row.value.toFixed(2)),
      unit: row.unit,
      'rel err': row.relErr === undefined ? '' : row.relErr.toExponential(1),
    }));
    window.benchResult = { adapter: r.adapter, table, error: r.error, data: r.rows };
  });
