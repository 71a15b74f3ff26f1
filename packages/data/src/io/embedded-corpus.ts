import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { decodeCorpus } from '../corpus-text.js';
import { CorpusError } from '../errors.js';

/** nietzsche.txt shipped in the package; the same relative path holds from src/io and dist/io. */
export const EMBEDDED_CORPUS_PATH = fileURLToPath(new URL('../../corpus/nietzsche.txt', import.meta.url));
export const EMBEDDED_CORPUS_SHA256 = '9cb94a5f1f8d1359e2e018fa67306eba4ae03942b8c44643eececded39e096df';
/** How the embedded corpus is named in `loadCorpus` results and in error messages. */
export const EMBEDDED_CORPUS_SOURCE = 'embedded:nietzsche.txt';

/** The lesson's corpus, checked against its published sha256 so a damaged install fails loudly. */
export async function readEmbeddedCorpus(): Promise<string> {
  return readVerifiedCorpus(EMBEDDED_CORPUS_PATH, EMBEDDED_CORPUS_SHA256);
}

export async function readVerifiedCorpus(path: string, sha256: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new CorpusError(`embedded corpus ${path} cannot be read (${errorMessage(cause)}); reinstall @charrnn/data`, { cause });
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha256) {
    throw new CorpusError(`corpus ${path} has sha256 ${actual}, expected ${sha256}; the file is damaged or was replaced`);
  }
  return decodeCorpus(bytes, path);
}

/** Duck-typed, not `instanceof Error`: errors from another realm (undici, jest's vm) fail that test. */
export function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') return error.message;
  return String(error);
}
