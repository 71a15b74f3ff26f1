/**
 * The part of an onnxruntime module charrnn uses (onnxruntime-node and onnxruntime-web share
 * onnxruntime-common's API): each package plugs in onnxruntime's own types, which this package,
 * having no dependencies, does not name.
 */
export interface OrtApi<Session = unknown, SessionOptions = unknown, TensorClass = unknown> {
  InferenceSession: { create(model: Uint8Array, options?: SessionOptions): Promise<Session> };
  Tensor: TensorClass;
}
