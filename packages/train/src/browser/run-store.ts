/**
 * Where a page keeps its training runs between visits: the Origin Private File System (OPFS),
 * reachable from the worker (which saves) and from the page (which downloads). A run is a
 * directory: run.json (its RunRecord), corpus.txt, note.json (the page's chart and samples), and checkpoint-<n>/ holding contract 1's files
 * (plus model.onnx when the worker exports one). A save writes a new checkpoint-<n> and then
 * current.json naming it; each file is committed whole by createWritable's close(), so a page
 * closed during a save leaves the previous checkpoint current.
 */
import { CheckpointError } from '../checkpoint/errors.js';
import type { CheckpointFile, CheckpointReader } from '../trainer/training-checkpoint.js';
import type { RunRecord } from './protocol.js';

export interface RunStore {
  /** Records a new run and its corpus text (before training starts). */
  create(run: RunRecord, corpus: string): Promise<void>;
  /** Every stored run, oldest first. */
  list(): Promise<RunRecord[]>;
  get(id: string): Promise<RunRecord>;
  corpus(id: string): Promise<string>;
  /** Makes `files` the run's checkpoint, all or nothing. */
  saveCheckpoint(id: string, files: readonly CheckpointFile[]): Promise<void>;
  /** The current checkpoint's files (undefined before the first save). */
  checkpointFiles(id: string): Promise<CheckpointFile[] | undefined>;
  /** Reads the current checkpoint for decodeTrainingCheckpoint (undefined before the first save). */
  checkpoint(id: string): Promise<CheckpointReader | undefined>;
  remove(id: string): Promise<void>;
  /** Keeps a page's own record of the run (its chart, its samples) beside it, whole or not at all. */
  saveNote(id: string, text: string): Promise<void>;
  /** The note saved last (undefined if none). */
  note(id: string): Promise<string | undefined>;
}

/** A run id that was never stored, or storage that cannot be used. */
export class RunStoreError extends Error {
  override name = 'RunStoreError';
}

const RUN_FILE = 'run.json';
const CORPUS_FILE = 'corpus.txt';
const CURRENT_FILE = 'current.json';
const NOTE_FILE = 'note.json';

interface Current {
  dir: string;
  n: number;
}

function isNotFound(e: unknown): boolean {
  return (e as { name?: string })?.name === 'NotFoundError';
}

async function writeFile(dir: FileSystemDirectoryHandle, name: string, data: Uint8Array | string): Promise<void> {
  const handle = await dir.getFileHandle(name, { create: true });
  // createWritable writes to a swap file; close() replaces the file at once (the temp + rename of the File System spec).
  const writable = await handle.createWritable();
  await writable.write(typeof data === 'string' ? data : new Blob([data as Uint8Array<ArrayBuffer>]));
  await writable.close();
}

async function readBytes(dir: FileSystemDirectoryHandle, name: string): Promise<Uint8Array> {
  const file = await (await dir.getFileHandle(name)).getFile();
  return new Uint8Array(await file.arrayBuffer());
}

async function readText(dir: FileSystemDirectoryHandle, name: string): Promise<string> {
  return (await (await dir.getFileHandle(name)).getFile()).text();
}

/** The names in an OPFS directory. */
async function listing(dir: FileSystemDirectoryHandle): Promise<string[]> {
  const names: string[] = [];
  for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
  return names;
}

