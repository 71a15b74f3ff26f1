import * as tf from '@tensorflow/tfjs-core';
import type { InferenceSession } from 'onnxruntime-common';
import { IO, type GraphKind } from '@charrnn/contract';
import { isModuleMissing, ONNXRUNTIME_NODE_INSTALL_HINT } from '@charrnn/contract/node';
import { Rng } from '@charrnn/data';
import { loadOrtNode } from '@charrnn/train';
import { CharModel } from '@charrnn/train/tfjs';
// Types from the browser entry: this file's declarations then load no TensorFlow.js types.
import type { ModelConfig, Weights } from '@charrnn/train/browser';
import type { ExportSource } from './export-source.js';
import { readOnnxMetadata } from './metadata.js';
import { runStateful, type OrtRuntime, type StatefulRunResult } from './stateful-run.js';

/** Default absolute tolerances: float32 rounding only, or weights and arithmetic in float16. */
export const DEFAULT_TOLERANCE = { float32: 1e-4, float16: 5e-2 } as const;

export interface VerifyOptions {
  /** Characters run through both models (default 200). */
  chars?: number;
  /** Parallel streams (default 1). */
  batch?: number;
  /** Maximum allowed absolute difference of logits and state (default DEFAULT_TOLERANCE by precision). */
  tolerance?: number;
  /** Seed of the random character ids (default 0). */
  seed?: number;
  /** The ONNX runtime to check with (default onnxruntime-node, an optional peer; onnxruntime-web fits too). */
  runtime?: VerifyRuntime;
}

/** The part of onnxruntime-node's or onnxruntime-web's module verification uses. */
export type VerifyRuntime = OrtRuntime & { InferenceSession: { create(bytes: Uint8Array): Promise<InferenceSession> } };

/** Why exportCheckpoint skips verification where onnxruntime-node is not installed (ExportResult.verificationSkipped). */
export const VERIFICATION_SKIPPED = `onnxruntime-node is not installed, so the model was not run against the tfjs model; ${ONNXRUNTIME_NODE_INSTALL_HINT} to verify exports`;

/**
 * onnxruntime-node, or undefined when it is not installed: it is an optional peer, so an export
 * without it is written unverified and says so. An install that is present but broken throws.
 */
export async function optionalOrtNode(loader: (specifier: string) => Promise<unknown> = (s) => import(s)): Promise<VerifyRuntime | undefined> {
  try {
    await loader('onnxruntime-node');
  } catch (error) {
    if (isModuleMissing(error, 'onnxruntime-node')) return undefined;
  }
  return loadOrtNode(loader);
}

export interface MaxAbsDiff {
  logits: number;
  h: number;
  /** LSTM only. */
  c?: number;
}

export interface VerifyReport {
  graph: GraphKind;
  precision: 'float32' | 'float16';
  chars: number;
  batch: number;
  /** Session runs, each carrying hn (and cn) into the next call's h0 (and c0). */
  calls: number;
  maxAbsDiff: MaxAbsDiff;
  tolerance: number;
  passed: boolean;
}

export class VerificationError extends Error {
  override name = 'VerificationError';
  constructor(readonly report: VerifyReport) {
    super(
      `the exported model differs from the tfjs model by ${formatDiffs(report.maxAbsDiff)} over ${report.chars} characters, ` +
        `more than the tolerance ${report.tolerance}`,
    );
  }
}

export function formatDiffs(diff: MaxAbsDiff): string {
  const parts = [`${IO.logits} ${diff.logits.toExponential(2)}`, `${IO.hn} ${diff.h.toExponential(2)}`];
  if (diff.c !== undefined) parts.push(`${IO.cn} ${diff.c.toExponential(2)}`);
  return `max |Δ| ${parts.join(', ')}`;
}

/** Chunk lengths covering `chars`: single characters for the step graph; 7, 1, 19, 64, … for fused (odd sizes, and a 1). */
export function verificationChunks(graph: GraphKind, chars: number): number[] {
  if (graph === 'step') return Array<number>(chars).fill(1);
  const pattern = [7, 1, 19, 64];
  const chunks: number[] = [];
  for (let done = 0, i = 0; done < chars; i++) {
    const size = Math.min(pattern[i % pattern.length], chars - done);
    chunks.push(size);
    done += size;
  }
  return chunks;
}

/** Uniform random character ids, [chars, batch] time-major. */
export function randomTokens(vocabSize: number, chars: number, batch: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: chars * batch }, () => Math.floor(rng.next() * vocabSize));
}

export class VerificationSetupError extends Error {
  override name = 'VerificationSetupError';
}

async function requireTfjsBackend(): Promise<void> {
  try {
    await tf.ready();
  } catch (error) {
    throw new VerificationSetupError(
      `verification runs the tfjs model, but no tfjs backend is active (${(error as Error).message}); call selectBackend('cpu') from @charrnn/train first`,
    );
  }
}

/** The tfjs model's logits and final state for `tokens` in one call from a zero state. */
export function tfjsForward(config: ModelConfig, weights: Weights, tokens: Int32Array, batch: number): StatefulRunResult {
  const model = CharModel.fromWeights(config, weights);
  try {
    return tf.tidy(() => {
      const seq = tokens.length / batch;
      const { logits, state } = model.forward(tf.tensor2d(tokens, [seq, batch], 'int32'), model.zeroState(batch));
      return {
        logits: logits.dataSync() as Float32Array,
        h: state.h.dataSync() as Float32Array,
        c: state.c ? (state.c.dataSync() as Float32Array) : undefined,
      };
    });
  } finally {
    model.dispose();
  }
}

/** Largest |a − b|; NaN if any difference is NaN (Math.max propagates it), which fails every tolerance. */
function maxAbs(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/**
 * Runs `chars` random characters through the ONNX model in chunks, carrying hn → h0 (and
 * cn → c0) between calls, and through the tfjs CharModel of `source` in one call; reports the
 * largest absolute differences of logits and final state. Needs an active tfjs backend.
 */
export async function verifyOnnx(bytes: Uint8Array, source: ExportSource, options: VerifyOptions = {}): Promise<VerifyReport> {
  const info = readOnnxMetadata(bytes);
  await requireTfjsBackend();
  const chars = options.chars ?? 200;
  const batch = options.batch ?? 1;
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE[info.precision];
  // Asked for by name: a missing onnxruntime-node is an error here (OrtRuntimeError with the install hint).
  const runtime = options.runtime ?? (await loadOrtNode());
  const chunks = verificationChunks(info.graph, chars);
  const tokens = randomTokens(source.config.vocabSize, chars, batch, options.seed ?? 0);

  const session = await runtime.InferenceSession.create(bytes);
  let onnxResult: StatefulRunResult;
  try {
    onnxResult = await runStateful(runtime, session, source.config, tokens, batch, chunks, info.precision === 'float16');
  } finally {
    await session.release();
  }
  const reference = tfjsForward(source.config, new Map(source.weights), tokens, batch);

  const maxAbsDiff: MaxAbsDiff = { logits: maxAbs(onnxResult.logits, reference.logits), h: maxAbs(onnxResult.h, reference.h) };
  if (reference.c && onnxResult.c) maxAbsDiff.c = maxAbs(onnxResult.c, reference.c);
  const worst = Math.max(maxAbsDiff.logits, maxAbsDiff.h, maxAbsDiff.c ?? 0);
  return { graph: info.graph, precision: info.precision, chars, batch, calls: chunks.length, maxAbsDiff, tolerance, passed: worst <= tolerance };
}
