/**
 * The seam between the runtime-free core and a runtime (onnxruntime-node, onnxruntime-web, a
 * test double): one recurrent step over a [seq, batch] block of token ids.
 */
import type { ModelInfo } from '@charrnn/contract';

export interface RecurrentOutputs {
  /** [seq, batch, vocab] unnormalised. */
  logits: Float32Array;
  /** [layers, batch, hidden]. */
  hn: Float32Array;
  /** LSTM only: [layers, batch, hidden]. */
  cn?: Float32Array;
}

export interface RecurrentSession {
  /** The execution provider actually in use ('cpu', 'cuda', 'wasm', 'webgpu', …). */
  readonly backend: string;
  /**
   * Runs `tokens` ([seq, batch], time-major) from state h0 (and c0 for LSTM). The caller may
   * reuse the same arrays between calls (the adapter may cache tensors wrapping them); the
   * returned arrays are only valid until the next run.
   */
  run(tokens: BigInt64Array, seq: number, batch: number, h0: Float32Array, c0?: Float32Array): Promise<RecurrentOutputs>;
  release(): Promise<void>;
}

export interface Logger {
  warn(message: string): void;
  info?(message: string): void;
}

/** What an entry point supplies: how to read a model named by a string, and how to run it. */
export interface Runtime {
  readonly name: string;
  readModel(
    source: string | URL,
    onProgress?: (loaded: number, total: number | undefined) => void,
    options?: { idleTimeoutMs?: number },
  ): Promise<Uint8Array>;
  createSession(model: Uint8Array, info: ModelInfo): Promise<RecurrentSession>;
}
