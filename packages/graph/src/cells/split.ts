import { attr, type GraphBuilder } from '../graph-builder.js';

/**
 * Splits the last axis of `x` into blocks of `sizes` (gate blocks are stacked along the
 * features). One Split node with the sizes as an input (opset 13+); every onnxruntime provider,
 * WebGPU's included, implements it.
 */
export function splitLast(g: GraphBuilder, x: string, sizes: readonly number[], name: string): string[] {
  const split = g.constant('int64', [sizes.length], sizes);
  return g.node('Split', [x, split], sizes.map((_, i) => `${name}.${i}`), { axis: attr.int(-1) });
}
