import { IO, STATE_IO, mapStates, stateOutputs } from '@charrnn/contract';
import { GraphBuildError, transpose, type Dim, type ElementType, type GraphBuilder, type StateValues } from '@charrnn/graph';
import type { ExportSource, SourceTensor } from '../export-source.js';

export interface GraphInputs {
  tokens: string;
  /** The state inputs by state name (h0, and c0 for an LSTM), each [layers, batch, hidden]. */
  state: StateValues;
}

/** A tensor of a source that validateExportSource has already checked (so absence is a bug here). */
export function weight(source: ExportSource, name: string): SourceTensor {
  const tensor = source.weights.get(name);
  if (!tensor) throw new GraphBuildError(`weights have no tensor ${name}; validate the source with validateExportSource first`);
  return tensor;
}

/**
 * Declares `tokens` int64 [seq, batch] and the state inputs, `h0` (and `c0`) [layers, batch, hidden]. `seq` is the
 * symbolic dim "seq" for the fused graph and 1 for the step graph.
 */
export function declareInputs(g: GraphBuilder, source: ExportSource, float: ElementType, seq: Dim): GraphInputs {
  const { numLayers, hiddenSize, arch } = source.config;
  const shape: Dim[] = [numLayers, 'batch', hiddenSize];
  const tokens = g.input(IO.tokens, 'int64', [seq, 'batch']);
  return { tokens, state: mapStates(arch, (s) => g.input(STATE_IO[s].input, float, shape)) };
}

/** Declares `logits` [seq, batch, vocab], `hn` (and `cn`) [layers, batch, hidden] as graph outputs. */
export function declareOutputs(g: GraphBuilder, source: ExportSource, float: ElementType, seq: Dim): void {
  const { numLayers, hiddenSize, vocabSize, arch } = source.config;
  g.output(IO.logits, float, [seq, 'batch', vocabSize]);
  for (const name of stateOutputs(arch)) g.output(name, float, [numLayers, 'batch', hiddenSize]);
}

/** nn.Embedding: row lookup of encoder.weight, [seq, batch] → [seq, batch, embed]. */
export function embed(g: GraphBuilder, source: ExportSource, float: ElementType, tokens: string): string {
  const { vocabSize, embeddingDim } = source.config;
  const table = g.initializer('encoder.weight', float, [vocabSize, embeddingDim], weight(source, 'encoder.weight').data);
  return g.op('Gather', [table, tokens], 'embedded');
}

/** nn.Linear decoder written as MatMul(h, Wᵀ) + b, into the output named `logits`. */
export function decode(g: GraphBuilder, source: ExportSource, float: ElementType, hidden: string): string {
  const { vocabSize, hiddenSize } = source.config;
  const wt = g.initializer('decoder.weight_t', float, [hiddenSize, vocabSize], transpose(weight(source, 'decoder.weight').data, vocabSize, hiddenSize));
  const b = g.initializer('decoder.bias', float, [vocabSize], weight(source, 'decoder.bias').data);
  return g.op('Add', [g.op('MatMul', [hidden, wt], 'decoded'), b], IO.logits);
}
