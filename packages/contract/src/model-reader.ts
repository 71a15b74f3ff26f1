/**
 * A read-only reader for the few ModelProto fields the contract needs: metadata_props, the IR
 * version, the opset and the graph's inputs/outputs. The weights are skipped, never decoded.
 *
 * Why not the runtime or a library: onnxruntime's JS API (1.30, node and web) exposes input and
 * output metadata but not the model's custom metadata_props (microsoft/onnxruntime#16547 is still
 * open), so the bytes must be read. The maintained option in the workspace, onnx-proto, is
 * protobufjs-generated CommonJS of ~330 kB for the whole ONNX schema plus protobufjs itself,
 * which would outweigh the rest of infer-web in a browser bundle many times over. The protobuf
 * wire format (varint tags, length-delimited fields) is small and frozen, and we only skip over
 * the weights, so this reader (a table of the fields it reads, and one loop) is the lighter
 * dependency.
 */
import { ModelFormatError } from './errors.js';

export interface ValueInfo {
  name: string;
  /** TensorProto.DataType code (1 = float32, 7 = int64, 10 = float16); 0 when absent. */
  elemType: number;
  /** A number for a fixed dim, its name for a symbolic one, null when neither is set. */
  shape: (number | string | null)[] | null;
}

export interface ModelDescription {
  metadata: Record<string, string>;
  /** ModelProto.ir_version, 0 when absent. */
  irVersion: number;
  /** Opset of the default (ai.onnx) domain, 0 when absent. */
  opset: number;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Graph inputs that are initializers (older IR versions list weights as inputs). */
  initializers: Set<string>;
}

/**
 * The fields read, by their onnx.proto3 numbers: each gives the name it is read into and how its
 * value is read (a varint, a UTF-8 string, or a message with its own fields); `true` marks a
 * repeated field, read into an array. Every other field (the weights among them) is skipped unread.
 */
interface Fields {
  [field: number]: [name: string, read: 'varint' | 'string' | Fields, repeated?: true];
}

/** ValueInfoProto: name = 1, type = 2 → TypeProto.tensor_type = 1 → TypeProto.Tensor elem_type = 1, shape = 2 → TensorShapeProto.dim = 1 → Dimension dim_value = 1 | dim_param = 2. */
const VALUE_INFO: Fields = {
  1: ['name', 'string'],
  2: ['type', { 1: ['tensor', { 1: ['elemType', 'varint'], 2: ['shape', { 1: ['dims', { 1: ['dim', 'varint'], 2: ['dim', 'string'] }, true] }] }] }],
};

/**
 * ModelProto: ir_version = 1, graph = 7 (GraphProto initializer = 5 → TensorProto name = 8; input = 11,
 * output = 12), opset_import = 8 (OperatorSetIdProto domain = 1, version = 2), metadata_props = 14
 * (StringStringEntryProto key = 1, value = 2).
 */
const MODEL: Fields = {
  1: ['irVersion', 'varint'],
  7: ['graph', { 5: ['initializers', { 8: ['name', 'string'] }, true], 11: ['inputs', VALUE_INFO, true], 12: ['outputs', VALUE_INFO, true] }],
  8: ['opsets', { 1: ['domain', 'string'], 2: ['version', 'varint'] }, true],
  14: ['metadata', { 1: ['key', 'string'], 2: ['value', 'string'] }, true],
};

/** What reading with VALUE_INFO gives. */
interface ValueInfoMessage {
  name?: string;
  type?: { tensor?: { elemType?: number; shape?: { dims?: { dim?: number | string }[] } } };
}

/** What reading with MODEL gives. */
interface ModelMessage {
  irVersion?: number;
  graph?: { initializers?: { name?: string }[]; inputs?: ValueInfoMessage[]; outputs?: ValueInfoMessage[] };
  opsets?: { domain?: string; version?: number }[];
  metadata?: { key?: string; value?: string }[];
}

type Message = Record<string, unknown>;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The string a field holds; protobuf strings are UTF-8. */
function utf8(bytes: Uint8Array, offset: number): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new ModelFormatError(`ONNX model has a string field at offset ${offset} that is not UTF-8`);
  }
}

/**
 * Reads the fields `fields` names from the message in bytes [start, end) into `into`. A message
 * field that occurs twice is merged into one (its repeated fields appended), as protobuf reads it.
 */
function readMessage(bytes: Uint8Array, start: number, end: number, fields: Fields, into: Message = {}): Message {
  let pos = start;
  /** Fails unless the field that starts at `from` ends inside the message. */
  const within = (from: number): void => {
    if (pos > end) throw new ModelFormatError(`ONNX model is truncated: the field at offset ${from} runs past the end`);
  };
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    const from = pos;
    for (let i = 0; i < 10; i++) {
      const byte = bytes[pos++];
      within(from);
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    throw new ModelFormatError('ONNX model has a varint longer than 10 bytes');
  };
  while (pos < end) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    // No field is numbered 0; wire types 3 and 4 (groups) are not used by ONNX, 6 and 7 do not exist.
    if (field === 0 || ![0, 1, 2, 5].includes(wireType)) {
      throw new ModelFormatError(`ONNX model has field ${field} with wire type ${wireType} at offset ${pos}: not a ModelProto`);
    }
    const spec = fields[field];
    if (wireType === 0) {
      const value = varint();
      if (spec?.[1] === 'varint') into[spec[0]] = value;
    } else if (wireType === 2) {
      const length = varint();
      const from = pos;
      pos += length;
      within(from);
      if (spec === undefined || spec[1] === 'varint') continue;
      const [name, read, repeated] = spec;
      const value = read === 'string' ? utf8(bytes.subarray(from, pos), from) : readMessage(bytes, from, pos, read, repeated ? {} : (into[name] as Message | undefined));
      if (repeated) ((into[name] ??= []) as unknown[]).push(value);
      else into[name] = value;
    } else {
      // fixed64 (wire type 1) or fixed32 (5)
      const from = pos;
      pos += wireType === 1 ? 8 : 4;
      within(from);
    }
  }
  return into;
}

function valueInfo({ name = '', type }: ValueInfoMessage): ValueInfo {
  const shape = type?.tensor?.shape;
  return { name, elemType: type?.tensor?.elemType ?? 0, shape: shape === undefined ? null : (shape.dims ?? []).map((d) => d.dim ?? null) };
}

/** Reads metadata, opset and graph inputs/outputs from serialized ModelProto bytes. */
export function readModelDescription(bytes: Uint8Array): ModelDescription {
  const model = readMessage(bytes, 0, bytes.byteLength, MODEL) as ModelMessage;
  const { graph } = model;
  if (graph === undefined) throw new ModelFormatError(`ONNX model (${bytes.byteLength} bytes) has no graph: not an ONNX ModelProto`);
  const metadata: Record<string, string> = {};
  for (const { key = '', value = '' } of model.metadata ?? []) metadata[key] = value;
  let opset = 0;
  for (const { domain = '', version = 0 } of model.opsets ?? []) if (domain === '' || domain === 'ai.onnx') opset = version;
  return {
    metadata,
    irVersion: model.irVersion ?? 0,
    opset,
    inputs: (graph.inputs ?? []).map(valueInfo),
    outputs: (graph.outputs ?? []).map(valueInfo),
    initializers: new Set((graph.initializers ?? []).map((t) => t.name ?? '')),
  };
}
