/**
 * Where model bytes come from: bytes already in memory, or a URL fetched with progress. Paths
 * are the Node entry's business (it has a file system); this file stays runtime-free.
 */
import { ModelSourceError } from './errors.js';

export type ModelSource = string | URL | ArrayBuffer | ArrayBufferView;

export type ProgressCallback = (loaded: number, total: number | undefined) => void;

/** A view of in-memory model bytes, or undefined if `source` names a model instead. */
export function bytesOf(source: ModelSource): Uint8Array | undefined {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (typeof source === 'string' || source instanceof URL) return undefined;
  throw new ModelSourceError(`model source is ${Object.prototype.toString.call(source)}; expected a URL, a path (Node), a Uint8Array or an ArrayBuffer`);
}

/** Fetches a model, reporting progress as the body streams in. */
export async function fetchModel(url: string | URL, onProgress?: ProgressCallback): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new ModelSourceError(`could not fetch model ${String(url)}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new ModelSourceError(`could not fetch model ${String(url)}: HTTP ${response.status} ${response.statusText}`);
  const header = response.headers.get('content-length');
  const total = header === null ? undefined : Number(header);
  if (response.body === null || onProgress === undefined) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress?.(bytes.byteLength, total);
    return bytes;
  }
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress(loaded, total);
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
