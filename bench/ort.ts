/**
 * Per-token latency of plain AR decoding of the target: our engine (TargetModel + GuidedTarget on
 * WebGpuBackend) vs onnxruntime-web's WebGPU EP running the same weights exported as one ONNX decode
 * step with a KV cache (training/export_onnx_target.py -> bench/.cache/target_step.onnx).
 *
 * Both run classifier-free guidance as a batch of 2 (cond + uncond) with the same prefix vectors
 * (seeded random, P of them, cond and uncond different) and the same fixed token sequence, so every
 * step computes the same thing; the guided logits (uncond + s·(cond − uncond), s = 3) of the first
 * round are compared step by step. A step is timed from the call until its logits are on the host.
 * ORT runs in two variants: present K/V kept on the GPU (`preferredOutputLocation: 'gpu-buffer'`, fed
 * back as the next past) and K/V round-tripping through the CPU. Rounds interleave the engines.
 *
 * Query: n (decode steps per round, default 32), rounds (default 3), kv (gpu|cpu|both, default both),
 * probe=1 (ORT diagnostics only, no comparison: step time against batch 2/8/32 at a fixed past, and
 * per-step times of two repeated rounds, which show whether steps compile shaders).
 */
import * as ort from 'onnxruntime-web';
import jsepWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import { acquireGpu } from '../workers/backend/webgpu/device';
import { WebGpuBackend } from '../workers/backend/webgpu/webgpuBackend';
import { f16ToF32 } from '../workers/backend/f16';
import { parseSafetensors } from '../workers/model/safetensors';
import { TargetModel, type TargetConfig, uploadTargetWeights } from '../workers/model/target';
import { GuidedTarget } from '../workers/decoding/guidedTarget';
import { guideRow } from '../workers/decoding/logitsProcessing';
import { targetConfigOf } from '../workers/engine/modelConfig';
import { type PageResult, describeAdapter } from './pageResult';

ort.env.wasm.wasmPaths = { wasm: jsepWasmUrl };
ort.env.wasm.numThreads = 1;

const MODEL_DIR = '/models/hawk-emoji/';
const ONNX_URL = '/bench/.cache/target_step.onnx';
/** Guidance without the plausibility cut: the parity check compares logits, and a cut token on one side only would swamp it. */
const GUIDANCE = { scale: 3, plausibility: 0 };

const out = document.getElementById('out')!;
const log = (line: string) => { out.textContent = out.textContent === 'running…' ? line : `${out.textContent}\n${line}`; console.log(line); };
const quantile = (a: number[], q: number) => [...a].sort((p, r) => p - r)[Math.min(a.length - 1, Math.floor(q * a.length))];
const median = (a: number[]) => quantile(a, 0.5);

const params = new URLSearchParams(location.search);
const N = Number(params.get('n') ?? 32);
const rounds = Number(params.get('rounds') ?? 3);
const kvModes = (params.get('kv') ?? 'both') === 'both' ? ['gpu', 'cpu'] as const : [params.get('kv') as 'gpu' | 'cpu'];

