/**
 * Downloads the model files a manifest lists (see training/export.py: `files: [{path, bytes, sha256}]`,
 * paths relative to the manifest), verifies each against its sha256 and keeps verified copies in a
 * ModelCache so that a reload is served locally and works offline.
 *
 * Rules:
 * - A file is only put in the cache after its size and sha256 matched, so a half-finished or corrupt
 *   download never lands there.
 * - A cached copy is re-hashed on every load: one that no longer matches the manifest (bit rot, or a
 *   new model version with the same file name) is deleted and downloaded again.
 * - The manifest is cached last, after all its files verified, so an offline reload finds a manifest
 *   whose files are all present.
 *
 * Runs in a worker (fetch, crypto.subtle, Cache Storage) and in Node 20+ (fetch, crypto.subtle, with a
 * MemoryModelCache).
 */
import { type ModelCache, defaultModelCache } from './modelCache';

export interface ManifestFile {
  /** Relative to the manifest's URL; may climb out of its folder (`../vq/decoder.onnx`). */
  path: string;
  bytes: number;
  sha256: string;
  role?: string;
}

export interface ModelManifest {
  name: string;
  files: ManifestFile[];
  total_bytes?: number;
  /** Architecture, conventions, … : read by the engine, not by the loader. */
  [key: string]: unknown;
}

export interface LoadProgress {
  /** The manifest path of the file. */
  file: string;
  loaded: number;
  total: number;
  source: 'network' | 'cache';
}

export type ModelErrorKind = 'missing' | 'http' | 'network' | 'size' | 'checksum' | 'manifest';

/** A load failure with the offending file, so the UI can say which file is broken and why. */
export class ModelLoadError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly kind: ModelErrorKind,
  ) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

export interface LoadOptions {
  cache?: ModelCache;
  fetch?: typeof fetch;
  /** Load only these manifest paths (e.g. just the VQ decoder); default all files. */
  only?: string[];
}

export interface LoadedModel {
  manifest: ModelManifest;
  /** Verified bytes by manifest path. */
  files: Map<string, Uint8Array>;
}

/**
 * Fetches `manifestName` under `baseUrl`, then each listed file (from the cache when its copy still
 * matches), reporting progress per file. Throws a ModelLoadError naming the file on any failure.
 */
export async function loadModelFiles(
  baseUrl: string,
  manifestName: string,
  onProgress?: (p: LoadProgress) => void,
  options: LoadOptions = {},
): Promise<LoadedModel> {
  const cache = options.cache ?? defaultModelCache();
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const manifestUrl = manifestUrlOf(baseUrl, manifestName);

  const { manifest, manifestBytes } = await loadManifest(manifestUrl, manifestName, fetchFn, cache);
  const wanted = options.only ? manifest.files.filter((f) => options.only!.includes(f.path)) : manifest.files;
  for (const path of options.only ?? []) {
    if (!manifest.files.some((f) => f.path === path)) {
      throw new ModelLoadError(`model file ${path} is not listed in ${manifestName}`, path, 'manifest');
    }
  }

  const files = new Map<string, Uint8Array>();
  for (const entry of wanted) {
    files.set(entry.path, await loadFile(entry, new URL(entry.path, manifestUrl).href, fetchFn, cache, onProgress));
  }
  // Only now: the cached manifest must never point at files the cache lacks.
  if (manifestBytes) await cache.put(manifestUrl, manifestBytes);
  return { manifest, files };
}

/**
 * The manifest alone (from the network, else the cached copy), to say what a model offers before its files load.
 * Not cached here: only loadModelFiles caches a manifest, once its files are.
 */
export async function fetchManifest(baseUrl: string, manifestName: string, options: LoadOptions = {}): Promise<ModelManifest> {
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const { manifest } = await loadManifest(manifestUrlOf(baseUrl, manifestName), manifestName, fetchFn, options.cache ?? defaultModelCache());
  return manifest;
}

/** Relative base URLs ("/models/hawk-emoji/") resolve against the worker's or page's location. */
function manifestUrlOf(baseUrl: string, manifestName: string): string {
  const base = new URL(baseUrl, (globalThis as { location?: { href: string } }).location?.href);
  return new URL(manifestName, base).href;
}

