// An esbuild plugin that resolves the workspace's own packages to their TypeScript sources, the
// same mapping as jest.preset.cjs: `@charrnn/<pkg>` → packages/<pkg>/src/index.ts and
// `@charrnn/<pkg>/<entry>` → packages/<pkg>/src/<entry>.ts. Browser bundles and the
// browser-safety tests then need no earlier build of the packages they include.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORKSPACE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** @returns {import('esbuild').Plugin} */
export function workspaceSources() {
  return {
    name: 'charrnn-workspace-sources',
    setup(build) {
      build.onResolve({ filter: /^@charrnn\/[a-z-]+(\/[a-z-]+)?$/ }, (args) => {
        const [, pkg, entry] = /^@charrnn\/([a-z-]+)(?:\/([a-z-]+))?$/.exec(args.path);
        const path = join(WORKSPACE_ROOT, 'packages', pkg, 'src', `${entry ?? 'index'}.ts`);
        if (!existsSync(path)) return { errors: [{ text: `${args.path}: no source entry ${path} in the workspace` }] };
        return { path };
      });
    },
  };
}
