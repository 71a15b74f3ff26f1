import { isModuleMissing, loadOnnxruntimeNode, OnnxruntimeNodeLoadError, ONNXRUNTIME_NODE_INSTALL_HINT } from './onnxruntime-node.js';

const byName = (name: string) => Object.assign(new Error(`Cannot find package '${name}' imported from /app/x.js`), { code: 'ERR_MODULE_NOT_FOUND' });

describe('isModuleMissing', () => {
  test("is true for the module's own ERR_MODULE_NOT_FOUND and MODULE_NOT_FOUND, as Node words them", async () => {
    const esm = await import('onnxruntime-node-not-installed' as string).catch((e: unknown) => e);
    expect(isModuleMissing(esm, 'onnxruntime-node-not-installed')).toBe(true);
    const cjs = Object.assign(new Error("Cannot find module 'onnxruntime-node'\nRequire stack:\n- x.js"), { code: 'MODULE_NOT_FOUND' });
    expect(isModuleMissing(cjs, 'onnxruntime-node')).toBe(true);
    // jest's resolver, and Node's for an absolute path: the package's own folder.
    const byPath = Object.assign(new Error("Cannot find module '/nonexistent/node_modules/@tensorflow/tfjs-node' from 'select.test.ts'"), { code: 'MODULE_NOT_FOUND' });
    expect(isModuleMissing(byPath, '@tensorflow/tfjs-node')).toBe(true);
  });

  test('is false for another missing module, a load failure, or something that is not an error', () => {
    const inner = Object.assign(new Error("Cannot find module './binding/onnxruntime_binding.node' imported from onnxruntime-node"), { code: 'ERR_MODULE_NOT_FOUND' });
    expect(isModuleMissing(inner, 'onnxruntime-node')).toBe(false);
    const innerFile = Object.assign(new Error("Cannot find module '/app/node_modules/onnxruntime-node/dist/binding.js' imported from /app/x.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    expect(isModuleMissing(innerFile, 'onnxruntime-node')).toBe(false);
    expect(isModuleMissing(byName('onnxruntime-node-gpu'), 'onnxruntime-node')).toBe(false);
    expect(isModuleMissing(new Error("libonnxruntime.so.1: cannot open shared object file ('onnxruntime-node')"), 'onnxruntime-node')).toBe(false);
    expect(isModuleMissing(undefined, 'onnxruntime-node')).toBe(false);
    expect(isModuleMissing('onnxruntime-node', 'onnxruntime-node')).toBe(false);
  });

  test('the hint says how to install without the CUDA download', () => {
    expect(ONNXRUNTIME_NODE_INSTALL_HINT).toBe(
      'install it with ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node (its install script only downloads the CUDA provider)',
    );
  });
});

describe('loadOnnxruntimeNode', () => {
  const problem = (loader: (s: string) => Promise<unknown>) =>
    loadOnnxruntimeNode(loader).then(
      () => undefined,
      (e: unknown): unknown => (e instanceof OnnxruntimeNodeLoadError ? [e.problem, e.message] : e),
    );

  test('gives the installed module, named exports or a default export', async () => {
    const api = await loadOnnxruntimeNode((s) => import(s));
    expect(typeof api.InferenceSession.create).toBe('function');
    const fake = { InferenceSession: { create: async () => 1 }, Tensor: class {} };
    expect(await loadOnnxruntimeNode(async () => ({ default: fake }))).toBe(fake);
  });

  test('names what is wrong: not installed, failed to load (first line), loaded without the API', async () => {
    expect(await problem(async () => Promise.reject(byName('onnxruntime-node')))).toEqual(['missing', 'onnxruntime-node is not installed']);
    expect(await problem(async () => Promise.reject(new Error('libonnxruntime.so.1: cannot open shared object file\n    at dlopen')))).toEqual([
      'broken',
      'onnxruntime-node failed to load: libonnxruntime.so.1: cannot open shared object file',
    ]);
    // Another package missing inside onnxruntime-node is a broken install, not a missing one.
    expect(await problem(async () => Promise.reject(byName('onnxruntime-common')))).toEqual(['broken', expect.stringMatching(/^onnxruntime-node failed to load: Cannot find package 'onnxruntime-common'/)]);
    expect(await problem(async () => ({ default: { InferenceSession: {} } }))).toEqual(['incomplete', 'onnxruntime-node loaded but has no InferenceSession/Tensor; expected onnxruntime-node 1.30']);
  });
});
