import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// infer-web's browser bundle takes this package whole: it must bundle for a browser and bring
// nothing with it.
describe('browser safety', () => {
  test('index.ts bundles for the browser with nothing but its own files', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.length).toBeGreaterThan(5);
    expect(inputs.filter((file) => !/^src\/[a-z0-9-]+\.ts$/.test(file.replace(/^.*packages\/contract\//, '')))).toEqual([]);
    expect(result.outputFiles[0].text).toContain('validateContract');
  });

  test('the package has no runtime dependencies', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.peerDependencies ?? {}).toEqual({});
  });
});
