// A checkpoint directory as complete sets of files and one pointer, so that a save is all or
// nothing. A save writes its files into a new set directory (checkpoint-<n>/), flushed, and only
// then replaces current.json, which names the set, in one rename: a crash or a full disk at any
// moment leaves current.json naming the previous complete set (or nothing, before the first
// save). model.safetensors and trainer.json also stand at the top of the directory, as hard links
// to the current set's, for PyTorch users and scripts that read contract 1's files there; readers
// here go through current.json. A directory without current.json holds its files at the top (the
// layout before sets, and a model written by saveModelCheckpoint) and reads as it always did.
import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { FileWriteError, checkFileTarget, writeFileDurably } from '@charrnn/contract/node';
import { CheckpointError } from './errors.js';

/** The pointer: `{"format": 1, "dir": "checkpoint-<n>", "step": <step>}`. */
export const CURRENT_FILE = 'current.json';
const SET_NAME = /^checkpoint-([1-9]\d*)$/;
/** The files of a set that also stand at the top of the directory. */
const TOP_LEVEL_FILES = ['model.safetensors', 'trainer.json'];
/** Files of the flat layout that only resume reads; a save into a flat directory removes them. */
const FLAT_ONLY_FILES = ['optimizer.safetensors', 'hidden.safetensors'];

export interface CurrentSet {
  format: 1;
  /** The set's directory name, checkpoint-<n>. */
  dir: string;
  /** The optimizer step the set was saved at. */
  step: number;
}

/**
 * Every file operation a save makes that changes the disk; a test injects its own to cut a save
 * short after any one of them, as a crash or kill -9 would.
 */
export interface CheckpointFileOps {
  mkdir(dir: string): Promise<void>;
  /** Creates or truncates `file`, writes `bytes` and flushes them to disk. */
  writeFile(file: string, bytes: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Makes `to` a hard link to `from` (a copy where the filesystem has none). */
  link(from: string, to: string): Promise<void>;
  /** Removes a file or a directory tree; one that is absent is fine. */
  remove(target: string): Promise<void>;
  /** Flushes a directory's entries (a rename) to disk. */
  syncDir(dir: string): Promise<void>;
}

export const nodeFileOps: CheckpointFileOps = {
  mkdir: async (dir) => void (await mkdir(dir, { recursive: true })),
  writeFile: writeFileDurably,
  rename,
  async link(from, to) {
    try {
      await link(from, to);
    } catch (e) {
      if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
      await copyFile(from, to);
    }
  },
  remove: (target) => rm(target, { recursive: true, force: true }),
  async syncDir(dir) {
    // Windows cannot open a directory; its renames are durable without it.
    const handle = await open(dir, 'r').catch(() => undefined);
    if (!handle) return;
    try {
      await handle.sync().catch(() => undefined);
    } finally {
      await handle.close();
    }
  },
};

/** The pointer of `dir`, or undefined when it has none (no save yet, or the flat layout). */
export async function readCurrentSet(dir: string): Promise<CurrentSet | undefined> {
  const file = path.join(dir, CURRENT_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new CheckpointError(`cannot read ${file}: ${(e as Error).message}`);
  }
  let current: Partial<CurrentSet>;
  try {
    current = JSON.parse(text) as Partial<CurrentSet>;
  } catch (e) {
    throw new CheckpointError(`${file} is not valid JSON (${(e as Error).message}); expected {"format": 1, "dir": "checkpoint-<n>", "step": <step>}`);
  }
  if (typeof current !== 'object' || current === null || current.format !== 1 || typeof current.dir !== 'string' || !SET_NAME.test(current.dir) || !Number.isInteger(current.step) || current.step! < 0) {
    throw new CheckpointError(`${file} is ${text.trim().slice(0, 120)}; expected {"format": 1, "dir": "checkpoint-<n>", "step": <step ≥ 0>}`);
  }
  return current as CurrentSet;
}

/** The set directories in `dir` by number (complete or not). */
async function setsIn(dir: string): Promise<Map<number, string>> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  const sets = new Map<number, string>();
  for (const name of entries) {
    const match = SET_NAME.exec(name);
    if (match) sets.set(Number(match[1]), name);
  }
  return sets;
}

/**
 * Where the current checkpoint's files are: the set current.json names, or `dir` itself in the
 * flat layout. A directory with sets but no current.json had its first save cut short: it holds
 * no checkpoint, and says so.
 */
