/**
 * Repeat visits without downloads: the model and onnxruntime-web's runtime (its .wasm, 3.7–6.7 MB
 * gzip) kept in the Cache API, which persists across reloads and works offline, where the HTTP
 * cache may revalidate or evict. A page's own HTML and JavaScript stay with the HTTP cache (or a
 * service worker), which is outside a library's reach.
 */
import { RUNTIME_FILES_HINT } from './wasm-load-error.js';
import { BackendUnavailableError } from '../core/errors.js';

export const DEFAULT_CACHE_NAME = 'charrnn-infer-web';

/** The part of the Cache API used here (a browser's `Cache`; tests may pass their own). */
interface CacheLike {
  match(key: string): Promise<Response | undefined>;
  put(key: string, response: Response): Promise<void>;
}
interface CacheStorageLike {
  open(name: string): Promise<CacheLike>;
  delete(name: string): Promise<boolean>;
}

function cacheStorage(): CacheStorageLike | undefined {
  return (globalThis as { caches?: CacheStorageLike }).caches;
}

/** A named cache of downloads, or, where the Cache API is missing, a pass-through that says why once. */
export class DownloadCache {
  private opened: Promise<CacheLike | undefined> | undefined;

  constructor(
    readonly name: string,
    private readonly warn: (message: string) => void,
  ) {}

  private open(): Promise<CacheLike | undefined> {
    this.opened ??= (async () => {
      const storage = cacheStorage();
      if (storage === undefined) {
        this.warn('@charrnn/infer-web: option cache is set but this page has no Cache API (it needs a secure context: https or localhost); downloading without it');
        return undefined;
      }
      try {
        return await storage.open(this.name);
      } catch (error) {
        this.warn(`@charrnn/infer-web: could not open the cache ${JSON.stringify(this.name)} (${(error as Error).message}); downloading without it`);
        return undefined;
      }
    })();
    return this.opened;
  }

  /** The bytes stored under `key`, if any. */
  async get(key: string): Promise<Uint8Array | undefined> {
    const cache = await this.open();
    const hit = await cache?.match(key);
    return hit === undefined ? undefined : new Uint8Array(await hit.arrayBuffer());
  }

  /**
   * Stores a network response under `key` as its body arrives: the browser writes it, with no copy
   * of its bytes on the page's thread (a 14 MB runtime put from memory held the main thread
   * 0.26 s in Chromium on a busy machine). Failures are reported as put's are.
   */
  async putResponse(key: string, response: Response): Promise<void> {
    const cache = await this.open();
    if (cache === undefined) {
      await response.body?.cancel().catch(() => undefined);
      return;
    }
    try {
      await cache.put(key, response);
    } catch (error) {
      this.warn(`@charrnn/infer-web: could not store ${key} in the cache ${JSON.stringify(this.name)} (${(error as Error).message})`);
    }
  }

  /** Stores `bytes` under `key`; a full disk (quota) is reported, never thrown: the page works without it. */
  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    const cache = await this.open();
    if (cache === undefined) return;
    const body = new Uint8Array(bytes); // a copy: the caller's buffer may be handed to onnxruntime
    try {
      await cache.put(key, new Response(body, { headers: { 'content-type': contentType, 'content-length': String(body.byteLength) } }));
    } catch (error) {
      this.warn(`@charrnn/infer-web: could not store ${key} in the cache ${JSON.stringify(this.name)} (${(error as Error).message})`);
    }
  }
}

/**
 * onnxruntime-web's runtime `url`, from the cache when it holds it, else fetched and stored. The
 * key carries onnxruntime-web's version: a runtime cached for one version must never meet the
 * JavaScript of another, and the file names stay the same across versions.
 */
export async function cachedRuntime(cache: DownloadCache, url: string, ortVersion: string): Promise<Uint8Array> {
  const key = `${url}?onnxruntime-web=${encodeURIComponent(ortVersion)}`;
  const hit = await cache.get(key);
  if (hit !== undefined) return hit;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new BackendUnavailableError(`could not fetch onnxruntime-web's runtime ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new BackendUnavailableError(
      `could not fetch onnxruntime-web's runtime ${url}: HTTP ${response.status} ${response.statusText}; ` +
        RUNTIME_FILES_HINT,
    );
  }
  const mine = response.clone();
  const [bytes] = await Promise.all([mine.arrayBuffer(), cache.putResponse(key, response)]);
  return new Uint8Array(bytes);
}

/** Deletes infer-web's cache (the models and runtimes it keeps): true if there was one. */
export async function clearDownloadCache(name: string = DEFAULT_CACHE_NAME): Promise<boolean> {
  return (await cacheStorage()?.delete(name)) ?? false;
}
