import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, parse } from 'node:path';
import { FileWriteError } from '../errors.js';

/**
 * Writes `data` to `path` so that readers see either the old file or the complete new one, never
 * a torn write: a temp file in the same directory (rename is only atomic within one filesystem),
 * flushed to disk, then renamed over the target. Creates the parent directory if needed.
 * Failures are FileWriteErrors naming `path` and saying what became of it: a full disk during a
 * checkpoint must say which file failed and that the previous one is still there.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await checkFileTarget(path);
  try {
    await mkdir(dir, { recursive: true });
  } catch (cause) {
    throw new FileWriteError(`cannot write ${path}: ${errnoText(cause)}`, { cause, code: errnoCode(cause) });
  }
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFileDurably(temp, data);
    await rename(temp, path);
  } catch (cause) {
    await removeTemp(temp);
    const previous = (await kindOf(path)) === 'file' ? `the previous ${path} is intact` : `nothing was written at ${path}`;
    throw new FileWriteError(`could not write ${path} (${errnoText(cause)}); ${previous}`, { cause, code: errnoCode(cause) });
  }
}

/**
 * Creates or truncates `path`, writes `data` and flushes it to disk before resolving: not atomic
 * by itself (a crash can leave part of it), for files that a rename publishes afterwards, as
 * writeFileAtomic's temp file and a checkpoint set's files are. Errors are Node's own.
 */
export async function writeFileDurably(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Throws the FileWriteError writeFileAtomic would give for a `path` that is a directory or lies
 * under a regular file, so that a long job can refuse its output path before it starts.
 */
export async function checkFileTarget(path: string): Promise<void> {
  if ((await kindOf(path)) === 'directory') {
    throw new FileWriteError(`cannot write ${path}: it is a directory; give the path of a file`, { code: 'EISDIR' });
  }
  const file = await firstFileAmongAncestors(dirname(path));
  if (file !== undefined) throw new FileWriteError(`cannot write ${path}: ${file} is a file, not a directory`, { code: 'ENOTDIR' });
}

/**
 * Removes a temp file that may never have been created. Its failure must not replace the write's
 * own error: a name too long for the temp file (the target's name plus ~20 characters) fails to
 * open and to remove alike, with ENAMETOOLONG.
 */
async function removeTemp(temp: string): Promise<void> {
  await rm(temp).catch(() => undefined);
}

async function kindOf(path: string): Promise<'file' | 'directory' | 'other' | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other';
  } catch {
    return undefined;
  }
}

/** The nearest ancestor of `dir` (or `dir` itself) that exists as something other than a directory. */
async function firstFileAmongAncestors(dir: string): Promise<string | undefined> {
  const root = parse(dir).root;
  const chain: string[] = [];
  for (let d = dir; d !== root && d !== '.'; d = dirname(d)) chain.unshift(d);
  for (const d of chain) {
    const kind = await kindOf(d);
    if (kind === undefined) return undefined;
    if (kind !== 'directory') return d;
  }
  return undefined;
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Duck-typed: errors from another realm (jest's vm) fail `instanceof Error`. */
function errnoText(error: unknown): string {
  const message = (error as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : String(error);
}
