import { jest } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { BackendError, selectBackend, type ModuleLoader } from './select.js';

const missing = (specifier: string) => Object.assign(new Error(`Cannot find package '${specifier}' imported from x`), { code: 'ERR_MODULE_NOT_FOUND' });

/** A loader where each native package is absent, present (registering a fake 'tensorflow' backend) or broken. */
function loader(native: Record<string, 'absent' | 'broken' | { gpu: boolean }>): ModuleLoader {
  return async (specifier) => {
    const how = native[specifier];
    if (how === undefined) return import(specifier);
    if (how === 'absent') throw missing(specifier);
    if (how === 'broken') throw new Error('libtensorflow.so.2: cannot open shared object file');
    tf.registerBackend('tensorflow', () => Object.assign(new MathBackendCPU(), { isUsingGpuDevice: how.gpu }));
    return {};
  };
}

afterEach(() => {
  if (tf.findBackendFactory('tensorflow')) tf.removeBackend('tensorflow');
});

const GPU = '@tensorflow/tfjs-node-gpu';
const NODE = '@tensorflow/tfjs-node';

describe('selectBackend', () => {
  test('auto with no native packages takes wasm and says why the others were skipped', async () => {
    const { name, log } = await selectBackend('auto', { loader: loader({ [GPU]: 'absent', [NODE]: 'absent' }) });
    expect(name).toBe('wasm');
    expect(log).toEqual([
      `skipped ${GPU}: ${GPU} is not installed`,
      `skipped ${NODE}: ${NODE} is not installed`,
      "using @tensorflow/tfjs-backend-wasm (tfjs backend 'wasm')",
    ]);
    expect(tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 1])).dataSync()[0])).toBe(3);
  });

  test('auto takes tfjs-node-gpu when it loads and sees a GPU', async () => {
    const { name, log } = await selectBackend('auto', { loader: loader({ [GPU]: { gpu: true }, [NODE]: 'absent' }) });
    expect(name).toBe('tensorflow');
    expect(log).toEqual([`using ${GPU} (tfjs backend 'tensorflow', GPU)`]);
  });

  test('auto skips a tfjs-node-gpu that fails to load and takes tfjs-node', async () => {
    let calls = 0;
    const base = loader({ [GPU]: 'broken', [NODE]: { gpu: false } });
    const { name, log } = await selectBackend('auto', { loader: (s) => (calls++, base(s)) });
    expect(name).toBe('tensorflow');
    expect(log[0]).toBe(`skipped ${GPU}: ${GPU} failed to load: libtensorflow.so.2: cannot open shared object file`);
    expect(log[1]).toBe(`using ${NODE} (tfjs backend 'tensorflow', CPU)`);
    expect(calls).toBe(2);
  });

  test('auto treats a GPU package that sees no GPU as skipped', async () => {
    const { log } = await selectBackend('auto', { loader: loader({ [GPU]: { gpu: false }, [NODE]: 'absent' }) });
    expect(log[0]).toBe(`skipped ${GPU}: it loaded but sees no GPU`);
    expect(log[2]).toContain('using @tensorflow/tfjs-backend-wasm');
  });

  test('auto falls back to cpu when wasm cannot load', async () => {
    const { name, log } = await selectBackend('auto', {
      loader: loader({ [GPU]: 'absent', [NODE]: 'absent', '@tensorflow/tfjs-backend-wasm': 'broken' }),
    });
    expect(name).toBe('cpu');
    expect(log[2]).toMatch(/skipped @tensorflow\/tfjs-backend-wasm: .*failed to load/);
    expect(log[3]).toMatch(/using @tensorflow\/tfjs-backend-cpu/);
  });

  test('tensorflow by name fails clearly when neither native package is there', async () => {
    await expect(selectBackend('tensorflow', { loader: loader({ [GPU]: 'absent', [NODE]: 'broken' }) })).rejects.toThrow(BackendError);
    await expect(selectBackend('tensorflow', { loader: loader({ [GPU]: 'absent', [NODE]: 'absent' }) })).rejects.toThrow(
      /--backend tensorflow needs @tensorflow\/tfjs-node-gpu or @tensorflow\/tfjs-node: .*not installed.*Use --backend wasm or auto instead/,
    );
  });

  test('wasm and cpu by name; an unknown choice is rejected', async () => {
    expect((await selectBackend('wasm')).name).toBe('wasm');
    expect((await selectBackend('cpu')).name).toBe('cpu');
    await expect(selectBackend('gpu' as 'cpu')).rejects.toThrow('backend "gpu" is not one of auto, tensorflow, wasm, cpu');
  });

  test("the cpu backend prints no tfjs-node banner on its first tensor (a fresh backend, as in a new process)", async () => {
    // A fresh instance: the banner is printed once per backend instance, on its first write.
    tf.removeBackend('cpu');
    tf.registerBackend('cpu', () => new MathBackendCPU(), 1);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect((await selectBackend('cpu')).name).toBe('cpu');
      tf.tidy(() => tf.add(tf.tensor([1, 2]), 1).dataSync());
      expect(warn.mock.calls).toEqual([]);
      // Without selectBackend's care, the same fresh backend prints it (this test would not notice its absence otherwise).
      tf.removeBackend('cpu');
      tf.registerBackend('cpu', () => new MathBackendCPU(), 1);
      await tf.setBackend('cpu');
      tf.tidy(() => tf.tensor([1]).dataSync());
      expect(String(warn.mock.calls[0]?.[0])).toContain('Hi, looks like you are running TensorFlow.js in Node.js');
    } finally {
      warn.mockRestore();
    }
  });

  test("the runtime's own error for a package that is not there reads as 'not installed'", async () => {
    // A real import() of a path that cannot exist, with the specifier in it as Node's (and
    // jest's) resolver errors have: the error object is the runtime's, not a simulation, and no
    // machine has it installed (whether tfjs-node-gpu is installed here does not matter).
    const absent = (specifier: string) => import(`/nonexistent-${process.pid}/node_modules/${specifier}`);
    const { name, log } = await selectBackend('auto', { loader: (s) => (s === GPU || s === NODE ? absent(s) : import(s)) });
    expect(log.slice(0, 2)).toEqual([`skipped ${GPU}: ${GPU} is not installed`, `skipped ${NODE}: ${NODE} is not installed`]);
    expect(name).toBe('wasm');
  });
});
