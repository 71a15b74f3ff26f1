import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { isModuleMissing } from '@charrnn/contract/node';

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export class BackendError extends Error {
  override name = 'BackendError';
}

/** Imports a module by name; injectable so tests can simulate installed, missing and broken backends. */
export type ModuleLoader = (specifier: string) => Promise<unknown>;

export interface SelectBackendOptions {
  loader?: ModuleLoader;
  /** Directory holding tfjs-backend-wasm's .wasm files; defaults to the installed package's dist/. */
  wasmDir?: string;
}

export interface SelectedBackend {
  /** tfjs backend name now active: 'tensorflow', 'wasm' or 'cpu'. */
  name: string;
  /** Which packages were tried, in order, and why each was taken or skipped. */
  log: string[];
}

const NODE_GPU = '@tensorflow/tfjs-node-gpu';
const NODE_CPU = '@tensorflow/tfjs-node';
const WASM = '@tensorflow/tfjs-backend-wasm';
const CPU = '@tensorflow/tfjs-backend-cpu';

const defaultLoader: ModuleLoader = (specifier) => import(specifier);

function reason(e: unknown, specifier: string): string {
  if (isModuleMissing(e, specifier)) return `${specifier} is not installed`;
  const message = e instanceof Error ? e.message : String(e);
  return `${specifier} failed to load: ${message.split('\n')[0]}`;
}

/** The directory of tfjs-backend-wasm's .wasm binaries, found through Node's resolver. */
export function defaultWasmDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve(`${WASM}/dist/tfjs-backend-wasm.wasm`));
}

/** Sets the 'tensorflow' backend registered by a tfjs-node package; reports whether it runs on a GPU. */
async function activateNative(): Promise<{ ok: boolean; gpu: boolean; why?: string }> {
  if (tf.findBackendFactory('tensorflow') === null) return { ok: false, gpu: false, why: "it registered no 'tensorflow' backend" };
  const ok = await tf.setBackend('tensorflow');
  if (!ok) return { ok: false, gpu: false, why: "its 'tensorflow' backend failed to initialise" };
  // tfjs-node's backend exposes whether libtensorflow placed ops on a CUDA device.
  const gpu = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
  return { ok: true, gpu };
}

async function tryNative(specifier: string, requireGpu: boolean, loader: ModuleLoader, log: string[]): Promise<boolean> {
  try {
    await loader(specifier);
  } catch (e) {
    log.push(`skipped ${specifier}: ${reason(e, specifier)}`);
    return false;
  }
  const { ok, gpu, why } = await activateNative();
  if (!ok) {
    log.push(`skipped ${specifier}: ${why}`);
    return false;
  }
  if (requireGpu && !gpu) {
    log.push(`skipped ${specifier}: it loaded but sees no GPU`);
    return false;
  }
  log.push(`using ${specifier} (tfjs backend 'tensorflow'${gpu ? ', GPU' : ', CPU'})`);
  return true;
}

async function tryWasm(loader: ModuleLoader, wasmDir: string | undefined, log: string[]): Promise<boolean> {
  let mod: { setWasmPaths?: (prefix: string) => void };
  try {
    mod = (await loader(WASM)) as typeof mod;
  } catch (e) {
    log.push(`skipped ${WASM}: ${reason(e, WASM)}`);
    return false;
  }
  try {
    const dir = wasmDir ?? defaultWasmDir();
    mod.setWasmPaths?.(dir.endsWith(path.sep) || dir.endsWith('/') ? dir : dir + '/');
    if (tf.findBackendFactory('wasm') === null) throw new Error("it registered no 'wasm' backend");
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('the WebAssembly module failed to initialise');
  } catch (e) {
    log.push(`skipped ${WASM}: ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
  log.push(`using ${WASM} (tfjs backend 'wasm')`);
  return true;
}

async function tryCpu(loader: ModuleLoader, log: string[]): Promise<boolean> {
  try {
    await loader(CPU);
    if (!(await tf.setBackend('cpu'))) throw new Error("the 'cpu' backend failed to initialise");
  } catch (e) {
    log.push(`skipped ${CPU}: ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
  // On its first tensor in Node, tfjs' CPU backend prints a banner (through console.warn) advising
  // tfjs-node. It was chosen here, by name or as the last resort whose reason is in `log`, so the
  // banner is noise in the caller's output (export:onnx's verification among them): mark it shown.
  const backend = tf.backend() as { firstUse?: boolean };
  if (backend.firstUse === true) backend.firstUse = false;
  log.push(`using ${CPU} (tfjs backend 'cpu', plain JavaScript: slow)`);
  return true;
}

/**
 * Activates a tfjs backend. `auto`: tfjs-node-gpu if it loads and sees a GPU, else tfjs-node,
 * else tfjs-backend-wasm, else the plain CPU backend. `tensorflow`: only the native packages.
 * The native packages are optional peers (their install downloads libtensorflow), so a missing or
 * broken one is logged and skipped, never fatal unless it was asked for by name.
 */
export async function selectBackend(choice: BackendChoice, opts: SelectBackendOptions = {}): Promise<SelectedBackend> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new BackendError(`backend ${JSON.stringify(choice)} is not one of ${BACKEND_CHOICES.join(', ')}`);
  }
  const loader = opts.loader ?? defaultLoader;
  const log: string[] = [];
  const done = (): SelectedBackend => ({ name: tf.getBackend(), log });

  if (choice === 'auto' || choice === 'tensorflow') {
    if (await tryNative(NODE_GPU, true, loader, log)) return done();
    if (await tryNative(NODE_CPU, false, loader, log)) return done();
    if (choice === 'tensorflow') {
      throw new BackendError(`--backend tensorflow needs ${NODE_GPU} or ${NODE_CPU}: ${log.join('; ')}. Use --backend wasm or auto instead.`);
    }
  }
  if (choice === 'auto' || choice === 'wasm') {
    if (await tryWasm(loader, opts.wasmDir, log)) return done();
    if (choice === 'wasm') throw new BackendError(`--backend wasm is unavailable: ${log.join('; ')}`);
  }
  if (await tryCpu(loader, log)) return done();
  throw new BackendError(`no tfjs backend could be activated: ${log.join('; ')}`);
}
