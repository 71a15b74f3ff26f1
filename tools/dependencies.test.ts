import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// What npm installs with each published package: its dependencies, theirs, and the peers that are
// not optional, all the way down. A web app that installs @charrnn/infer-web, or a server that
// installs @charrnn/serve, must get neither the data pipeline nor a progress bar (nor, for the web
// app, a CLI framework); and each package lists exactly the workspace packages its sources import,
// so that a dependency left behind after a move, or an import nobody declared, fails here.
const WORKSPACE = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const PUBLISHED = ['contract', 'data', 'graph', 'train', 'export', 'infer-web', 'serve'];

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const packageRoot = (pkg: string) => join(WORKSPACE, 'packages', pkg);
const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** Where `name` is installed for a package in `from`: a workspace package's folder, else node_modules up the tree, as Node looks. */
function packageDir(name: string, from: string): string {
  if (name.startsWith('@charrnn/')) return packageRoot(name.slice('@charrnn/'.length));
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

/** The package names the published sources of `pkg` import (bare specifiers; node: and builtins left out), with the files importing each. */
function importedPackages(pkg: string): Map<string, string[]> {
  const root = packageRoot(pkg);
  const builtins = new Set(builtinModules);
  const sources = (readdirSync(join(root, 'src'), { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.includes('test-helpers') && !file.includes('bench'))
    .map((file) => join(root, 'src', file));
  const imported = new Map<string, string[]>();
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/gm)].map((m) => m[1] ?? m[2]);
    for (const specifier of specifiers.filter((s) => !s.startsWith('.'))) {
      const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
      if (specifier.startsWith('node:') || builtins.has(name)) continue;
      imported.set(name, [...(imported.get(name) ?? []), relative(root, file)]);
    }
  }
  return imported;
}

const CLI_AND_DATA = ['@charrnn/data', 'commander', 'cli-progress'];

describe("the packages' installs", () => {
  test('infer-web brings neither @charrnn/data nor commander nor cli-progress, at any depth', () => {
    const closure = installClosure(packageRoot('infer-web'));
    // What it does bring: the contract and onnxruntime-web with its own dependencies.
    expect([...closure]).toEqual(expect.arrayContaining(['@charrnn/contract', 'onnxruntime-web', 'onnxruntime-common', 'protobufjs']));
    expect(CLI_AND_DATA.filter((name) => closure.has(name))).toEqual([]);
  });

  test('serve brings neither @charrnn/data nor cli-progress (commander is its CLI), at any depth', () => {
    const closure = installClosure(packageRoot('serve'));
    expect([...closure]).toEqual(expect.arrayContaining(['@charrnn/infer-web', '@charrnn/contract', 'fastify', 'commander']));
    expect(['@charrnn/data', 'cli-progress'].filter((name) => closure.has(name))).toEqual([]);
  });

  test('the walk finds them where they are: train brings all three', () => {
    // The same walk over a package that does need them, so that the tests above cannot pass by finding nothing.
    const closure = installClosure(packageRoot('train'));
    expect(CLI_AND_DATA.filter((name) => closure.has(name))).toEqual(CLI_AND_DATA);
  });

  test.each(PUBLISHED)('%s: every published source imports only node: modules and what the manifest declares', (pkg) => {
    const manifest = readManifest(packageRoot(pkg));
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    const imported = importedPackages(pkg);
    // Only the contract imports no package; a walk that found nothing elsewhere would prove nothing.
    expect([pkg, imported.size > 0]).toEqual([pkg, pkg !== 'contract']);
    const undeclared = [...imported].filter(([name]) => !declared.has(name)).map(([name, files]) => `${name} (${files.join(', ')})`);
    expect(undeclared).toEqual([]);
  });

  test.each(PUBLISHED)('%s: every @charrnn dependency it lists is imported by a published source', (pkg) => {
    const listed = Object.keys(readManifest(packageRoot(pkg)).dependencies ?? {}).filter((name) => name.startsWith('@charrnn/'));
    const imported = importedPackages(pkg);
    expect(listed.filter((name) => !imported.has(name))).toEqual([]);
  });

  test('export takes the cell facts (gateCount) from @charrnn/graph or the contract, and its only @charrnn/data import is the training Rng', () => {
    const imported = importedPackages('export');
    expect(imported.get('@charrnn/data')).toEqual(['src/verify.ts']);
    const fromTrain = imported.get('@charrnn/train') ?? [];
    const gateCountFromTrain = fromTrain.filter((file) => /gateCount[^;]*from '@charrnn\/train/.test(readFileSync(join(packageRoot('export'), file), 'utf8')));
    expect(gateCountFromTrain).toEqual([]);
    expect(readFileSync(join(packageRoot('export'), 'src', 'verify.ts'), 'utf8')).toMatch(/^import \{ Rng \} from '@charrnn\/data';$/m);
  });
});
