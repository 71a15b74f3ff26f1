// Contract 1's model file as bytes, no I/O (browser-safe): the directory edge is checkpoint-directory.ts.
import { modelMetadataEntries, readModelMetadata, type ModelMetadata } from '@charrnn/contract';
import { weightProblems, type Weights } from '../model/weights.js';
import { CheckpointError } from './errors.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

export const MODEL_FILE = 'model.safetensors';

/** What a checkpoint says about its model besides the weights (the `__metadata__` of model.safetensors). */
export type CheckpointMeta = ModelMetadata;

/** The contract's metadata entries for `meta` (@charrnn/contract writes them), plus any extra keys (e.g. a step number). */
export function modelMetadata(meta: CheckpointMeta, extra: Record<string, string> = {}): Record<string, string> {
  return { ...modelMetadataEntries(meta), ...extra };
}

/**
 * Parses and checks the contract's metadata with @charrnn/contract's reader; a CheckpointError
 * names `source` and lists every problem.
 */
export function parseModelMetadata(metadata: Record<string, string>, source: string): CheckpointMeta {
  const { problems, metadata: meta } = readModelMetadata(metadata);
  if (meta === undefined) throw new CheckpointError(`${source}: ${problems.join('; ')}`);
  return meta;
}

/** Bytes of model.safetensors for `meta` and `weights`, checked against the contract first. */
export function encodeModelCheckpoint(meta: CheckpointMeta, weights: Weights, extraMetadata: Record<string, string> = {}): Uint8Array {
  const problems = weightProblems(meta.config, weights);
  if (problems.length > 0) throw new CheckpointError(`refusing to save weights that do not fit the config: ${problems.join('; ')}`);
  // What is written must read back: the same reader checks it before anything is written.
  const entries = modelMetadata(meta, extraMetadata);
  const metaProblems = readModelMetadata(entries).problems;
  if (metaProblems.length > 0) throw new CheckpointError(`refusing to save metadata that would not read back: ${metaProblems.join('; ')}`);
  return writeSafetensors(weights, entries);
}

/** Inverse of encodeModelCheckpoint; `source` names the file in errors. */
export function decodeModelCheckpoint(bytes: Uint8Array, source: string): CheckpointMeta & { weights: Weights; metadata: Record<string, string> } {
  const { tensors, metadata } = readSafetensors(bytes, source);
  const meta = parseModelMetadata(metadata, source);
  const problems = weightProblems(meta.config, tensors);
  if (problems.length > 0) throw new CheckpointError(`${source}: ${problems.join('; ')}`);
  const weights: Weights = new Map();
  for (const [name, t] of tensors) weights.set(name, { shape: t.shape, data: t.data });
  return { ...meta, weights, metadata };
}