/** A run directory's current checkpoint (current.json), undefined before the first save. */
async function currentCheckpoint(dir: FileSystemDirectoryHandle): Promise<Current | undefined> {
  try {
    return JSON.parse(await readText(dir, CURRENT_FILE)) as Current;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Writes `files` as the run's next checkpoint-<n>, then current.json naming it, then removes the older ones. */
async function writeCheckpoint(dir: FileSystemDirectoryHandle, files: readonly CheckpointFile[]): Promise<void> {
  const previous = await currentCheckpoint(dir);
  const n = (previous?.n ?? 0) + 1;
  const name = `checkpoint-${n}`;
  const target = await dir.getDirectoryHandle(name, { create: true });
  for (const file of files) await writeFile(target, file.name, file.bytes);
  await writeFile(dir, CURRENT_FILE, JSON.stringify({ dir: name, n } satisfies Current));
  for (const old of await listing(dir)) {
    if (old.startsWith('checkpoint-') && old !== name) await dir.removeEntry(old, { recursive: true });
  }
}

/** The current checkpoint of run `id` for decodeTrainingCheckpoint: an unreadable file is a CheckpointError naming it. */
function checkpointReader(id: string, cur: Current, ckpt: FileSystemDirectoryHandle): CheckpointReader {
  const describe = (name: string) => `run ${id}/${cur.dir}/${name}`;
  return {
    describe,
    async read(name) {
      try {
        return await readBytes(ckpt, name);
      } catch (e) {
        throw new CheckpointError(`cannot resume: ${describe(name)} is unreadable (${(e as Error).message})`);
      }
    },
  };
}

/** The OPFS store: a directory per run under `rootName`. */
class OpfsRunStore implements RunStore {
  constructor(private readonly rootName: string) {}

  async create(run: RunRecord, corpus: string): Promise<void> {
    const dir = await this.runDir(run.id, true);
    await writeFile(dir, CORPUS_FILE, corpus);
    await writeFile(dir, RUN_FILE, JSON.stringify(run));
  }

  async list(): Promise<RunRecord[]> {
    const runs: RunRecord[] = [];
    const r = await this.root();
    for (const name of await listing(r)) {
      try {
        runs.push(JSON.parse(await readText(await r.getDirectoryHandle(name), RUN_FILE)) as RunRecord);
      } catch (e) {
        if (!isNotFound(e)) throw e; // a run whose creation was interrupted has no run.json: not a run
      }
    }
    return runs.sort((a, b) => a.created.localeCompare(b.created));
  }

  async get(id: string): Promise<RunRecord> {
    return JSON.parse(await readText(await this.runDir(id), RUN_FILE)) as RunRecord;
  }

  async corpus(id: string): Promise<string> {
    return readText(await this.runDir(id), CORPUS_FILE);
  }

  async saveCheckpoint(id: string, files: readonly CheckpointFile[]): Promise<void> {
    await writeCheckpoint(await this.runDir(id), files);
  }

  async checkpointFiles(id: string): Promise<CheckpointFile[] | undefined> {
    const dir = await this.runDir(id);
    const cur = await currentCheckpoint(dir);
    if (!cur) return undefined;
    const ckpt = await dir.getDirectoryHandle(cur.dir);
    const names = (await listing(ckpt)).sort();
    return Promise.all(names.map(async (name) => ({ name, bytes: await readBytes(ckpt, name) })));
  }

  async checkpoint(id: string): Promise<CheckpointReader | undefined> {
    const dir = await this.runDir(id);
    const cur = await currentCheckpoint(dir);
    if (!cur) return undefined;
    return checkpointReader(id, cur, await dir.getDirectoryHandle(cur.dir));
  }

  async remove(id: string): Promise<void> {
    await (await this.root()).removeEntry(id, { recursive: true });
  }

  async saveNote(id: string, text: string): Promise<void> {
    await writeFile(await this.runDir(id), NOTE_FILE, text);
  }

  async note(id: string): Promise<string | undefined> {
    try {
      return await readText(await this.runDir(id), NOTE_FILE);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async root(): Promise<FileSystemDirectoryHandle> {
    const storage = (globalThis as { navigator?: { storage?: { getDirectory?: () => Promise<FileSystemDirectoryHandle> } } }).navigator?.storage;
    if (typeof storage?.getDirectory !== 'function') {
      throw new RunStoreError('this browser has no Origin Private File System (navigator.storage.getDirectory); runs cannot be kept between visits');
    }
    return (await storage.getDirectory()).getDirectoryHandle(this.rootName, { create: true });
  }

  private async runDir(id: string, create = false): Promise<FileSystemDirectoryHandle> {
    try {
      return await (await this.root()).getDirectoryHandle(id, { create });
    } catch (e) {
      if (isNotFound(e)) throw new RunStoreError(`no stored run ${JSON.stringify(id)}`);
      throw e;
    }
  }
}

/** The OPFS store; `rootName` is the directory under the origin's root (tests use their own). */
export function opfsRunStore(rootName = 'charrnn-runs'): RunStore {
  return new OpfsRunStore(rootName);
}
