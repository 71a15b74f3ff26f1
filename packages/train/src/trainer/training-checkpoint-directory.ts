// The Node edge of a training checkpoint: its files saved as one complete set in a directory
// (checkpoint/checkpoint-sets.ts), all or nothing.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { currentCheckpointDirectory, saveCheckpointSet, type CheckpointFileOps } from '../checkpoint/checkpoint-sets.js';
import { CheckpointError } from '../checkpoint/errors.js';
import { decodeTrainingCheckpoint, encodeTrainingCheckpoint, type TrainingCheckpoint } from './training-checkpoint.js';

/**
 * Saves the checkpoint as the directory's new current set: a crash, kill -9 or full disk at any
 * moment leaves either the previous checkpoint or this one, whole. `ops` is for tests that cut a
 * save short.
 */
export async function saveTrainingCheckpoint(dir: string, ckpt: TrainingCheckpoint, ops?: CheckpointFileOps): Promise<void> {
  await saveCheckpointSet(dir, ckpt.trainer.step, encodeTrainingCheckpoint(ckpt), ops);
}

/** Reads the directory's current checkpoint (or, in a directory written before sets, its files at the top). */
export async function loadTrainingCheckpoint(dir: string): Promise<TrainingCheckpoint> {
  let from: string;
  try {
    from = await currentCheckpointDirectory(dir);
  } catch (e) {
    throw new CheckpointError(`cannot resume: ${(e as Error).message}`);
  }
  return decodeTrainingCheckpoint({
    describe: (name) => path.join(from, name),
    async read(name) {
      const file = path.join(from, name);
      try {
        return await readFile(file);
      } catch (e) {
        throw new CheckpointError(`cannot resume: ${file} is unreadable (${(e as Error).message}); expected a directory written by train:fit`);
      }
    },
  });
}
