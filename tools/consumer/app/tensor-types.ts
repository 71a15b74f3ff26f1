// On TypeScript 5.9, where tfjs-core's declarations load: a tfjs-core tensor of each kind fits the
// tensor type that @charrnn/train/tfjs's declarations for TypeScript 6 and later name in its place.
import type * as tf from '@tensorflow/tfjs-core';
import type * as ours from './node_modules/@charrnn/train/dist/ts6/tfjs-tensor.js';
// As a consumer of the entry has tfjs-core's types: with the @types/long they reference, which
// @charrnn/train/tfjs's declarations bring in.
import type {} from '@charrnn/train/tfjs';

type Fits<T extends U, U> = [T, U];
export type Checks = [
  Fits<tf.Tensor, ours.Tensor>,
  Fits<tf.Scalar, ours.Scalar>,
  Fits<tf.Tensor1D, ours.Tensor1D>,
  Fits<tf.Tensor2D, ours.Tensor2D>,
  Fits<tf.Tensor3D, ours.Tensor3D>,
  Fits<tf.Variable, ours.Variable>,
  Fits<tf.Variable<tf.Rank.R2>, ours.Variable & ours.Tensor2D>,
];
