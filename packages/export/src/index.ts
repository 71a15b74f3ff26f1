// @charrnn/export — checkpoint (contract 1) → ONNX with the recurrent state as explicit inputs and
// outputs (contract 2), and the check that onnxruntime reproduces the tfjs model.
export * from './browser.js';
export { type OrtRuntime, type StatefulRunResult, StatefulRunError, runStateful } from './stateful-run.js';
export {
  type VerifyOptions,
  type VerifyReport,
  type VerifyRuntime,
  VERIFICATION_SKIPPED,
  type MaxAbsDiff,
  DEFAULT_TOLERANCE,
  VerificationError,
  VerificationSetupError,
  verifyOnnx,
} from './verify.js';
export { type ExportOptions, type ExportResult, DEFAULT_ONNX_FILE, exportCheckpoint } from './export-checkpoint.js';
export { DEFAULT_CHECKPOINT_ROOT, CheckpointNotFoundError, newestCheckpoint } from './checkpoint-discovery.js';
export {
  type TritonOptions,
  type TritonRepositoryResult,
  DEFAULT_TRITON_OPTIONS,
  TritonExportError,
  buildTritonWrapper,
  tritonConfig,
  writeTritonRepository,
} from './triton.js';
