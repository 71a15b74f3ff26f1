// The Node edge of a training checkpoint: its files in a directory, each written atomically.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFilesAtomic } from '@charrnn/data/node';
import { CheckpointError } from '../checkpoint/errors.js';
import { HIDDEN_FILE, decodeTrainingCheckpoint, encodeTrainingCheckpoint, type TrainingCheckpoint } from './training-checkpoint.js';

/**
 * Writes the checkpoint's files into `dir` together: all of them go to temp files first and are
 * renamed over the old ones only once every one is on disk (trainer.json last), so a full disk
 * mid-save leaves the previous checkpoint whole and resumable.
 */
export async function saveTrainingCheckpoint(dir: string, ckpt: TrainingCheckpoint): Promise<void> {
  await writeFilesAtomic(dir, encodeTrainingCheckpoint(ckpt).map((file) => ({ name: file.name, data: file.bytes })));
  // An epoch-end checkpoint has no mid-epoch state: a hidden.safetensors left by an earlier interruption is stale.
  if (!ckpt.hidden) await rm(path.join(dir, HIDDEN_FILE), { force: true });
}

export function loadTrainingCheckpoint(dir: string): Promise<TrainingCheckpoint> {
  return decodeTrainingCheckpoint({
    describe: (name) => path.join(dir, name),
    async read(name) {
      const file = path.join(dir, name);
      try {
        return await readFile(file);
      } catch (e) {
        throw new CheckpointError(`cannot resume: ${file} is unreadable (${(e as Error).message}); expected a directory written by train:fit`);
      }
    },
  });
}
