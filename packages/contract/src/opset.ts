import { OpsetError } from './errors.js';

/** Contract 2: ai.onnx opset 17 unless asked otherwise. */
export const DEFAULT_OPSET = 17;
/** GRU/LSTM/RNN gained the `layout` attribute in opset 14. */
export const MIN_OPSET = 14;
/** onnxruntime registers its CUDA GRU/LSTM/RNN kernels for opsets up to 21 only. */
export const MAX_OPSET = 21;

/** Returns `opset` if a charrnn model may use it, else throws OpsetError saying why and what is valid. */
export function checkOpset(opset: number): number {
  const valid = `use ${MIN_OPSET} to ${MAX_OPSET} (default ${DEFAULT_OPSET})`;
  if (!Number.isInteger(opset)) {
    throw new OpsetError(`opset ${JSON.stringify(opset)} is not an integer; ${valid}`);
  }
  if (opset > MAX_OPSET) {
    throw new OpsetError(
      `opset ${opset} is refused: onnxruntime registers its CUDA GRU/LSTM/RNN kernels for opsets up to ${MAX_OPSET} only, ` +
        `so a newer recurrent node would silently fall back to the CPU; ${valid}`,
    );
  }
  if (opset < MIN_OPSET) {
    throw new OpsetError(
      `opset ${opset} is too old: the graphs need GRU/LSTM/RNN with the layout attribute (opset 14) and Squeeze with axes as an input (13); ${valid}`,
    );
  }
  return opset;
}
