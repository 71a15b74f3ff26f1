import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_IDLE_TIMEOUT_MS, describeFetchError, IdleTimeout } from '@charrnn/contract';
import { decodeCorpus } from '../corpus-text.js';
import { CorpusError } from '../errors.js';
import { writeFileAtomic } from '@charrnn/contract/node';
import { EMBEDDED_CORPUS_PATH, EMBEDDED_CORPUS_SOURCE, errorMessage, readEmbeddedCorpus } from './embedded-corpus.js';
import { createProgress, type ProgressSink } from './progress.js';

/** The URL the lesson downloads its corpus from. */
export const LESSON_CORPUS_URL = 'https://s3.amazonaws.com/text-datasets/nietzsche.txt';

export { DEFAULT_IDLE_TIMEOUT_MS };

export interface LoadCorpusOptions {
  /** Where downloads are kept (default $CHARRNN_CACHE_DIR, else $XDG_CACHE_HOME/charrnn, else ~/.cache/charrnn). */
  cacheDir?: string;
  /** Download progress: a sink, true for a bar (TTY) or lines on stderr (default), false for none. */
  progress?: ProgressSink | boolean;
  /** Keep control characters other than tab/newline/CR (default false: the corpus is refused). */
  allowControlChars?: boolean;
  /** Give up on a download that receives nothing (no response, or no body bytes) for this long. Default 30 000 ms. */
  idleTimeoutMs?: number;
}

export interface LoadedCorpus {
  text: string;
  /** The source as given (or "embedded:nietzsche.txt"). */
  source: string;
  /** The local file the text was read from: the file itself, the cached download, or the embedded copy. */
  path: string;
}

export function defaultCacheDir(): string {
  const env = process.env;
  if (env.CHARRNN_CACHE_DIR) return env.CHARRNN_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'charrnn');
}

/**
 * Reads a corpus from a file path, a `file:` URL or an `http(s)` URL (downloaded once into the
 * cache), or the embedded nietzsche.txt when no source is given. The text is strict UTF-8 with
 * any BOM dropped; every failure is a CorpusError naming the source.
 */
export async function loadCorpus(source?: string, opts: LoadCorpusOptions = {}): Promise<LoadedCorpus> {
  if (source === undefined || source === '' || source === EMBEDDED_CORPUS_SOURCE) {
    return { text: await readEmbeddedCorpus(), source: EMBEDDED_CORPUS_SOURCE, path: EMBEDDED_CORPUS_PATH };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(source)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') {
    const path = await downloadToCache(source, opts);
    return { text: decodeCorpus(await readFile(path), source, opts), source, path };
  }
  let path: string;
  if (scheme === 'file') {
    try {
      path = fileURLToPath(source);
    } catch (cause) {
      throw new CorpusError(`corpus URL ${source} is not a valid file: URL (${errorMessage(cause)})`, { cause });
    }
  } else if (scheme !== undefined && scheme.length > 1) {
    // One-letter "schemes" are Windows drive letters (C:\corpus.txt), so they fall through to paths.
    throw new CorpusError(`corpus source ${source} has unsupported scheme ${scheme}:; give a file path, a file: URL or an http(s) URL`);
  } else {
    path = resolve(source);
  }
  return { text: decodeCorpus(await readCorpusFile(path, source), source, opts), source, path };
}

async function readCorpusFile(path: string, source: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : errorMessage(cause);
    throw new CorpusError(`corpus file ${source} (${path}) ${reason}; give a path to a UTF-8 text file`, { cause });
  }
}

/** Cache file for a URL: readable name, plus a hash so that two URLs never share a file. */
export function cachePathFor(url: string, cacheDir: string): string {
  const hash = createHash('sha256').update(url).digest('hex').slice(0, 16);
  const name = basename(new URL(url).pathname).replace(/[^A-Za-z0-9._-]/g, '_') || 'corpus';
  return join(cacheDir, `${hash}-${name}`);
}

