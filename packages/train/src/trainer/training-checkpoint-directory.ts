// The Node edge of a training checkpoint: its files in a directory, each written atomically.
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '@charrnn/data/node';
import { CheckpointError } from '../checkpoint/errors.js';
import { HIDDEN_FILE, decodeTrainingCheckpoint, encodeTrainingCheckpoint, type TrainingCheckpoint } from './training-checkpoint.js';

/** Writes the checkpoint's files into `dir` in encodeTrainingCheckpoint's order (trainer.json last). */
export async function saveTrainingCheckpoint(dir: string, ckpt: TrainingCheckpoint): Promise<void> {
  const files = encodeTrainingCheckpoint(ckpt);
  await mkdir(dir, { recursive: true });
  for (const file of files) await writeFileAtomic(path.join(dir, file.name), file.bytes);
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
