import path from 'node:path';
import { checkFileTarget, writeFileAtomic } from '@charrnn/contract/node';
import { loadModelCheckpoint } from '@charrnn/train';
// Types from the browser entry: this file's declarations then load no TensorFlow.js types.
import type { ModelConfig } from '@charrnn/train/browser';
import { buildOnnxModel, resolveBuildOptions, type BuildOptions } from './build.js';
import { optionalOrtNode, VERIFICATION_SKIPPED, VerificationError, verifyOnnx, type VerifyOptions, type VerifyReport } from './verify.js';

/** File name of the exported model when no output path is given: beside the checkpoint's weights. */
export const DEFAULT_ONNX_FILE = 'model.onnx';

export interface ExportOptions extends BuildOptions {
  /** Where to write; default `<checkpoint>/model.onnx`. */
  out?: string;
  /**
   * Check the model against the tfjs model before writing it (default true). Without onnxruntime-node
   * (an optional peer) and no `verifyOptions.runtime`, the check is skipped and `verificationSkipped` says so.
   */
  verify?: boolean;
  verifyOptions?: VerifyOptions;
  /** Imports onnxruntime-node for verification; injectable so tests can simulate a missing or broken install. */
  loader?: (specifier: string) => Promise<unknown>;
}

export interface ExportResult {
  checkpoint: string;
  config: ModelConfig;
  out: string;
  bytes: number;
  options: Required<BuildOptions>;
  /** Absent when verification was switched off or skipped. */
  verification?: VerifyReport;
  /** Why verification did not run although it was on: onnxruntime-node is not installed. */
  verificationSkipped?: string;
}

/**
 * Checkpoint directory → verified ONNX file. The model is built and verified in memory and only
 * then written (temp file + rename), so a bad checkpoint, bad options or a failed verification
 * never leave a file, partial or whole, at `out`. Verification needs an active tfjs backend.
 */
export async function exportCheckpoint(checkpoint: string, options: ExportOptions = {}): Promise<ExportResult> {
  const resolved = resolveBuildOptions(options);
  // An output path that can never be written is refused before minutes of building and verifying.
  // The default one lies in the checkpoint, which is then read first: a file given for the
  // checkpoint directory is named as such rather than as an output path that cannot be written.
  const out = options.out ?? path.join(checkpoint, DEFAULT_ONNX_FILE);
  const early = options.out === undefined ? await loadModelCheckpoint(checkpoint) : undefined;
  await checkFileTarget(out);
  const source = early ?? (await loadModelCheckpoint(checkpoint));
  const bytes = buildOnnxModel(source, resolved);
  let verification: VerifyReport | undefined;
  let verificationSkipped: string | undefined;
  if (options.verify ?? true) {
    const runtime = options.verifyOptions?.runtime ?? (await optionalOrtNode(options.loader));
    if (runtime === undefined) {
      verificationSkipped = VERIFICATION_SKIPPED;
    } else {
      verification = await verifyOnnx(bytes, source, { ...options.verifyOptions, runtime });
      if (!verification.passed) throw new VerificationError(verification);
    }
  }
  await writeFileAtomic(out, bytes);
  return { checkpoint, config: source.config, out, bytes: bytes.length, options: resolved, verification, ...(verificationSkipped ? { verificationSkipped } : {}) };
}
