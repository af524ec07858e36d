/**
 * Reads the safetensors format: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the raw data.
 */
export interface RawTensor {
  dtype: 'F16' | 'F32';
  shape: number[];
  /** F16 tensors as half bit patterns, F32 as floats; views into a copy of the file's bytes. */
  data: Uint16Array | Float32Array;
}

export function parseSafetensors(bytes: ArrayBuffer): Map<string, RawTensor> {
  if (bytes.byteLength < 8) throw new Error('safetensors: file is too short');
  const headerLen = Number(new DataView(bytes).getBigUint64(0, true));
  if (8 + headerLen > bytes.byteLength) throw new Error('safetensors: header runs past the end of the file');
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(bytes, 8, headerLen))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const base = 8 + headerLen;
  const tensors = new Map<string, RawTensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = info.data_offsets;
    if (base + end > bytes.byteLength) throw new Error(`safetensors: tensor ${name} runs past the end of the file`);
    // Copy: the tensor's offset may not be aligned to its element size.
    const slice = bytes.slice(base + begin, base + end);
    if (info.dtype === 'F16') tensors.set(name, { dtype: 'F16', shape: info.shape, data: new Uint16Array(slice) });
    else if (info.dtype === 'F32') tensors.set(name, { dtype: 'F32', shape: info.shape, data: new Float32Array(slice) });
    else throw new Error(`safetensors: tensor ${name} has unsupported dtype ${info.dtype}`);
  }
  return tensors;
}
