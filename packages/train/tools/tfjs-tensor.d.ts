// The TensorFlow.js tensors that @charrnn/train/tfjs's declarations for TypeScript 6 and later name,
// as our own types. tfjs-core's declarations reference @webgpu/types 0.1.38, which the DOM library
// of TypeScript 6 and 7 declares again (duplicate identifiers), so a project on those that checks
// libraries could not import this entry if its declarations named tfjs-core's. These carry the
// members a caller reads; a tfjs-core tensor is assignable to them (the consumer test checks it on
// TypeScript 5.9), and a tensor returned here is a tfjs-core one at run time: `as tf.Tensor3D`
// where tfjs' ops want it.
export type DataType = 'float32' | 'int32' | 'bool' | 'complex64' | 'string';
export type TensorValues = Float32Array | Int32Array | Uint8Array | string[];

export interface Tensor {
  readonly id: number;
  readonly shape: number[];
  readonly size: number;
  readonly dtype: DataType;
  readonly rank: number;
  readonly isDisposed: boolean;
  data(): Promise<TensorValues>;
  dataSync(): TensorValues;
  dispose(): void;
}
/** A rank-0 tensor (tfjs-core types its shape as number[] too). */
export type Scalar = Tensor;
export interface Tensor1D extends Tensor {
  readonly shape: [number];
}
export interface Tensor2D extends Tensor {
  readonly shape: [number, number];
}
export interface Tensor3D extends Tensor {
  readonly shape: [number, number, number];
}
export interface Variable extends Tensor {
  readonly name: string;
  trainable: boolean;
}
