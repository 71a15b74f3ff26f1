import { float16Bits } from '@charrnn/contract';
import { onnx, type IAttributeProto, type IGraphProto, type INodeProto, type ITensorProto, type IValueInfoProto } from './proto.js';

/** The element types this exporter writes. */
export type ElementType = 'float32' | 'float16' | 'float64' | 'int64';

/** A tensor dimension: a fixed size, or the name of a symbolic dimension (`seq`, `batch`). */
export type Dim = number | string;

/** A node attribute with its ONNX type spelled out (an ONNX int and float are both JS numbers). */
export type Attribute =
  | { type: 'int'; value: number }
  | { type: 'ints'; value: number[] }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'strings'; value: string[] };

export const attr = {
  int: (value: number): Attribute => ({ type: 'int', value }),
  ints: (value: number[]): Attribute => ({ type: 'ints', value }),
  float: (value: number): Attribute => ({ type: 'float', value }),
  string: (value: string): Attribute => ({ type: 'string', value }),
  strings: (value: string[]): Attribute => ({ type: 'strings', value }),
};

const DATA_TYPE: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
};

export class GraphBuildError extends Error {
  override name = 'GraphBuildError';
}

function shapeSize(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Little-endian bytes of `values` stored as `type`, the layout TensorProto.raw_data requires. */
export function rawTensorData(type: ElementType, values: ArrayLike<number>): Uint8Array {
  const width = type === 'float32' ? 4 : type === 'float16' ? 2 : 8;
  const bytes = new Uint8Array(values.length * width);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) {
    if (type === 'float32') view.setFloat32(i * 4, values[i], true);
    else if (type === 'float16') view.setUint16(i * 2, float16Bits(values[i]), true);
    else if (type === 'float64') view.setFloat64(i * 8, values[i], true);
    else view.setBigInt64(i * 8, BigInt(values[i]), true);
  }
  return bytes;
}

function attributeProto(name: string, attribute: Attribute): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  const encoder = new TextEncoder();
  switch (attribute.type) {
    case 'int':
      return { name, type: T.INT, i: attribute.value };
    case 'ints':
      return { name, type: T.INTS, ints: attribute.value };
    case 'float':
      return { name, type: T.FLOAT, f: attribute.value };
    case 'string':
      return { name, type: T.STRING, s: encoder.encode(attribute.value) };
    case 'strings':
      return { name, type: T.STRINGS, strings: attribute.value.map((s) => encoder.encode(s)) };
  }
}

function valueInfo(name: string, type: ElementType, dims: readonly Dim[]): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Collects one ONNX graph: inputs, outputs, initializers and nodes, addressed by value name.
 * Every value name may be produced once (by an input, an initializer or a node output), which
 * catches wiring mistakes while the graph is built rather than when a runtime loads it.
 */
export class GraphBuilder {
  private readonly nodes: INodeProto[] = [];
  private readonly initializers: ITensorProto[] = [];
  private readonly inputs: IValueInfoProto[] = [];
  private readonly outputs: IValueInfoProto[] = [];
  private readonly produced = new Set<string>();
  private readonly constants = new Map<string, string>();

  constructor(readonly name: string) {}

  private claim(name: string): string {
    if (name === '') throw new GraphBuildError('a graph value needs a non-empty name');
    if (this.produced.has(name)) throw new GraphBuildError(`graph value "${name}" is produced twice`);
    this.produced.add(name);
    return name;
  }

  private requireValue(name: string, by: string): void {
    // "" is ONNX's spelling of an omitted optional input.
    if (name !== '' && !this.produced.has(name)) {
      throw new GraphBuildError(`${by} reads "${name}", which no input, initializer or earlier node produces`);
    }
  }

  input(name: string, type: ElementType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), type, dims));
    return name;
  }

  output(name: string, type: ElementType, dims: readonly Dim[]): void {
    this.requireValue(name, `graph output "${name}"`);
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A constant tensor stored in the model (an ONNX initializer). */
  initializer(name: string, type: ElementType, dims: readonly number[], values: ArrayLike<number>): string {
    if (shapeSize(dims) !== values.length) {
      throw new GraphBuildError(`initializer "${name}" has ${values.length} values, expected ${shapeSize(dims)} for dims [${dims.join(',')}]`);
    }
    this.initializers.push({ name: this.claim(name), dataType: DATA_TYPE[type], dims: [...dims], rawData: rawTensorData(type, values) });
    return name;
  }

  /**
   * A small constant (axes, split sizes, scalars) stored once per distinct value: asking twice for
   * the same type, dims and values returns the same initializer.
   */
  constant(type: ElementType, dims: readonly number[], values: ArrayLike<number>): string {
    const key = `${type}[${dims.join(',')}]:${Array.from(values).join(',')}`;
    let name = this.constants.get(key);
    if (name === undefined) {
      name = this.initializer(`const.${this.constants.size}`, type, dims, values);
      this.constants.set(key, name);
    }
    return name;
  }

  /** A node with several outputs; returns their names in order. */
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: Record<string, Attribute> = {}): string[] {
    for (const input of inputs) this.requireValue(input, `${opType} node "${outputs[0]}"`);
    for (const output of outputs) this.claim(output);
    this.nodes.push({
      name: outputs[0],
      opType,
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attributes).map(([name, a]) => attributeProto(name, a)),
    });
    return [...outputs];
  }

  /** A node with one output, named `output`; returns that name so calls nest like the math. */
  op(opType: string, inputs: readonly string[], output: string, attributes: Record<string, Attribute> = {}): string {
    return this.node(opType, inputs, [output], attributes)[0];
  }

  build(): IGraphProto {
    return { name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs };
  }
}

export interface ModelEnvelope {
  opset: number;
  irVersion: number;
  metadata: Record<string, string>;
  producerName: string;
  producerVersion: string;
  docString?: string;
}

/** Serializes a graph as an ONNX ModelProto importing the default domain at `opset`. */
export function encodeModel(graph: IGraphProto, envelope: ModelEnvelope): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: envelope.irVersion,
    opsetImport: [{ domain: '', version: envelope.opset }],
    producerName: envelope.producerName,
    producerVersion: envelope.producerVersion,
    docString: envelope.docString ?? '',
    graph,
    metadataProps: Object.entries(envelope.metadata).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}
