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
 * the weights, so these 100 lines are the lighter dependency.
 *
 * Field numbers are those of onnx.proto3: ModelProto ir_version = 1, opset_import = 8, graph = 7,
 * metadata_props = 14; GraphProto initializer = 5, input = 11, output = 12; TensorProto name = 8;
 * ValueInfoProto name = 1, type = 2; TypeProto tensor_type = 1; TypeProto.Tensor elem_type = 1,
 * shape = 2; TensorShapeProto dim = 1; Dimension dim_value = 1, dim_param = 2;
 * StringStringEntryProto key = 1, value = 2; OperatorSetIdProto domain = 1, version = 2.
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

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Reads one message's bytes [start, end): its fields in order, and the values inside them. */
interface WireReader {
  varint(): number;
  string(): string;
  /** The reader of a length-delimited field holding a message. */
  message(): WireReader;
  skip(wireType: number): void;
  /** (field number, wire type) of each field in turn; the caller reads or skips its value. */
  fields(): Generator<[number, number]>;
}

function wireReader(bytes: Uint8Array, start: number, end: number): WireReader {
  let pos = start;

  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw new ModelFormatError('ONNX model is truncated inside a varint');
      const byte = bytes[pos++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    throw new ModelFormatError('ONNX model has a varint longer than 10 bytes');
  };

  /** Bounds of a length-delimited field's payload; advances past it. */
  const span = (): [number, number] => {
    const length = varint();
    const from = pos;
    if (from + length > end) {
      throw new ModelFormatError(`ONNX model is truncated: a field of ${length} bytes at offset ${from} runs past the end`);
    }
    pos = from + length;
    return [from, pos];
  };

  return {
    varint,
    string() {
      const [s, e] = span();
      return decoder.decode(bytes.subarray(s, e));
    },
    message() {
      const [s, e] = span();
      return wireReader(bytes, s, e);
    },
    skip(wireType) {
      if (wireType === 0) varint();
      else if (wireType === 1) pos += 8;
      else if (wireType === 2) span();
      else if (wireType === 5) pos += 4;
      else throw new ModelFormatError(`ONNX model has unsupported protobuf wire type ${wireType} at offset ${pos}`);
      if (pos > end) throw new ModelFormatError('ONNX model is truncated inside a fixed-width field');
    },
    *fields() {
      while (pos < end) {
        const tag = varint();
        const field = Math.floor(tag / 8);
        if (field === 0) throw new ModelFormatError(`ONNX model has field number 0 at offset ${pos}: not a ModelProto`);
        yield [field, tag & 7];
      }
    },
  };
}

function readEntry(r: WireReader): [string, string] {
  let key = '';
  let value = '';
  for (const [f, w] of r.fields()) {
    if (f === 1 && w === 2) key = r.string();
    else if (f === 2 && w === 2) value = r.string();
    else r.skip(w);
  }
  return [key, value];
}

function readShape(r: WireReader): (number | string | null)[] {
  const dims: (number | string | null)[] = [];
  for (const [f, w] of r.fields()) {
    if (f !== 1 || w !== 2) {
      r.skip(w);
      continue;
    }
    const d = r.message();
    let dim: number | string | null = null;
    for (const [df, dw] of d.fields()) {
      if (df === 1 && dw === 0) dim = d.varint();
      else if (df === 2 && dw === 2) dim = d.string();
      else d.skip(dw);
    }
    dims.push(dim);
  }
  return dims;
}

function readValueInfo(r: WireReader): ValueInfo {
  const info: ValueInfo = { name: '', elemType: 0, shape: null };
  for (const [f, w] of r.fields()) {
    if (f === 1 && w === 2) info.name = r.string();
    else if (f === 2 && w === 2) {
      const type = r.message();
      for (const [tf, tw] of type.fields()) {
        if (tf !== 1 || tw !== 2) {
          type.skip(tw);
          continue;
        }
        const tensor = type.message();
        for (const [xf, xw] of tensor.fields()) {
          if (xf === 1 && xw === 0) info.elemType = tensor.varint();
          else if (xf === 2 && xw === 2) info.shape = readShape(tensor.message());
          else tensor.skip(xw);
        }
      }
    } else r.skip(w);
  }
  return info;
}

function readTensorName(r: WireReader): string {
  for (const [f, w] of r.fields()) {
    if (f === 8 && w === 2) return r.string();
    r.skip(w);
  }
  return '';
}

/** Reads metadata, opset and graph inputs/outputs from serialized ModelProto bytes. */
export function readModelDescription(bytes: Uint8Array): ModelDescription {
  const description: ModelDescription = { metadata: {}, irVersion: 0, opset: 0, inputs: [], outputs: [], initializers: new Set() };
  if (bytes.byteLength === 0) throw new ModelFormatError('ONNX model is empty (0 bytes)');
  let sawGraph = false;
  const model = wireReader(bytes, 0, bytes.byteLength);
  try {
    for (const [f, w] of model.fields()) {
      if (f === 1 && w === 0) description.irVersion = model.varint();
      else if (f === 14 && w === 2) {
        const [key, value] = readEntry(model.message());
        description.metadata[key] = value;
      } else if (f === 8 && w === 2) {
        const set = model.message();
        let domain = '';
        let version = 0;
        for (const [sf, sw] of set.fields()) {
          if (sf === 1 && sw === 2) domain = set.string();
          else if (sf === 2 && sw === 0) version = set.varint();
          else set.skip(sw);
        }
        if (domain === '' || domain === 'ai.onnx') description.opset = version;
      } else if (f === 7 && w === 2) {
        sawGraph = true;
        const graph = model.message();
        for (const [gf, gw] of graph.fields()) {
          if (gf === 11 && gw === 2) description.inputs.push(readValueInfo(graph.message()));
          else if (gf === 12 && gw === 2) description.outputs.push(readValueInfo(graph.message()));
          else if (gf === 5 && gw === 2) description.initializers.add(readTensorName(graph.message()));
          else graph.skip(gw);
        }
      } else model.skip(w);
    }
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    throw new ModelFormatError(`ONNX model bytes are not a valid ModelProto: ${(error as Error).message}`);
  }
  if (!sawGraph) throw new ModelFormatError(`ONNX model (${bytes.byteLength} bytes) has no graph: not an ONNX ModelProto`);
  return description;
}
