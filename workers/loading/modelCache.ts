/**
 * Where verified model files are kept between page loads. The loader only ever puts bytes here after
 * their sha256 matched the manifest, so anything in the cache was complete when it was written; a copy
 * that rotted afterwards is caught by re-hashing on read (see modelStore.ts).
 *
 * An interface rather than Cache Storage directly: Node (the unit tests) has no `caches`.
 */
export interface ModelCache {
  /** The stored bytes for a URL, or undefined when there are none. */
  get(url: string): Promise<Uint8Array | undefined>;
  put(url: string, bytes: Uint8Array): Promise<void>;
  delete(url: string): Promise<void>;
}

/** The cache name; bump the suffix when the stored layout changes so old entries are ignored. */
export const MODEL_CACHE_NAME = 'hawk-models-v1';

/** Cache Storage backed cache: available in windows and workers on secure contexts (localhost counts). */
export class CacheStorageModelCache implements ModelCache {
  private cache: Promise<Cache> | null = null;

  constructor(private readonly name = MODEL_CACHE_NAME) {}

  private open(): Promise<Cache> {
    return (this.cache ??= caches.open(this.name));
  }

  async get(url: string): Promise<Uint8Array | undefined> {
    const hit = await (await this.open()).match(url);
    return hit ? new Uint8Array(await hit.arrayBuffer()) : undefined;
  }

  async put(url: string, bytes: Uint8Array): Promise<void> {
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) };
    await (await this.open()).put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers }));
  }

  async delete(url: string): Promise<void> {
    await (await this.open()).delete(url);
  }
}

/** In-memory cache for tests and for contexts without Cache Storage (then nothing survives a reload). */
export class MemoryModelCache implements ModelCache {
  readonly entries = new Map<string, Uint8Array>();

  async get(url: string): Promise<Uint8Array | undefined> {
    return this.entries.get(url);
  }

  async put(url: string, bytes: Uint8Array): Promise<void> {
    // Copy: the caller may reuse or transfer its buffer.
    this.entries.set(url, bytes.slice());
  }

  async delete(url: string): Promise<void> {
    this.entries.delete(url);
  }
}

/** Cache Storage where the context has it, otherwise memory. */
export function defaultModelCache(): ModelCache {
  return typeof caches !== 'undefined' ? new CacheStorageModelCache() : new MemoryModelCache();
}