/**
 * Downloads `url` into the cache unless it is already there. The body is held in memory and
 * written atomically only once complete and valid UTF-8, so an interrupted or corrupt download
 * never becomes the cached file.
 */
async function downloadToCache(url: string, opts: LoadCorpusOptions): Promise<string> {
  const idleMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  if (!(typeof idleMs === 'number' && idleMs > 0 && Number.isFinite(idleMs))) {
    throw new CorpusError(`idleTimeoutMs is ${String(idleMs)}; expected a positive number of milliseconds such as ${DEFAULT_IDLE_TIMEOUT_MS}`);
  }
  const path = cachePathFor(url, opts.cacheDir ?? defaultCacheDir());
  if (await isFile(path)) return path;

  const idle = new IdleTimeout(idleMs);
  const seconds = `${idleMs / 1000} s`;
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow', signal: idle.signal });
  } catch (cause) {
    idle.clear();
    if (idle.fired) throw new CorpusError(`download of corpus ${url} stalled: no response for ${seconds}; check the URL and the network`, { cause });
    throw new CorpusError(`download of corpus ${url} failed: ${describeFetchError(cause)}`, { cause });
  }
  if (!response.ok || response.body === null) {
    idle.clear();
    await response.body?.cancel();
    throw new CorpusError(`download of corpus ${url} failed: HTTP ${response.status} ${response.statusText}`.trimEnd());
  }
  const lengthHeader = response.headers.get('content-length');
  const expected = lengthHeader === null ? undefined : Number(lengthHeader);
  const progress = progressSink(opts.progress);
  progress?.start(expected, `download ${basename(new URL(url).pathname) || url}`);
  const chunks: Uint8Array[] = [];
  let received = 0;
  let outcome: 'done' | 'failed' = 'failed';
  try {
    idle.touch();
    const reader = response.body.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      idle.touch();
      chunks.push(chunk.value);
      received += chunk.value.byteLength;
      progress?.update(received);
    }
    outcome = 'done';
  } catch (cause) {
    if (idle.fired) {
      const of = expected === undefined ? '' : ` of ${expected}`;
      throw new CorpusError(`download of corpus ${url} stalled: no data for ${seconds} after ${received}${of} bytes; check the URL and the network`, { cause });
    }
    throw new CorpusError(`download of corpus ${url} was interrupted after ${received} bytes: ${describeFetchError(cause)}`, { cause });
  } finally {
    idle.clear();
    progress?.stop(outcome);
  }
  if (expected !== undefined && Number.isFinite(expected) && received !== expected) {
    throw new CorpusError(`download of corpus ${url} is incomplete: got ${received} of ${expected} bytes`);
  }
  const body = concat(chunks, received);
  refuseHtml(body, url, response.headers.get('content-type'));
  decodeCorpus(body, url, opts); // refuse to cache what could never be used
  await writeFileAtomic(path, body);
  return path;
}

/**
 * A web page where the raw file was meant (a repository's file view, a login or error page) is
 * valid UTF-8 and would otherwise become the corpus, markup and all.
 */
function refuseHtml(body: Uint8Array, url: string, contentType: string | null): void {
  const head = new TextDecoder('utf-8', { fatal: false }).decode(body.subarray(0, 512)).replace(/^\ufeff/, '').trimStart();
  if (!/^<(!doctype html|html[\s>])/i.test(head)) return;
  const first = head.split('\n', 1)[0].slice(0, 40);
  throw new CorpusError(
    `download of corpus ${url} is an HTML page (content-type ${contentType ?? 'not given'}, starts with ${JSON.stringify(first)}), not a text file; ` +
      'give the URL of the raw file, or save the page and pass its path',
  );
}

function progressSink(option: ProgressSink | boolean | undefined): ProgressSink | undefined {
  if (option === false) return undefined;
  if (option === undefined || option === true) return createProgress({ unit: 'B', label: 'download' });
  return option;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
