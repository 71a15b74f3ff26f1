/**
 * An NVIDIA Triton Inference Server model repository for a contract-2 model, for scale-out on an
 * existing engine: Triton's sequence batcher keeps each sequence's state (h0 → hn, c0 → cn)
 * inside the server ("implicit state") and batches the steps of many sequences together.
 *
 * Triton's batching needs the batch as dimension 0 of every input and output (with
 * max_batch_size > 0 a config's dims leave it out), while contract 2 is time-major ([seq, batch])
 * with the state [layers, batch, hidden]. So the repository holds a wrapper graph: Transpose in,
 * the contract-2 graph unchanged, Transpose out:
 *
 *   tokens int64 [batch, seq]        → tokens [seq, batch]
 *   h0 (c0)      [batch, layers, hidden] → [layers, batch, hidden]
 *   logits [seq, batch, vocab] → [batch, seq, vocab];  hn (cn) → [batch, layers, hidden]
 *
 * Facts this relies on (Triton's model_config.proto and its implicit-state guide): implicit state
 * is supported by the onnxruntime backend; a `state` entry names the model's state input and
 * output, its data_type and dims (without the batch dim); `initial_state` with `zero_data` starts
 * every sequence from zeros, its dims also without the batch dim; the `oldest` strategy batches
 * requests of different sequences (never two of one sequence in a batch) through the dynamic
 * batcher; `max_sequence_idle_microseconds` (default 1 s) frees an idle sequence's slot.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IO, METADATA_KEYS, STATE_IO, stateNames, type Arch } from '@charrnn/contract';
import { attr, encodeModel, GraphBuilder, onnx, type Dim, type ElementType, type IGraphProto, type INodeProto } from '@charrnn/graph';
import { readOnnxMetadata, type OnnxModelInfo } from './metadata.js';

export interface TritonOptions {
  /** The model's name in the repository (its directory). Default 'charrnn'. */
  name?: string;
  /** Sequences stepped together at most (Triton's max_batch_size). Default 64. */
  maxBatchSize?: number;
  /** Sequences the oldest strategy keeps as candidates for a batch. Default 1024. */
  maxCandidateSequences?: number;
  /**
   * A sequence with no request for this long is ended and its slot freed. Default 60 s: a person
   * typing pauses for seconds, and Triton's own default of 1 s would drop their state.
   */
  idleMs?: number;
  /** How long a request may wait for others to fill a batch. Default 0: generation is latency-bound. */
  maxQueueDelayMicroseconds?: number;
}

export const DEFAULT_TRITON_OPTIONS: Readonly<Required<TritonOptions>> = Object.freeze({
  name: 'charrnn',
  maxBatchSize: 64,
  maxCandidateSequences: 1024,
  idleMs: 60_000,
  maxQueueDelayMicroseconds: 0,
});

export class TritonExportError extends Error {
  override name = 'TritonExportError';
}

function resolveTritonOptions(options: TritonOptions): Required<TritonOptions> {
  const o = { ...DEFAULT_TRITON_OPTIONS, ...options };
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(o.name)) throw new TritonExportError(`Triton model name ${JSON.stringify(o.name)} must be 1-128 letters, digits, _ . -`);
  const positive: [string, number][] = [
    ['maxBatchSize', o.maxBatchSize],
    ['maxCandidateSequences', o.maxCandidateSequences],
    ['idleMs', o.idleMs],
  ];
  for (const [key, value] of positive) {
    if (!Number.isInteger(value) || value < 1) throw new TritonExportError(`${key} is ${value}; expected an integer ≥ 1`);
  }
  if (!Number.isInteger(o.maxQueueDelayMicroseconds) || o.maxQueueDelayMicroseconds < 0) {
    throw new TritonExportError(`maxQueueDelayMicroseconds is ${o.maxQueueDelayMicroseconds}; expected an integer ≥ 0`);
  }
  return o;
}

/** The state inputs and the outputs Triton feeds back into them. */
function statePairs(arch: Arch): [string, string][] {
  return stateNames(arch).map((s) => [STATE_IO[s].input, STATE_IO[s].output]);
}

/** Names inside the wrapper for the contract-2 graph's own inputs and outputs. */
const inner = (name: string): string => `contract2.${name}`;

function renameValues(node: INodeProto, names: ReadonlyMap<string, string>): INodeProto {
  return {
    ...node,
    // Node names must be unique too, and the wrapper's Transposes are named after their outputs.
    name: inner(node.name ?? ''),
    input: (node.input ?? []).map((n) => names.get(n) ?? n),
    output: (node.output ?? []).map((n) => names.get(n) ?? n),
  };
}

/**
 * The batch-first wrapper of a contract-2 model (its bytes). The contract-2 graph's nodes and
 * initializers are kept as they are; only its inputs and outputs are renamed to internal values
 * that the Transposes read and write.
 */