function random(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 31 - 1) * scale;
  });
}

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}${url === ONNX_URL ? ' (run `python -m training.export_onnx_target` first)' : ''}`);
  return r.arrayBuffer();
}

function guidedOf(pair: Float32Array, vocab: number): Float32Array {
  return guideRow(pair.subarray(0, vocab), pair.subarray(vocab, 2 * vocab), GUIDANCE);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The inputs both engines see: prefix vectors `[2][P·dim]` (cond, uncond) and image tokens 0…N−1. */
interface Workload {
  cfg: TargetConfig;
  prefix: [Float32Array, Float32Array];
  tokens: number[];
  /** tok_emb rows of `tokens`, widened from f16 (what the engine gathers on the GPU). */
  emb: Float32Array[];
}

/** onnxruntime-web on the exported decode step; K/V either stay on the GPU or go through the CPU. */
class OrtRunner {
  private pastK!: ort.Tensor;
  private pastV!: ort.Tensor;

  private constructor(readonly session: ort.InferenceSession, readonly kv: 'gpu' | 'cpu', readonly w: Workload) {}

  static async create(model: Uint8Array, kv: 'gpu' | 'cpu', w: Workload): Promise<OrtRunner> {
    const session = await ort.InferenceSession.create(model, {
      executionProviders: ['webgpu'],
      graphOptimizationLevel: 'all',
      ...(kv === 'gpu' ? { preferredOutputLocation: { logits: 'cpu', present_k: 'gpu-buffer', present_v: 'gpu-buffer' } as const } : {}),
    });
    return new OrtRunner(session, kv, w);
  }

  private reset(): void {
    const c = this.w.cfg;
    const empty = () => new ort.Tensor('float32', new Float32Array(0), [c.nLayers, 2, c.nHeads, 0, c.dim / c.nHeads]);
    this.pastK = empty();
    this.pastV = empty();
  }

  /** One position for both sequences: x `[2·dim]` (cond row, uncond row) at (row, col) -> logits `[2·vocab]`. */
  async step(x: Float32Array, row: number, col: number): Promise<Float32Array> {
    const c = this.w.cfg;
    const feeds = {
      x: new ort.Tensor('float32', x, [2, 1, c.dim]),
      pos: new ort.Tensor('float32', Float32Array.from([row, col]), [2]),
      past_k: this.pastK,
      past_v: this.pastV,
    };
    const res = await this.session.run(feeds);
    const logits = (await res.logits.getData()) as Float32Array;
    if (this.kv === 'gpu') { this.pastK.dispose(); this.pastV.dispose(); }
    this.pastK = res.present_k;
    this.pastV = res.present_v;
    return logits;
  }

  /** Prefill (P single-position steps from an empty past), then N timed decode steps; guided logits per step. */
  async round(): Promise<{ ms: number[]; logits: Float32Array[] }> {
    const { cfg, prefix, emb } = this.w;
    const C = cfg.dim, P = cfg.prefixLen;
    this.reset();
    const logits: Float32Array[] = [];
    let last!: Float32Array;
    for (let s = 0; s < P; s++) {
      const x = new Float32Array(2 * C);
      x.set(prefix[0].subarray(s * C, (s + 1) * C), 0);
      x.set(prefix[1].subarray(s * C, (s + 1) * C), C);
      last = await this.step(x, 0, 0);
    }
    logits.push(guidedOf(last, cfg.vocab));
    const ms: number[] = [];
    for (let i = 0; i < emb.length; i++) {
      const t0 = performance.now();
      const x = new Float32Array(2 * C);
      x.set(emb[i], 0);
      x.set(emb[i], C);
      const l = await this.step(x, Math.floor(i / cfg.grid), i % cfg.grid);
      ms.push(performance.now() - t0);
      logits.push(guidedOf(l, cfg.vocab));
    }
    if (this.kv === 'gpu') { this.pastK.dispose(); this.pastV.dispose(); }
    return { ms, logits };
  }
}

/** Our engine: one batched prefill of the P prefix rows, then N `score` calls of one token each. */
async function oursRound(guided: GuidedTarget, backend: WebGpuBackend, w: Workload): Promise<{ ms: number[]; logits: Float32Array[] }> {
  const { cfg, prefix, tokens } = w;
  const P = cfg.prefixLen;
  const pc = backend.upload(prefix[0], [P, cfg.dim]), pu = backend.upload(prefix[1], [P, cfg.dim]);
  const pre = await guided.prefill(pc, pu);
  backend.release(pre.hidden);
  backend.release(pc);
  backend.release(pu);
  const logits = [pre.logits.slice()];
  const ms: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t0 = performance.now();
    const r = await guided.score([tokens[i]], [i], P + i, () => true);
    backend.release(r.hidden);
    ms.push(performance.now() - t0);
    logits.push(new Float32Array(r.logits));
  }
  return { ms, logits };
}

/** `probe=1`: ORT diagnostics (see the header). */
async function probe(runner: OrtRunner): Promise<string[]> {
  const lines: string[] = [];
  // Step time against the batch at a fixed past length (zeros, from the CPU): how much of a step is
  // per-row work and how much is fixed per-step cost.
  const c = runner.w.cfg, past = 16;
  for (const B of [2, 8, 32]) {
    const kv = () => new ort.Tensor('float32', new Float32Array(c.nLayers * B * c.dim * past), [c.nLayers, B, c.nHeads, past, c.dim / c.nHeads]);
    const times: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const feeds = { x: new ort.Tensor('float32', random(B * c.dim, 3), [B, 1, c.dim]), pos: new ort.Tensor('float32', Float32Array.from([1, 2]), [2]), past_k: kv(), past_v: kv() };
      const t0 = performance.now();
      const res = await runner.session.run(feeds);
      await res.logits.getData();
      times.push(performance.now() - t0);
      for (const t of Object.values(res)) t.dispose();
    }
    lines.push(`probe B=${B}, past ${past}: step ms ${times.map((m) => m.toFixed(0)).join(' ')}`);
    log(lines[lines.length - 1]);
  }
  // Two identical rounds: the same shapes twice, so a step that compiles shaders is slower the first time only.
  for (let rep = 0; rep < 2; rep++) {
    const r = await runner.round();
    lines.push(`probe round ${rep}: step ms ${r.ms.map((m) => m.toFixed(0)).join(' ')}`);
    log(lines[lines.length - 1]);
  }
  return lines;
}

async function main(): Promise<PageResult> {
  const manifest = JSON.parse(new TextDecoder().decode(await fetchBytes(`${MODEL_DIR}manifest.json`))) as Record<string, unknown>;
  const cfg = targetConfigOf(manifest);
  const weightsFile = String((manifest.target as Record<string, unknown>).weights);
  const [weightBytes, onnxBytes] = await Promise.all([fetchBytes(MODEL_DIR + weightsFile), fetchBytes(ONNX_URL)]);
  const raw = parseSafetensors(weightBytes);
  if (N + cfg.prefixLen > cfg.prefixLen + cfg.grid ** 2) throw new Error(`n=${N} runs past the grid`);

  // Same inputs for both engines.
  const tokens = Array.from({ length: N }, (_, i) => (i * 131 + 7) % cfg.vocab);
  const tokEmb = raw.get('tok_emb.weight')!;
  const emb = tokens.map((t) => {
    const row = tokEmb.data.subarray(t * cfg.dim, (t + 1) * cfg.dim);
    return tokEmb.dtype === 'F16' ? Float32Array.from(row as Uint16Array, f16ToF32) : Float32Array.from(row);
  });
  const w: Workload = { cfg, tokens, emb, prefix: [random(cfg.prefixLen * cfg.dim, 1, 0.5), random(cfg.prefixLen * cfg.dim, 2, 0.5)] };

  // Ours.
  const got = await acquireGpu(navigator.gpu);
  if ('reason' in got) throw new Error(got.reason);
  const adapter = describeAdapter(got.capabilities.adapter);
  log(`adapter: ${adapter}`);
  const backend = WebGpuBackend.forAdapter(got.device, got.capabilities); // as the app does
  const model = new TargetModel(backend, cfg, uploadTargetWeights(backend, cfg, raw));
  const guided = new GuidedTarget(model, GUIDANCE);
  const oursWeights = backend.widenWeights ? 'f32 (f16 file widened at upload)' : 'f16 packed in u32';

  // ORT.
  const runners: OrtRunner[] = [];
  const lines: string[] = [];
  for (const kv of kvModes) {
    try {
      runners.push(await OrtRunner.create(new Uint8Array(onnxBytes), kv, w));
    } catch (e) {
      lines.push(`ORT session with KV ${kv} failed: ${(e as Error).message}`);
      log(lines[lines.length - 1]);
    }
  }
  if (!runners.length) throw new Error(lines.join('; '));
  if (params.get('probe')) {
    lines.push(...(await probe(runners[0])));
    return { adapter, table: [], lines };
  }
  let ortAdapter = 'unknown';
  try {
    const dev = await ort.env.webgpu.device;
    const info = (dev as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    if (info) ortAdapter = `${info.vendor} ${info.architecture} ${info.description}`.trim();
  } catch { /* older ort: no device getter */ }
  log(`ORT ${ort.env.versions.web ?? ''}, executionProviders ['webgpu'] (no wasm fallback listed), ORT's device: ${ortAdapter}`);

  type Engine = { name: string; run: () => Promise<{ ms: number[]; logits: Float32Array[] }> };
  const engines: Engine[] = [
    ...runners.map((r): Engine => ({ name: `ORT webgpu, KV ${r.kv === 'gpu' ? 'gpu-buffer' : 'CPU round trip'}`, run: () => r.round() })),
    { name: 'ours (WGSL)', run: () => oursRound(guided, backend, w) },
  ];
  // Warm-up (pipelines compile on first use); its logits give the parity check.
  const first = new Map<string, Float32Array[]>();
  for (const e of engines) {
    try {
      first.set(e.name, (await e.run()).logits);
      log(`warm-up ${e.name}: done`);
    } catch (err) {
      lines.push(`${e.name} failed in warm-up: ${(err as Error).message}`);
      log(lines[lines.length - 1]);
    }
  }
  const live = engines.filter((e) => first.has(e.name));
  const oursLogits = first.get('ours (WGSL)');
  if (!oursLogits) throw new Error(lines.join('; '));
  const parity: Record<string, number[]> = {};
  for (const e of live) {
    if (e.name === 'ours (WGSL)') continue;
    const theirs = first.get(e.name)!;
    parity[e.name] = theirs.map((l, i) => maxAbsDiff(l, oursLogits[i]));
    const d = parity[e.name], worst = Math.max(...d), scale = Math.max(...oursLogits[1].map(Math.abs));
    lines.push(`parity ${e.name} vs ours, guided logits (s=${GUIDANCE.scale}): prefill ${d[0].toExponential(2)}, first decode step ${d[1].toExponential(2)}, max over ${d.length} steps ${worst.toExponential(2)} (max |logit| ${scale.toFixed(2)})`);
    log(lines[lines.length - 1]);
    // Timing a different model would compare nothing: a graph exported from other weights (a stale bench/.cache after
    // the target was re-exported) once gave differences of the logits' own size.
    if (!(worst <= 1e-2 * scale)) {
      throw new Error(`${e.name} does not compute the shipped target (guided logits differ by up to ${worst.toExponential(2)}): ` +
        'run `python -m training.export_onnx_target` to rebuild bench/.cache/target_step.onnx');
    }
  }

  const ms = new Map<string, number[]>(live.map((e) => [e.name, []]));
  const perRound: { engine: string; round: number; medianMs: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? live : [...live].reverse();
    for (const e of order) {
      const res = await e.run();
      ms.get(e.name)!.push(...res.ms);
      perRound.push({ engine: e.name, round: r, medianMs: median(res.ms) });
      log(`round ${r} ${e.name}: median ${median(res.ms).toFixed(2)} ms/token over ${res.ms.length} steps`);
    }
  }
  const oursMs = median(ms.get('ours (WGSL)')!);
  const table = live.map((e) => {
    const m = ms.get(e.name)!;
    return {
      engine: e.name,
      steps: m.length,
      'ms/token (median)': Number(median(m).toFixed(2)),
      'p10': Number(quantile(m, 0.1).toFixed(2)),
      'p90': Number(quantile(m, 0.9).toFixed(2)),
      'ours / this': Number((oursMs / median(m)).toFixed(3)),
    };
  });
  lines.unshift(
    `B=2 (cond + uncond), P=${cfg.prefixLen} prefix positions prefilled, then ${N} decode steps per round (past ${cfg.prefixLen}…${cfg.prefixLen + N - 1}), ${rounds} interleaved rounds after a warm-up`,
    `ORT: onnxruntime-web ${ort.env.versions.web ?? '?'}, EP webgpu (jsep build), f32 weights, graph ${ONNX_URL}; ours: WebGpuBackend, weights ${oursWeights}`,
    'a step: host input -> logits on the host (ORT: x is the tok_emb row gathered in JS; ours: the id, gathered on the GPU)',
  );
  return { adapter, table, lines, data: { perRound, ms: Object.fromEntries(ms), parity, tokens } };
}

main()
  .catch((e: unknown): PageResult => ({ adapter: 'unknown', table: [], error: String((e as Error)?.stack ?? e) }))
  .then((r) => {
    if (r.error) log(`error: ${r.error}`);
    window.benchResult = r;
  });
