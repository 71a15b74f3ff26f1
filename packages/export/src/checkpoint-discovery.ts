import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { MODEL_FILE } from '@charrnn/train';

/** Where `nx run train:fit` writes `checkpoints/<name>/`, relative to the workspace root. */
export const DEFAULT_CHECKPOINT_ROOT = 'checkpoints';

export class CheckpointNotFoundError extends Error {
  override name = 'CheckpointNotFoundError';
}

/** The subdirectory of `root` whose model.safetensors was written last. */
export async function newestCheckpoint(root: string = DEFAULT_CHECKPOINT_ROOT): Promise<string> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    throw new CheckpointNotFoundError(`no checkpoint directory ${root} (charrnn-fit, nx run train:fit in the workspace, writes ${root}/<name>/${MODEL_FILE}); pass --checkpoint <dir>`);
  }
  let newest: { dir: string; mtime: number } | undefined;
  for (const name of names) {
    const dir = path.join(root, name);
    const modified = await stat(path.join(dir, MODEL_FILE)).then(
      (s) => s.mtimeMs,
      () => undefined,
    );
    if (modified !== undefined && (newest === undefined || modified > newest.mtime)) newest = { dir, mtime: modified };
  }
  if (!newest) {
    throw new CheckpointNotFoundError(`no checkpoint under ${root}: no ${root}/<name>/${MODEL_FILE} (run charrnn-fit, nx run train:fit in the workspace, or pass --checkpoint <dir>)`);
  }
  return newest.dir;
}
