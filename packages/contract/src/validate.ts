/**
 * Contract 2 (docs/onnx-model.md) checked on a model's description, before a session is created, so that a
 * model that cannot work is refused with every problem named instead of failing at the first run.
 */
import type { Arch } from './arch.js';
import { ModelContractError } from './errors.js';
import { readModelMetadata } from './metadata.js';
import type { ModelDescription, ValueInfo } from './model-reader.js';
import { ELEM_TYPE, IO, floatOutputs, stateInputs, type GraphKind, type Precision } from './signature.js';
import { LEGACY_TEXT_MODE, type TextMode } from './text-mode.js';

/** Everything a generator needs to know about a model, read from its metadata. */
export interface ModelInfo {
  arch: Arch;
  vocabSize: number;
  embeddingDim: number;
  hiddenSize: number;
  numLayers: number;
  /** Token strings, index = id. */
  vocab: readonly string[];
  /** Whether prompts are lower-cased before encoding (the corpus was). */
  lower: boolean;
  /** How prompts' line breaks are read (text-mode.ts). */
  text: TextMode;
  /** "fused": any seq length per run; "step": seq fixed to 1. */
  graph: GraphKind;
  /** ai.onnx opset of the file (0 if absent). */
  opset: number;
  /** float16 models take and give float16 state and logits; a session converts at its boundary. */
  precision: Precision;
}

const ELEM_NAMES: Record<number, string> = { 1: 'float32', 7: 'int64', 10: 'float16', 11: 'float64', 6: 'int32' };

function elemName(code: number): string {
  return ELEM_NAMES[code] ?? (code === 0 ? 'no type' : `type code ${code}`);
}

type Kind = 'input' | 'output';

/** A shape as problems show it: a symbolic dim by its name, an unknown one as '?'. */
function shapeText(shape: readonly (number | string | null)[]): string {
  return `[${shape.map((dim) => dim ?? '?').join(', ')}]`;
}

/** A shape fits when its rank is right and each fixed size is; a symbolic or unknown dim fits any size. */
function checkShape(problems: string[], kind: Kind, { name, shape }: ValueInfo, expected: readonly (number | string)[]): void {
  if (shape === null) return; // rank unknown: the runtime will check at run time
  const fits = shape.length === expected.length && shape.every((dim, i) => typeof dim !== 'number' || typeof expected[i] !== 'number' || dim === expected[i]);
  if (!fits) problems.push(`${kind} '${name}' has shape ${shapeText(shape)}, expected ${shapeText(expected)}`);
}

function checkValue(
  problems: string[],
  kind: Kind,
  values: readonly ValueInfo[],
  name: string,
  elemType: number | undefined,
  shape: readonly (number | string)[],
): void {
  const info = values.find((v) => v.name === name);
  if (info === undefined) {
    const type = elemType === undefined ? 'float32 or float16' : elemName(elemType);
    problems.push(`missing ${kind} '${name}' (${type} ${shapeText(shape)}); ${kind}s are: ${values.map((v) => `'${v.name}'`).join(', ') || 'none'}`);
    return;
  }
  if (elemType !== undefined && info.elemType !== elemType) {
    problems.push(`${kind} '${name}' is ${elemName(info.elemType)}, expected ${elemName(elemType)}`);
  }
  checkShape(problems, kind, info, shape);
}

/**
 * The element type of the float inputs and outputs: float32 or float16 when they agree (any
 * other type is checked as a float32 model's). A float16/float32 mix is one problem naming each
 * value's type, and gives undefined, so their types are not checked again one by one.
 */
function floatType(problems: string[], model: ModelDescription, arch: Arch): number | undefined {
  const present = [
    ...model.inputs.filter((v) => stateInputs(arch).includes(v.name)).map((v) => ['input', v] as const),
    ...model.outputs.filter((v) => floatOutputs(arch).includes(v.name)).map((v) => ['output', v] as const),
  ];
  const types = new Set(present.map(([, v]) => v.elemType));
  if (!types.has(ELEM_TYPE.float16)) return ELEM_TYPE.float32;
  if (types.size === 1) return ELEM_TYPE.float16;
  // float16 beside a type that is neither float: checked as a float32 model, naming each value.
  if (types.size > 2 || !types.has(ELEM_TYPE.float32)) return ELEM_TYPE.float32;
  const each = present.map(([kind, v]) => `${kind} '${v.name}' ${elemName(v.elemType)}`).join(', ');
  problems.push(`the state inputs and float outputs mix float16 and float32 (${each}); expected all float32, or all float16`);
  return undefined;
}

/**
 * Checks a model's metadata and graph signature against contract 2; returns what the model says
 * about itself, or throws ModelContractError listing every problem.
 */
export function validateContract(model: ModelDescription): ModelInfo {
  const reading = readModelMetadata(model.metadata, 'onnx');
  const problems = reading.problems;
  const { arch = 'gru', vocabSize = 0, embeddingDim = 0, hiddenSize = 0, numLayers = 0 } = reading.config;
  const graph = reading.graph ?? 'fused';

  const L = numLayers || 'layers';
  const H = hiddenSize || 'hidden';
  const V = vocabSize || 'vocab';
  const seq = graph === 'step' ? 1 : 'seq';
  const floats = floatType(problems, model, arch);
  checkValue(problems, 'input', model.inputs, IO.tokens, ELEM_TYPE.int64, [seq, 'batch']);
  // A fixed seq fits the fused graph's symbolic one by the shape rule, but such a graph is a step
  // graph (or its metadata is wrong): the generator would run it with whole prompts and fail inside
  // onnxruntime ("invalid dimensions for input: tokens").
  const tokens = model.inputs.find((v) => v.name === IO.tokens);
  if (graph === 'fused' && typeof tokens?.shape?.[0] === 'number') {
    problems.push(
      `input '${IO.tokens}' has shape ${shapeText(tokens.shape)}: its seq is fixed to ${tokens.shape[0]}, as in a step graph, but metadata 'charrnn.graph' is "fused" (any seq per run); set it to "step", or export the fused graph`,
    );
  }
  const known: string[] = [IO.tokens, ...stateInputs(arch)];
  for (const name of stateInputs(arch)) checkValue(problems, 'input', model.inputs, name, floats, [L, 'batch', H]);
  for (const name of floatOutputs(arch)) {
    checkValue(problems, 'output', model.outputs, name, floats, name === IO.logits ? [seq, 'batch', V] : [L, 'batch', H]);
  }
  for (const input of model.inputs) {
    if (!known.includes(input.name) && !model.initializers.has(input.name)) {
      problems.push(`unexpected input '${input.name}': a ${arch} model takes only ${known.map((n) => `'${n}'`).join(', ')}`);
    }
  }

  if (problems.length > 0) throw new ModelContractError(problems);
  const vocab = reading.vocab as string[];
  return { arch, vocabSize, embeddingDim, hiddenSize, numLayers, vocab, lower: reading.lower === true, text: reading.text ?? LEGACY_TEXT_MODE, graph, opset: model.opset, precision: floats === ELEM_TYPE.float16 ? 'float16' : 'float32' };
}
