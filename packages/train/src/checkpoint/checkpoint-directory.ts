// The Node edge of contract 1's model file: model.safetensors in a directory, written atomically.
import { access, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '@charrnn/contract/node';
import type { Weights } from '../model/weights.js';
import { MODEL_FILE, decodeModelCheckpoint, encodeModelCheckpoint, type CheckpointMeta } from './checkpoint.js';
import { CURRENT_FILE, currentCheckpointDirectory } from './checkpoint-sets.js';
import { CheckpointError } from './errors.js';

/**
 * Writes `<dir>/model.safetensors` atomically (temp file in `dir`, then rename). A directory that
 * holds a training run (its current.json) is refused: its model is the run's.
 */
export async function saveModelCheckpoint(dir: string, meta: CheckpointMeta, weights: Weights, extraMetadata: Record<string, string> = {}): Promise<void> {
  const bytes = encodeModelCheckpoint(meta, weights, extraMetadata);
  const run = path.join(dir, CURRENT_FILE);
  if (await access(run).then(() => true, () => false)) {
    throw new CheckpointError(`${dir} holds a training run (${run}); write the model into another directory, or train there with train:fit --resume`);
  }
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, MODEL_FILE), bytes);
}

/**
 * Reads the model of a checkpoint directory: its current set's model.safetensors (a train:fit
 * run), else `<dir>/model.safetensors`; errors name the file, the tensor, and expected vs actual.
 */
export async function loadModelCheckpoint(dir: string): Promise<CheckpointMeta & { weights: Weights; metadata: Record<string, string> }> {
  const file = path.join(await currentCheckpointDirectory(dir), MODEL_FILE);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new CheckpointError(`cannot read checkpoint ${file}: ${(e as Error).message} (expected a directory written by train:fit)`);
  }
  return decodeModelCheckpoint(bytes, file);
}
