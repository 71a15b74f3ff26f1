/**
 * Which model `serve:start` serves when given none: the newest ONNX file that export:onnx wrote
 * under `checkpoints/<name>/` (newest by modification time, as export picks the newest
 * checkpoint), else the demo model that ships with infer-web.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ServerOptionError } from './errors.js';

/** Where `nx run train:fit` writes checkpoints and export:onnx their model.onnx, from the workspace root. */
export const DEFAULT_CHECKPOINT_ROOT = 'checkpoints';
/** The demo model in the repository (a 1-layer GRU, hidden 128, trained on the embedded corpus). */
export const DEFAULT_DEMO_MODEL = 'packages/infer-web/demo/nietzsche-gru.onnx';

export interface DefaultModel {
  path: string;
  /** Why this one: 'checkpoint' (newest exported) or 'demo'. */
  kind: 'checkpoint' | 'demo';
}

async function mtime(file: string): Promise<number | undefined> {
  return stat(file).then(
    (s) => (s.isFile() ? s.mtimeMs : undefined),
    () => undefined,
  );
}

export async function findDefaultModel(root: string = process.cwd()): Promise<DefaultModel> {
  const checkpoints = path.join(root, DEFAULT_CHECKPOINT_ROOT);
  const dirs = await readdir(checkpoints, { withFileTypes: true }).catch(() => []);
  let newest: { path: string; mtime: number } | undefined;
  for (const dir of dirs) {
    if (!dir.isDirectory()) continue;
    const files = await readdir(path.join(checkpoints, dir.name)).catch(() => [] as string[]);
    for (const file of files) {
      if (!file.toLowerCase().endsWith('.onnx')) continue;
      const full = path.join(checkpoints, dir.name, file);
      const modified = await mtime(full);
      if (modified !== undefined && (newest === undefined || modified > newest.mtime)) newest = { path: full, mtime: modified };
    }
  }
  if (newest !== undefined) return { path: newest.path, kind: 'checkpoint' };
  const demo = path.join(root, DEFAULT_DEMO_MODEL);
  if ((await mtime(demo)) !== undefined) return { path: demo, kind: 'demo' };
  throw new ServerOptionError(
    `no model to serve: no ${DEFAULT_CHECKPOINT_ROOT}/<name>/*.onnx under ${root} (charrnn-export, nx run export:onnx in the workspace, writes one) and no ${DEFAULT_DEMO_MODEL}; pass --model <file.onnx>`,
  );
}
