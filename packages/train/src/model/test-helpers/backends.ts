// Activates a tfjs backend for a test file; 'wasm' proves every op has a wasm kernel and gradient.
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../backend/select.js';

export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  await selectBackend(name);
  if (tf.getBackend() !== name) throw new Error(`wanted backend ${name}, got ${tf.getBackend()}`);
}
