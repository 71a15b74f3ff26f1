import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const workspacePackages = path.resolve(packageDir, '..');

export interface WorkerBundle {
  url: URL;
  remove(): Promise<void>;
}

/**
 * A worker thread runs outside jest, so it cannot load TypeScript: its entry (a source file of
 * this package) is bundled by esbuild into packages/train/.cache, where node_modules resolves the
 * `external` packages; workspace packages (@charrnn/x, @charrnn/x/y) come from their sources, as
 * in jest, so no build is needed.
 */
export async function bundleWorker(entry: string, external: string[]): Promise<WorkerBundle> {
  await mkdir(path.join(packageDir, '.cache'), { recursive: true });
  const dir = await mkdtemp(path.join(packageDir, '.cache', 'worker-test-'));
  const outfile = path.join(dir, `${path.basename(entry, '.ts')}.mjs`);
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external,
    logLevel: 'silent',
    plugins: [
      {
        name: 'workspace-sources',
        setup(build) {
          build.onResolve({ filter: /^@charrnn\/[a-z-]+(\/[a-z-]+)?$/ }, ({ path: spec }) => {
            const [, name, sub] = spec.split('/');
            return { path: path.join(workspacePackages, name, 'src', `${sub ?? 'index'}.ts`) };
          });
        },
      },
    ],
  });
  return { url: pathToFileURL(outfile), remove: () => rm(dir, { recursive: true, force: true }) };
}