export async function currentCheckpointDirectory(dir: string): Promise<string> {
  if ((await stat(dir).catch(() => undefined))?.isFile()) {
    const hint = TOP_LEVEL_FILES.includes(path.basename(dir)) || FLAT_ONLY_FILES.includes(path.basename(dir)) ? `: ${path.dirname(dir)}` : '';
    throw new CheckpointError(`${dir} is a file; a checkpoint is the directory train:fit wrote, the one holding model.safetensors${hint}`);
  }
  const current = await readCurrentSet(dir);
  if (current) return path.join(dir, current.dir);
  const sets = [...(await setsIn(dir)).values()];
  const flat = (await readdir(dir).catch(() => [] as string[])).some((name) => TOP_LEVEL_FILES.includes(name));
  if (sets.length > 0 && !flat) {
    throw new CheckpointError(`${dir} holds no complete checkpoint: its first save was cut short (${sets.join(', ')} without ${CURRENT_FILE})`);
  }
  return dir;
}

/**
 * The file or set that shows `dir` holds a checkpoint (current.json, a set, or the flat layout's
 * trainer.json or model.safetensors), or undefined when it holds none.
 */
export async function checkpointMarkIn(dir: string): Promise<string | undefined> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  const mark = [CURRENT_FILE, ...[...TOP_LEVEL_FILES].reverse()].find((name) => entries.includes(name)) ?? entries.find((name) => SET_NAME.test(name));
  return mark === undefined ? undefined : path.join(dir, mark);
}

/** A temp name beside `file`, unique to this process and call. */
const tempFor = (file: string) => path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);

/** Our own temp files (from a save cut short), never another writer's (an export's model.onnx). */
function isOwnTemp(name: string): boolean {
  return [CURRENT_FILE, ...TOP_LEVEL_FILES, ...FLAT_ONLY_FILES].some((file) => name.startsWith(`.${file}.`) && name.endsWith('.tmp'));
}

/**
 * Saves `files` (all the files of one checkpoint, at optimizer step `step`) into `dir` as its new
 * current set, all or nothing, then removes what no reader needs any more: sets older than the
 * previous one (kept for a reader that looked at current.json just before the switch), sets of
 * saves that were cut short, temp files, and the flat layout's resume-only files.
 */
export async function saveCheckpointSet(dir: string, step: number, files: readonly { name: string; bytes: Uint8Array }[], ops: CheckpointFileOps = nodeFileOps): Promise<void> {
  await checkFileTarget(path.join(dir, CURRENT_FILE));
  const previous = await readCurrentSet(dir);
  const hadFlat = previous === undefined && (await readdir(dir).catch(() => [] as string[])).some((name) => TOP_LEVEL_FILES.includes(name));
  const sets = await setsIn(dir);
  const n = Math.max(0, ...sets.keys()) + 1;
  const setName = `checkpoint-${n}`;
  const setDir = path.join(dir, setName);
  const kept = previous
    ? `${dir} still holds its checkpoint of step ${previous.step} (${previous.dir})`
    : hadFlat
      ? `the previous checkpoint files in ${dir} are intact`
      : `no checkpoint was saved in ${dir} (this was its first save)`;

  let writing = setDir;
  try {
    await ops.mkdir(setDir);
    for (const file of files) {
      writing = path.join(setDir, file.name);
      await ops.writeFile(writing, file.bytes);
    }
    await ops.syncDir(setDir);
    writing = path.join(dir, CURRENT_FILE);
    const pointer = tempFor(writing);
    const current: CurrentSet = { format: 1, dir: setName, step };
    await ops.writeFile(pointer, new TextEncoder().encode(JSON.stringify(current) + '\n'));
    await ops.rename(pointer, writing); // the switch: before it the previous set is current, after it this one
  } catch (cause) {
    await ops.remove(setDir).catch(() => undefined);
    const code = (cause as NodeJS.ErrnoException).code;
    throw new FileWriteError(`could not write ${writing} (${(cause as Error).message}); ${kept}`, { cause, code });
  }
  await ops.syncDir(dir);

  for (const name of TOP_LEVEL_FILES.filter((f) => files.some((file) => file.name === f))) {
    const target = path.join(dir, name);
    const temp = tempFor(target);
    try {
      await ops.link(path.join(setDir, name), temp);
      await ops.rename(temp, target);
    } catch (cause) {
      await ops.remove(temp).catch(() => undefined);
      const code = (cause as NodeJS.ErrnoException).code;
      throw new FileWriteError(`checkpoint of step ${step} saved in ${setDir}, but ${target} could not be updated (${(cause as Error).message})`, { cause, code });
    }
  }

  // Every set but the previous one (older ones, and those of saves cut short) is stale.
  const stale = [...sets.values()].filter((name) => name !== previous?.dir);
  const entries = await readdir(dir);
  for (const name of entries) if (isOwnTemp(name) || FLAT_ONLY_FILES.includes(name) || stale.includes(name)) await ops.remove(path.join(dir, name));
}
