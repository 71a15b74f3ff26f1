/**
 * A run's downloads as one zip. fflate: MIT, no dependencies, an ESM browser build (its Node
 * build only under the `node` condition); zipSync is 8.9 kB minified, 4.4 kB gzip. The files sit
 * in a folder named for the run, so that unzipping gives the directory `train:fit --resume`
 * takes. Safetensors and ONNX files are float32 weights that deflate shrinks by only 8%
 * (measured with zlib level 6 on a 2×256 GRU checkpoint: 0.92 of model and optimizer, at ~120 ms
 * per MB), so they are stored, which keeps the page responsive; JSON is deflated.
 */
import { zipSync, type Zippable } from 'fflate';
import type { CheckpointFile } from '@charrnn/train/browser';

export function zipRun(folder: string, files: readonly CheckpointFile[]): Uint8Array {
  const entries: Zippable = {};
  for (const f of files) entries[`${folder}/${f.name}`] = [f.bytes, { level: f.name.endsWith('.json') ? 6 : 0 }];
  return zipSync(entries);
}
