/**
 * Where model bytes come from: bytes already in memory, or a URL fetched with progress. Paths
 * are the Node entry's business (it has a file system); this file stays runtime-free.
 */
import { DEFAULT_IDLE_TIMEOUT_MS, describeFetchError as describeError, IdleTimeout } from '@charrnn/contract';
import { ModelSourceError } from './errors.js';
import { textInsteadOfModel } from './model-bytes.js';

export type ModelSource = string | URL | ArrayBuffer | ArrayBufferView;

export type ProgressCallback = (loaded: number, total: number | undefined) => void;

/** A view of in-memory model bytes, or undefined if `source` names a model instead. */
export function bytesOf(source: ModelSource): Uint8Array | undefined {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (typeof source === 'string' || source instanceof URL) return undefined;
  throw new ModelSourceError(`model source is ${Object.prototype.toString.call(source)}; expected a URL, a path (Node), a Uint8Array or an ArrayBuffer`);
}

export { DEFAULT_IDLE_TIMEOUT_MS };

export interface FetchModelOptions {
  /** Give up when nothing (no response, no body bytes) arrives for this long. Default 30 000 ms. */
  idleTimeoutMs?: number;
}

/**
 * Fetches a model, reporting progress as the body streams in. Every failure is a
 * ModelSourceError naming the URL: a download that stalls (fetch has no idle timeout of its
 * own), a connection that closes, and a body that is text (a web page, a Git LFS pointer) rather
 * than a model, described by its first characters and content-type.
 */
export async function fetchModel(url: string | URL, onProgress?: ProgressCallback, options: FetchModelOptions = {}): Promise<Uint8Array> {
  const { bytes, response } = await fetchWithProgress(url, 'model', onProgress, options);
  const text = textInsteadOfModel(bytes);
  if (text !== undefined) {
    const type = response.headers.get('content-type');
    throw new ModelSourceError(`model ${String(url)} starts with ${text.start}${type === null ? '' : `, content-type ${type}`}: not an ONNX file${text.hint}`);
  }
  return bytes;
}

/**
 * A download with progress and an idle timeout; failures are ModelSourceErrors saying "could not
 * fetch <what> <url>". Also used for onnxruntime-web's runtime, so a page's progress counts it.
 */
export async function fetchWithProgress(
  url: string | URL,
  what: string,
  onProgress?: ProgressCallback,
  options: FetchModelOptions = {},
): Promise<{ bytes: Uint8Array; response: Response }> {
  const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const seconds = `${idleMs / 1000} s`;
  const fail = (reason: string): ModelSourceError => new ModelSourceError(`could not fetch ${what} ${String(url)}: ${reason}`);
  const idle = new IdleTimeout(idleMs);
  let response: Response;
  try {
    response = await fetch(url, { signal: idle.signal });
  } catch (error) {
    idle.clear();
    throw fail(idle.fired ? `no response for ${seconds}; check the URL and the network` : describeError(error));
  }
  if (!response.ok) {
    idle.clear();
    await response.body?.cancel().catch(() => undefined);
    throw fail(`HTTP ${response.status} ${response.statusText}`);
  }
  const header = response.headers.get('content-length');
  // A compressing server's content-length counts the encoded bytes, while the body arrives decoded.
  const encoding = response.headers.get('content-encoding');
  const encoded = encoding !== null && encoding !== '' && encoding !== 'identity';
  const total = header === null || encoded ? undefined : Number(header);
  const of = total === undefined ? '' : ` of ${total}`;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  try {
    if (response.body === null) {
      chunks.push(new Uint8Array(await response.arrayBuffer()));
      loaded = chunks[0].byteLength;
    } else {
      const reader = response.body.getReader();
      for (;;) {
        idle.touch();
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded += value.byteLength;
        onProgress?.(loaded, total);
      }
    }
  } catch (error) {
    if (idle.fired) throw fail(`stalled, no data for ${seconds} after ${loaded}${of} bytes; check the URL and the network`);
    throw fail(`the connection closed after ${loaded}${of} bytes (${describeError(error)})`);
  } finally {
    idle.clear();
  }
  const bytes = chunks.length === 1 ? chunks[0] : new Uint8Array(loaded);
  if (chunks.length !== 1) {
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
  }
  if (response.body === null) onProgress?.(loaded, total);
  return { bytes, response };
}