/** Lowercase hex sha256, via WebCrypto (workers and Node alike). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The manifest from the network; the cached copy only when the network is unreachable (offline). */
async function loadManifest(
  url: string,
  name: string,
  fetchFn: typeof fetch,
  cache: ModelCache,
): Promise<{ manifest: ModelManifest; manifestBytes: Uint8Array | null }> {
  let bytes: Uint8Array;
  let fromNetwork = true;
  try {
    // no-cache: revalidate with the server so a new model version is seen at once.
    const response = await fetchFn(url, { cache: 'no-cache' });
    if (!response.ok) throw httpError(name, url, response.status, 'model manifest');
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (err) {
    if (err instanceof ModelLoadError) throw err;
    const cached = await cache.get(url);
    if (!cached) {
      throw new ModelLoadError(`model manifest ${name} could not be downloaded from ${url}: ${(err as Error).message}`, name, 'network');
    }
    bytes = cached;
    fromNetwork = false;
  }
  const manifest = parseManifest(bytes, name);
  return { manifest, manifestBytes: fromNetwork ? bytes : null };
}

function parseManifest(bytes: Uint8Array, name: string): ModelManifest {
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes)) as ModelManifest;
  } catch (err) {
    throw new ModelLoadError(`model manifest ${name} is not valid JSON: ${(err as Error).message}`, name, 'manifest');
  }
  const valid =
    Array.isArray(manifest?.files) &&
    manifest.files.every(
      (f) => typeof f?.path === 'string' && Number.isInteger(f.bytes) && f.bytes >= 0 && /^[0-9a-f]{64}$/.test(f.sha256),
    );
  if (!valid) throw new ModelLoadError(`model manifest ${name} has no valid files list ({path, bytes, sha256})`, name, 'manifest');
  return manifest;
}

async function loadFile(
  entry: ManifestFile,
  url: string,
  fetchFn: typeof fetch,
  cache: ModelCache,
  onProgress?: (p: LoadProgress) => void,
): Promise<Uint8Array> {
  const cached = await cache.get(url);
  if (cached) {
    if (cached.byteLength === entry.bytes && (await sha256Hex(cached)) === entry.sha256) {
      onProgress?.({ file: entry.path, loaded: entry.bytes, total: entry.bytes, source: 'cache' });
      return cached;
    }
    // Stale or corrupt: drop it first so a failed re-download cannot leave it behind.
    await cache.delete(url);
  }

  const bytes = await download(entry, url, fetchFn, onProgress);
  const sha = await sha256Hex(bytes);
  if (sha !== entry.sha256) {
    throw new ModelLoadError(
      `model file ${entry.path} is corrupt: sha256 ${sha} does not match the manifest's ${entry.sha256}`,
      entry.path,
      'checksum',
    );
  }
  await cache.put(url, bytes);
  return bytes;
}

/** Streams one file into a buffer of the manifest's size, reporting progress per chunk. */
async function download(
  entry: ManifestFile,
  url: string,
  fetchFn: typeof fetch,
  onProgress?: (p: LoadProgress) => void,
): Promise<Uint8Array> {
  let response: Response;
  try {
    // The loader does its own caching; the HTTP cache would only hold a second copy.
    response = await fetchFn(url, { cache: 'no-store' });
  } catch (err) {
    throw new ModelLoadError(`model file ${entry.path} could not be downloaded from ${url}: ${(err as Error).message}`, entry.path, 'network');
  }
  if (!response.ok) throw httpError(entry.path, url, response.status, 'model file');

  const total = entry.bytes;
  const out = new Uint8Array(total);
  const tooLong = () =>
    new ModelLoadError(`model file ${entry.path} has the wrong size: expected ${total} bytes, got more`, entry.path, 'size');
  let loaded = 0;
  onProgress?.({ file: entry.path, loaded, total, source: 'network' });

  if (!response.body) {
    // No stream (rare): one chunk.
    const all = new Uint8Array(await response.arrayBuffer());
    if (all.byteLength > total) throw tooLong();
    out.set(all);
    loaded = all.byteLength;
  } else {
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        // Stop as soon as the server sends more than the manifest promised, instead of buffering it all.
        if (loaded + value.byteLength > total) throw tooLong();
        out.set(value, loaded);
        loaded += value.byteLength;
        onProgress?.({ file: entry.path, loaded, total, source: 'network' });
      }
    } catch (err) {
      await reader.cancel().catch(() => {});
      if (err instanceof ModelLoadError) throw err;
      throw new ModelLoadError(`model file ${entry.path} download was interrupted: ${(err as Error).message}`, entry.path, 'network');
    }
  }
  if (loaded !== total) {
    throw new ModelLoadError(`model file ${entry.path} has the wrong size: expected ${total} bytes, got ${loaded}`, entry.path, 'size');
  }
  if (!response.body) onProgress?.({ file: entry.path, loaded, total, source: 'network' });
  return out;
}

function httpError(name: string, url: string, status: number, what: string): ModelLoadError {
  return status === 404
    ? new ModelLoadError(`${what} ${name} is missing (HTTP 404 at ${url})`, name, 'missing')
    : new ModelLoadError(`${what} ${name} could not be downloaded: HTTP ${status} at ${url}`, name, 'http');
}
