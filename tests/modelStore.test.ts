/**
 * The model loader against a real HTTP server on 127.0.0.1 (Node's fetch streams its body the way a
 * browser's does): progress, checksum and size refusal, missing files, the cache and offline reloads.
 */
import { createHash } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryModelCache } from '../workers/loading/modelCache';
import { type LoadProgress, type ModelManifest, fetchManifest, loadModelFiles } from '../workers/loading/modelStore';

/** Deterministic fixture bytes (a simple LCG), large enough to arrive in several chunks. */
function fixture(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const weights = fixture(200_000, 1);
const decoder = fixture(3_000, 2);
const manifest: ModelManifest = {
  name: 'fixture',
  files: [
    { path: 'weights.bin', bytes: weights.byteLength, sha256: sha(weights) },
    // Paths may climb out of the manifest's folder, as the real one's VQ files do.
    { path: '../vq/decoder.onnx', bytes: decoder.byteLength, sha256: sha(decoder) },
  ],
};

/** What the server answers, by URL path; tests change it to break things. */
let routes: Map<string, Uint8Array>;
let requests: string[];
let server: Server;
let base: string;

beforeEach(async () => {
  routes = new Map([
    ['/models/m/manifest.json', new TextEncoder().encode(JSON.stringify(manifest))],
    ['/models/m/weights.bin', weights],
    ['/models/vq/decoder.onnx', decoder],
  ]);
  requests = [];
  server = createServer((req, res) => {
    const path = req.url ?? '';
    requests.push(path);
    const body = routes.get(path);
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.byteLength });
    // Several writes so the client sees more than one chunk.
    for (let i = 0; i < body.byteLength; i += 64 * 1024) res.write(body.subarray(i, i + 64 * 1024));
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/m/`;
});

afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const fileRequests = () => requests.filter((r) => !r.endsWith('manifest.json'));

describe('loadModelFiles', () => {
  it('loads every listed file, verified, with streamed progress', async () => {
    const events: LoadProgress[] = [];
    const cache = new MemoryModelCache();
    const model = await loadModelFiles(base, 'manifest.json', (p) => events.push(p), { cache });

    expect(model.manifest.name).toBe('fixture');
    expect(model.files.get('weights.bin')).toEqual(weights);
    expect(model.files.get('../vq/decoder.onnx')).toEqual(decoder);

    const forWeights = events.filter((e) => e.file === 'weights.bin');
    expect(forWeights.length).toBeGreaterThan(2); // start + several chunks
    expect(forWeights.every((e) => e.total === weights.byteLength && e.source === 'network')).toBe(true);
    expect(forWeights.map((e) => e.loaded)).toEqual([...forWeights.map((e) => e.loaded)].sort((a, b) => a - b));
    expect(forWeights.at(-1)!.loaded).toBe(weights.byteLength);
    expect(events.at(-1)).toEqual({ file: '../vq/decoder.onnx', loaded: decoder.byteLength, total: decoder.byteLength, source: 'network' });

    // Verified files and the manifest are cached under their resolved URLs.
    expect([...cache.entries.keys()].sort()).toEqual([`${base}../vq/decoder.onnx`, `${base}manifest.json`, `${base}weights.bin`].map((u) => new URL(u).href).sort());
  });

  it('refuses a file whose sha256 does not match, and caches nothing of it', async () => {
    const bad = weights.slice();
    bad[1234] ^= 0xff;
    routes.set('/models/m/weights.bin', bad);
    const cache = new MemoryModelCache();
    await expect(loadModelFiles(base, 'manifest.json', undefined, { cache })).rejects.toThrow(
      `model file weights.bin is corrupt: sha256 ${sha(bad)} does not match the manifest's ${sha(weights)}`,
    );
    expect(cache.entries.size).toBe(0); // not the file, and not the manifest either
  });

  it('refuses a file of the wrong size', async () => {
    routes.set('/models/m/weights.bin', fixture(weights.byteLength + 10, 1));
    await expect(loadModelFiles(base, 'manifest.json', undefined, { cache: new MemoryModelCache() })).rejects.toThrow(
      /model file weights\.bin has the wrong size: expected 200000 bytes/,
    );
    routes.set('/models/m/weights.bin', weights.subarray(0, 1000));
    await expect(loadModelFiles(base, 'manifest.json', undefined, { cache: new MemoryModelCache() })).rejects.toThrow(
      'model file weights.bin has the wrong size: expected 200000 bytes, got 1000',
    );
  });

  it('says clearly which file is missing', async () => {
    routes.delete('/models/vq/decoder.onnx');
    await expect(loadModelFiles(base, 'manifest.json', undefined, { cache: new MemoryModelCache() })).rejects.toMatchObject({
      name: 'ModelLoadError',
      kind: 'missing',
      file: '../vq/decoder.onnx',
      message: expect.stringMatching(/^model file \.\.\/vq\/decoder\.onnx is missing \(HTTP 404/),
    });
    await expect(loadModelFiles(base, 'nope.json', undefined, { cache: new MemoryModelCache() })).rejects.toThrow(
      /model manifest nope\.json is missing/,
    );
  });

  it('serves a second load from the cache without downloading again, even offline', async () => {
    const cache = new MemoryModelCache();
    await loadModelFiles(base, 'manifest.json', undefined, { cache });
    expect(fileRequests()).toHaveLength(2);

    const events: LoadProgress[] = [];
    const again = await loadModelFiles(base, 'manifest.json', (p) => events.push(p), { cache });
    expect(again.files.get('weights.bin')).toEqual(weights);
    expect(fileRequests()).toHaveLength(2); // only the manifest was asked for again
    expect(events.every((e) => e.source === 'cache' && e.loaded === e.total)).toBe(true);

    // Offline: the network fails outright, the cached manifest and files still load.
    const offline = (() => Promise.reject(new TypeError('fetch failed'))) as typeof fetch;
    const fromCache = await loadModelFiles(base, 'manifest.json', undefined, { cache, fetch: offline });
    expect(fromCache.files.get('../vq/decoder.onnx')).toEqual(decoder);
  });

  it('replaces a corrupt cached copy with a fresh download', async () => {
    const cache = new MemoryModelCache();
    await loadModelFiles(base, 'manifest.json', undefined, { cache });
    const url = new URL('weights.bin', base).href;
    cache.entries.get(url)![99] ^= 0x01; // bit rot in the stored copy

    const events: LoadProgress[] = [];
    const model = await loadModelFiles(base, 'manifest.json', (p) => events.push(p), { cache });
    expect(model.files.get('weights.bin')).toEqual(weights);
    expect(fileRequests().filter((r) => r.endsWith('weights.bin'))).toHaveLength(2);
    expect(events.find((e) => e.file === 'weights.bin')!.source).toBe('network');
    expect(events.find((e) => e.file === '../vq/decoder.onnx')!.source).toBe('cache');
    expect(cache.entries.get(url)).toEqual(weights);
  });

  it('drops a corrupt cached copy even when the re-download fails', async () => {
    const cache = new MemoryModelCache();
    const url = new URL('weights.bin', base).href;
    await cache.put(url, fixture(weights.byteLength, 3));
    routes.delete('/models/m/weights.bin');
    await expect(loadModelFiles(base, 'manifest.json', undefined, { cache })).rejects.toThrow(/weights\.bin is missing/);
    expect(cache.entries.has(url)).toBe(false);
  });

  it('reads the manifest alone without caching it, and the cached copy when offline', async () => {
    const cache = new MemoryModelCache();
    expect((await fetchManifest(base, 'manifest.json', { cache })).name).toBe('fixture');
    expect(fileRequests()).toEqual([]);
    expect(cache.entries.size).toBe(0); // a cached manifest must never point at files the cache lacks
    await loadModelFiles(base, 'manifest.json', undefined, { cache });
    const offline = (() => Promise.reject(new TypeError('fetch failed'))) as typeof fetch;
    expect((await fetchManifest(base, 'manifest.json', { cache, fetch: offline })).name).toBe('fixture');
    await expect(fetchManifest(base, 'manifest.json', { cache: new MemoryModelCache(), fetch: offline })).rejects.toThrow(/could not be downloaded/);
  });

  it('loads only the files asked for', async () => {
    const model = await loadModelFiles(base, 'manifest.json', undefined, { cache: new MemoryModelCache(), only: ['../vq/decoder.onnx'] });
    expect([...model.files.keys()]).toEqual(['../vq/decoder.onnx']);
    expect(fileRequests()).toEqual(['/models/vq/decoder.onnx']);
    await expect(loadModelFiles(base, 'manifest.json', undefined, { cache: new MemoryModelCache(), only: ['x.bin'] })).rejects.toThrow(
      'model file x.bin is not listed in manifest.json',
    );
  });
});
