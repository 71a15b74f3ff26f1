/** Contract 2: opset 17 unless asked otherwise. */
export const DEFAULT_OPSET = 17;
export const MIN_OPSET = 14;
/** onnxruntime registers its CUDA GRU/LSTM/RNN kernels for opsets up to 21 only. */
export const MAX_OPSET = 21;

export class OpsetError extends Error {
  override name = 'OpsetError';
}

/** Returns `opset` if this exporter may write it, else throws OpsetError saying why and what is valid. */
export function checkOpset(opset: number): number {
  if (!Number.isInteger(opset)) {
    throw new OpsetError(`opset ${JSON.stringify(opset)} is not an integer; use ${MIN_OPSET} to ${MAX_OPSET} (default ${DEFAULT_OPSET})`);
  }
  if (opset > MAX_OPSET) {
    throw new OpsetError(
      `opset ${opset} is refused: onnxruntime registers its CUDA GRU/LSTM/RNN kernels for opsets up to ${MAX_OPSET} only, ` +
        `so a newer recurrent node would silently fall back to the CPU; use ${MIN_OPSET} to ${MAX_OPSET} (default ${DEFAULT_OPSET})`,
    );
  }
  if (opset < MIN_OPSET) {
    throw new OpsetError(
      `opset ${opset} is too old: the graphs need GRU/LSTM/RNN with the layout attribute (opset 14) and Squeeze with axes as an input (13); ` +
        `use ${MIN_OPSET} to ${MAX_OPSET} (default ${DEFAULT_OPSET})`,
    );
  }
  return opset;
}

/**
 * The IR version released together with `opset` (ONNX's versioning table: 1.9 → IR 7 / opset 14,
 * 1.10–1.13 → IR 8 / 15–18, 1.14–1.15 → IR 9 / 19–20, 1.16 → IR 10 / 21). Writing the oldest IR
 * that knows the opset keeps the file loadable by the oldest runtime that could run it.
 */
export function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}
