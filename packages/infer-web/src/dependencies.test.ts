import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// A web app that installs @charrnn/infer-web for its browser entry gets what npm installs for it:
// its dependencies, theirs, and the peers that are not optional, all the way down. None of that
// may be the data pipeline, a CLI framework or a progress bar.
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const WORKSPACE = join(PACKAGE_DIR, '..', '..');

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** Where `name` is installed for a package in `from`: a workspace package's folder, else node_modules up the tree, as Node looks. */
function packageDir(name: string, from: string): string {
  if (name.startsWith('@charrnn/')) return join(WORKSPACE, 'packages', name.slice('@charrnn/'.length));
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`${name} (needed from ${from}) is not installed`);
  }
}

/** What npm installs with the package in `dir`: every package reachable through dependencies, optional ones and non-optional peers. */
function installClosure(dir: string): Set<string> {
  const seen = new Set<string>();
  const visit = (at: string) => {
    const manifest = readManifest(at);
    const optionalPeers = new Set(Object.entries(manifest.peerDependenciesMeta ?? {}).filter(([, meta]) => meta.optional).map(([name]) => name));
    const names = [
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}).filter((name) => !optionalPeers.has(name)),
    ];
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      // An optional dependency for another platform is not installed here; npm skips it there too.
      const installed = (() => {
        try {
          return packageDir(name, at);
        } catch (error) {
          if (manifest.optionalDependencies?.[name] !== undefined) return undefined;
          throw error;
        }
      })();
      if (installed) visit(installed);
    }
  };
  visit(dir);
  return seen;
}

const UNWANTED = ['@charrnn/data', 'commander', 'cli-progress'];

describe("infer-web's install", () => {
  test('brings neither @charrnn/data nor commander nor cli-progress, at any depth', () => {
    const closure = installClosure(PACKAGE_DIR);
    // What it does bring: the contract and onnxruntime-web with its own dependencies.
    expect([...closure]).toEqual(expect.arrayContaining(['@charrnn/contract', 'onnxruntime-web', 'onnxruntime-common', 'protobufjs']));
    expect(UNWANTED.filter((name) => closure.has(name))).toEqual([]);
  });

  test('the walk finds them where they are: train brings all three', () => {
    // The same walk over a package that does need them, so that the test above cannot pass by finding nothing.
    const closure = installClosure(join(WORKSPACE, 'packages', 'train'));
    expect(UNWANTED.filter((name) => closure.has(name))).toEqual(UNWANTED);
  });

  test('every published source imports only node: modules and what the manifest declares', () => {
    const manifest = readManifest(PACKAGE_DIR);
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    const builtins = new Set(builtinModules);
    const sources = (readdirSync(join(PACKAGE_DIR, 'src'), { recursive: true }) as string[])
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.includes('test-helpers'))
      .map((file) => join(PACKAGE_DIR, 'src', file));
    expect(sources.length).toBeGreaterThan(20);
    const undeclared: string[] = [];
    for (const file of sources) {
      const text = readFileSync(file, 'utf8');
      const specifiers = [...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/gm)].map((m) => m[1] ?? m[2]);
      for (const specifier of specifiers.filter((s) => !s.startsWith('.'))) {
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
        if (specifier.startsWith('node:') || builtins.has(name) || declared.has(name)) continue;
        undeclared.push(`${relative(PACKAGE_DIR, file)}: ${specifier}`);
      }
    }
    expect(undeclared).toEqual([]);
  });
});
