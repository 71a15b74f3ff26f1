import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { workspaceSources } from '../../../../../tools/esbuild-workspace-sources.mjs';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface WorkerBundle {
  url: URL;
  remove(): Promise<void>;
}

/**
 * A worker thread runs outside jest, so it cannot load TypeScript: its entry (a source file of
 * this package) is bundled by esbuild, by default into a fresh folder under packages/train/.cache
 * (where node_modules resolves the `external` packages), or as `outfile`; workspace packages come
 * from their sources, as in jest, so no build is needed.
 */
export async function bundleWorker(entry: string, external: string[], outfile?: string): Promise<WorkerBundle> {
  let dir: string | null = null;
  if (!outfile) {
    await mkdir(path.join(packageDir, '.cache'), { recursive: true });
    dir = await mkdtemp(path.join(packageDir, '.cache', 'worker-test-'));
    outfile = path.join(dir, `${path.basename(entry, '.ts')}.mjs`);
  }
  await esbuild.build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', external, logLevel: 'silent', plugins: [workspaceSources()] });
  const written = outfile;
  return { url: pathToFileURL(outfile), remove: () => rm(dir ?? written, { recursive: true, force: true }) };
}
