/**
 * Every error infer-web throws is a CharRnnError, so callers can tell ours from the runtime's.
 * The message names the bad input and what would be valid.
 */
export class CharRnnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The ONNX file breaks DESIGN.md contract 2; `problems` lists every violation found. */
export class ModelContractError extends CharRnnError {
  constructor(readonly problems: readonly string[]) {
    super(`model does not follow the charrnn ONNX contract:\n  - ${problems.join('\n  - ')}`);
  }
}

/** The bytes are not a readable ONNX ModelProto. */
export class ModelFormatError extends CharRnnError {}

/** The model could not be fetched or read. */
export class ModelSourceError extends CharRnnError {}

/** A generation or load option is out of range or of the wrong type. */
export class InvalidOptionError extends CharRnnError {}

/** A prompt cannot be encoded, or there is nothing to continue from. */
export class InvalidPromptError extends CharRnnError {}

/** A state snapshot does not fit this model. */
export class InvalidStateError extends CharRnnError {}

/** The model produced NaN or ±Inf where logits should be: its weights or state are broken. */
export class NonFiniteOutputError extends CharRnnError {}

/** A requested execution provider is not available in this runtime. */
export class BackendUnavailableError extends CharRnnError {}