export function buildTritonWrapper(contract2: Uint8Array): Uint8Array {
  const info = readOnnxMetadata(contract2);
  const model = onnx.ModelProto.decode(contract2);
  const graph = model.graph;
  if (graph === null || graph === undefined) throw new TritonExportError('the ONNX model has no graph');
  const { numLayers: L, hiddenSize: H, vocabSize: V, arch } = info.config;
  const float: ElementType = info.precision;
  const seq: Dim = info.graph === 'step' ? 1 : 'seq';
  const states = statePairs(arch);

  // Before the contract-2 graph: batch-first inputs, transposed to its layout.
  const head = new GraphBuilder('triton_inputs');
  head.op('Transpose', [head.input(IO.tokens, 'int64', ['batch', seq])], inner(IO.tokens), { perm: attr.ints([1, 0]) });
  for (const [input] of states) head.op('Transpose', [head.input(input, float, ['batch', L, H])], inner(input), { perm: attr.ints([1, 0, 2]) });
  // After it: its outputs, transposed back to batch-first.
  const tail = new GraphBuilder('triton_outputs');
  tail.op('Transpose', [tail.input(inner(IO.logits), float, [seq, 'batch', V])], IO.logits, { perm: attr.ints([1, 0, 2]) });
  tail.output(IO.logits, float, ['batch', seq, V]);
  for (const [, output] of states) {
    tail.op('Transpose', [tail.input(inner(output), float, [L, 'batch', H])], output, { perm: attr.ints([1, 0, 2]) });
    tail.output(output, float, ['batch', L, H]);
  }
  const before: IGraphProto = head.build();
  const after: IGraphProto = tail.build();

  const names = new Map<string, string>([IO.tokens, IO.logits, ...states.flat()].map((n) => [n, inner(n)]));
  const wrapped: IGraphProto = {
    name: `${graph.name ?? 'charrnn'}_batch_first`,
    input: before.input,
    output: after.output,
    initializer: [...(graph.initializer ?? []), ...(before.initializer ?? []), ...(after.initializer ?? [])],
    node: [...(before.node ?? []), ...(graph.node ?? []).map((n) => renameValues(n, names)), ...(after.node ?? [])],
  };
  return encodeModel(wrapped, {
    opset: info.opset,
    irVersion: info.irVersion,
    metadata: { ...info.props, 'charrnn.layout': 'batch-first: tokens [batch, seq], state [batch, layers, hidden] (Triton)' },
    producerName: '@charrnn/export',
    producerVersion: '0.1.0',
    docString: `Triton wrapper (batch first) around a charrnn contract-2 ${info.config.numLayers}-layer ${arch}, ${info.graph} graph`,
  });
}

/** A protobuf text-format string literal. */
function text(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;
}

/** config.pbtxt for the wrapper: onnxruntime backend, sequence batcher with implicit zero-initialised state. */
export function tritonConfig(info: OnnxModelInfo, options: TritonOptions = {}): string {
  const o = resolveTritonOptions(options);
  const { numLayers: L, hiddenSize: H, vocabSize: V, arch } = info.config;
  const type = info.precision === 'float16' ? 'TYPE_FP16' : 'TYPE_FP32';
  const seq = info.graph === 'step' ? 1 : -1;
  const states = statePairs(arch);
  const state = states
    .map(
      ([input, output]) => `    {
      input_name: ${text(input)}
      output_name: ${text(output)}
      data_type: ${type}
      dims: [ ${L}, ${H} ]
      initial_state: {
        name: ${text(`zero_${input}`)}
        data_type: ${type}
        dims: [ ${L}, ${H} ]
        zero_data: true
      }
    }`,
    )
    .join(',\n');
  const parameters = [METADATA_KEYS.format, METADATA_KEYS.config, METADATA_KEYS.vocab, METADATA_KEYS.lower, METADATA_KEYS.text, METADATA_KEYS.graph]
    .filter((key) => info.props[key] !== undefined)
    .map((key) => `parameters {\n  key: ${text(key)}\n  value: { string_value: ${text(info.props[key])} }\n}`)
    .join('\n');
  return `# NVIDIA Triton model configuration written by @charrnn/export for a ${L}-layer ${arch} (hidden ${H}, vocab ${V}, ${info.graph} graph).
# One sequence per generation stream: send its characters as tokens [1, seq] with sequence_id,
# sequence_start on the first request and sequence_end on the last; Triton keeps ${states.map(([i, o]) => `${o} → ${i}`).join(' and ')}.
name: ${text(o.name)}
backend: "onnxruntime"
max_batch_size: ${o.maxBatchSize}
input [
  {
    name: ${text(IO.tokens)}
    data_type: TYPE_INT64
    dims: [ ${seq} ]
  }
]
output [
  {
    name: ${text(IO.logits)}
    data_type: ${type}
    dims: [ ${seq}, ${V} ]
  }
]
sequence_batching {
  max_sequence_idle_microseconds: ${o.idleMs * 1000}
  oldest {
    max_candidate_sequences: ${o.maxCandidateSequences}
    max_queue_delay_microseconds: ${o.maxQueueDelayMicroseconds}
  }
  state [
${state}
  ]
}
${parameters}
`;
}

export interface TritonRepositoryResult {
  /** <dir>/<name>. */
  modelDir: string;
  files: string[];
}

async function writeAtomically(file: string, data: Uint8Array | string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, data);
  await rename(temp, file);
}

/** Writes `<dir>/<name>/config.pbtxt` and `<dir>/<name>/1/model.onnx` (the wrapper). */
export async function writeTritonRepository(contract2: Uint8Array, dir: string, options: TritonOptions = {}): Promise<TritonRepositoryResult> {
  const o = resolveTritonOptions(options);
  const info = readOnnxMetadata(contract2);
  const wrapper = buildTritonWrapper(contract2);
  const modelDir = path.join(dir, o.name);
  await mkdir(path.join(modelDir, '1'), { recursive: true });
  const files = [path.join(modelDir, 'config.pbtxt'), path.join(modelDir, '1', 'model.onnx')];
  await writeAtomically(files[0], tritonConfig(info, o));
  await writeAtomically(files[1], wrapper);
  return { modelDir, files };
}
