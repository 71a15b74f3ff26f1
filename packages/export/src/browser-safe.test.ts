import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { workspaceSources } from '../../../tools/esbuild-workspace-sources.mjs';

// A page builds contract-2 ONNX from the weights it trained: the browser entry must bundle with
// nothing from Node, onnxruntime-node or TensorFlow.js.
describe('browser safety', () => {
  const bundle = (name: string) =>
    build({
      entryPoints: [fileURLToPath(new URL(`./${name}.ts`, import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [workspaceSources()],
    });

  test('browser.ts bundles for the browser with no Node built-ins, no onnxruntime-node and no tfjs', async () => {
    const result = await bundle('browser');
    expect(result.errors).toEqual([]);
    expect(result.outputFiles[0].text).toContain('buildOnnxModel');
    expect(result.outputFiles[0].text).not.toMatch(/from\s*["']node:|require\(["'](fs|path|crypto|os)/);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((f) => /@tensorflow|onnxruntime-node/.test(f))).toEqual([]);
    expect(inputs.some((f) => f.endsWith('train/src/browser.ts'))).toBe(true);
  });

  test('the check can fail: index.ts (verification on onnxruntime-node and tfjs) does not bundle for the browser', async () => {
    await expect(bundle('index')).rejects.toThrow(/node:|Could not resolve/);
  });
});
