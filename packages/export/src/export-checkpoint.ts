import path from 'node:path';
import { checkFileTarget, writeFileAtomic } from '@charrnn/data/node';
import { loadModelCheckpoint, type ModelConfig } from '@charrnn/train';
import { buildOnnxModel, resolveBuildOptions, type BuildOptions } from './build.js';
import { VerificationError, verifyOnnx, type VerifyOptions, type VerifyReport } from './verify.js';

/** File name of the exported model when no output path is given: beside the checkpoint's weights. */
export const DEFAULT_ONNX_FILE = 'model.onnx';

export interface ExportOptions extends BuildOptions {
  /** Where to write; default `<checkpoint>/model.onnx`. */
  out?: string;
  /** Check the model against the tfjs model before writing it (default true). */
  verify?: boolean;
  verifyOptions?: VerifyOptions;
}

export interface ExportResult {
  checkpoint: string;
  config: ModelConfig;
  out: string;
  bytes: number;
  options: Required<BuildOptions>;
  /** Absent when verification was switched off. */
  verification?: VerifyReport;
}

/**
 * Checkpoint directory → verified ONNX file. The model is built and verified in memory and only
 * then written (temp file + rename), so a bad checkpoint, bad options or a failed verification
 * never leave a file, partial or whole, at `out`. Verification needs an active tfjs backend.
 */
export async function exportCheckpoint(checkpoint: string, options: ExportOptions = {}): Promise<ExportResult> {
  const resolved = resolveBuildOptions(options);
  const out = options.out ?? path.join(checkpoint, DEFAULT_ONNX_FILE);
  // An output path that can never be written is refused before minutes of building and verifying.
  await checkFileTarget(out);
  const source = await loadModelCheckpoint(checkpoint);
  const bytes = buildOnnxModel(source, resolved);
  let verification: VerifyReport | undefined;
  if (options.verify ?? true) {
    verification = await verifyOnnx(bytes, source, options.verifyOptions);
    if (!verification.passed) throw new VerificationError(verification);
  }
  await writeFileAtomic(out, bytes);
  return { checkpoint, config: source.config, out, bytes: bytes.length, options: resolved, verification };
}
