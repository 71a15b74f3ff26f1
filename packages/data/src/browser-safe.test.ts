import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

// The core must bundle for a browser: nothing reachable from index.ts may import a Node built-in.
describe('browser safety', () => {
  const entry = (name: string) => fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const bundle = (name: string) =>
    build({ entryPoints: [entry(name)], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent' });

  test('index.ts bundles for the browser with no Node built-ins', async () => {
    const result = await bundle('index');
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0].text;
    expect(code).toContain('LanguageModelLoader');
    expect(code).not.toMatch(/from\s*["']node:|require\(["'](fs|path|crypto)/);
  });

  test('the check can fail: node.ts does not bundle for the browser', async () => {
    await expect(bundle('node')).rejects.toThrow(/node:/);
  });
});
