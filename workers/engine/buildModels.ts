/**
 * Builds the generation models (text encoder, target, drafts, relaxed-acceptance neighbourhoods) on
 * a backend from verified model files. Shared by the worker engine and the Node benchmark driver
 * (bench/node-bench.ts), which runs the same models without a browser.
 */
import type { Backend } from '../backend/backend';
import { latentNeighbourhoods } from '../decoding/acceptance';
import type { LoadedModel } from '../loading/modelStore';
import { DraftModel, uploadDraftWeights } from '../model/draft';
import { parseSafetensors } from '../model/safetensors';
import { TargetModel, uploadTargetWeights } from '../model/target';
import { TextEncoder, WordTokenizer, uploadTextWeights } from '../model/textEncoder';
import type { LoadedModels } from './generation';
import { draftEntriesOf, targetConfigOf } from './modelConfig';

export const VQ_DECODER = '../vq/decoder.onnx';
export const VQ_CODEBOOK = '../vq/codebook.safetensors';
/**
 * Relaxed acceptance treats a code's 3 nearest codes within distance 0.5 (unit-norm 8-d codes; the
 * median nearest neighbour sits at 0.41) as interchangeable: close enough to decode alike.
 */
const RELAXED = { k: 4, radius: 0.5 };

/** `decodeRows`: the VQ decoder's pixels for the first rows (absent where no decoder runs). */
export function buildModels(backend: Backend, loaded: LoadedModel, decodeRows?: LoadedModels['decodeRows']): LoadedModels {
  const { manifest, files } = loaded;
  const file = (path: string) => {
    const bytes = files.get(path);
    if (!bytes) throw new Error(`model file ${path} is not in the manifest`);
    return bytes;
  };
  const tensors = (path: string) => {
    const b = file(path);
    return parseSafetensors(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
  };
  const m = manifest as unknown as Record<string, Record<string, unknown>>;
  const targetCfg = targetConfigOf(m);
  const target = new TargetModel(backend, targetCfg, uploadTargetWeights(backend, targetCfg, tensors(String(m.target.weights))));

  const t = m.text_encoder as Record<string, number | string>;
  const textCfg = {
    dim: Number(t.dim), nLayers: Number(t.n_layers), nHeads: Number(t.n_heads), hidden: Number(t.hidden), prefixLen: Number(t.prefix_len),
    maxWords: Number(t.max_words), wordDim: Number(t.word_dim), vocabSize: Number(t.vocab_size), normEps: Number(t.norm_eps),
  };
  const text = new TextEncoder(backend, textCfg, uploadTextWeights(backend, textCfg, tensors(String(t.weights))));
  const tokenizer = new WordTokenizer(JSON.parse(new TextDecoder().decode(file(String(t.vocab)))) as string[], textCfg.maxWords);

  const drafts: LoadedModels['drafts'] = {};
  for (const [name, entry] of Object.entries(draftEntriesOf(m, targetCfg))) {
    if (name !== 'hawk' && name !== 'ablation') continue;
    drafts[name] = new DraftModel(backend, entry.config, uploadDraftWeights(backend, entry.config, tensors(entry.weights)), target);
  }

  const codebook = tensors(VQ_CODEBOOK).get('codebook');
  if (!codebook || codebook.dtype !== 'F32') throw new Error(`model file ${VQ_CODEBOOK} has no f32 "codebook" tensor`);
  return {
    backend, target, drafts,
    neighbourhoods: latentNeighbourhoods(codebook.data as Float32Array, codebook.shape[0], RELAXED.k, RELAXED.radius),
    encodePrompt: (prompt) => text.encode(tokenizer.encode(prompt)),
    nullPrefix: text.nullPrefix,
    decodeRows,
  };
}
