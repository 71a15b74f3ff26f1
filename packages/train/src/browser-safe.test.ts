import { build, type Metafile } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { workspaceSources } from '../../../tools/esbuild-workspace-sources.mjs';

// The browser entry must bundle for a page with nothing from Node and no TensorFlow.js: it is what
// a Web Worker trains with (onnxruntime-web injected).
describe('browser safety', () => {
  const entry = (name: string) => fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const bundle = (name: string) =>
    build({
      entryPoints: [entry(name)],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [workspaceSources()],
    });
  const inputs = (metafile: Metafile) => Object.keys(metafile.inputs);

  test('browser.ts bundles for the browser with no Node built-ins and no tfjs', async () => {
    const result = await bundle('browser');
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0].text;
    for (const name of ['trainingLoop', 'OrtEngine', 'encodeTrainingCheckpoint', 'decodeTrainingCheckpoint', 'buildTrainingGraph', 'serveTrainingWorker', 'BrowserTrainer', 'opfsRunStore', 'planBudget', 'measureThroughput']) expect(code).toContain(name);
    expect(code).not.toMatch(/from\s*["']node:|require\(["'](fs|path|crypto|os|worker_threads)/);
    const files = inputs(result.metafile);
    expect(files.filter((f) => f.includes('@tensorflow'))).toEqual([]);
    expect(files.filter((f) => f.includes('onnxruntime-node'))).toEqual([]);
    // What it does include: the workspace's data and graph packages, from source.
    expect(files.some((f) => f.endsWith('data/src/loader.ts'))).toBe(true);
    expect(files.some((f) => f.endsWith('graph/src/index.ts'))).toBe(true);
  });

  test('the check can fail: index.ts (Node, tfjs) does not bundle for the browser', async () => {
    await expect(bundle('index')).rejects.toThrow(/node:|Could not resolve/);
  });
});
