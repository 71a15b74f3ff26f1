/**
 * The errors of the contract. CharRnnError is the base of every error charrnn's runtime packages
 * throw on purpose, so that callers can tell ours from a runtime's; infer-web re-exports these.
 * Each message names the bad input and what would be valid.
 */
export class CharRnnError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The bytes are not a readable ONNX ModelProto. */
export class ModelFormatError extends CharRnnError {}

/** The ONNX file breaks contract 2 (docs/onnx-model.md); `problems` lists every violation found. */
export class ModelContractError extends CharRnnError {
  constructor(readonly problems: readonly string[]) {
    super(`model does not follow the charrnn ONNX contract:\n  - ${problems.join('\n  - ')}`);
  }
}

/** A model config (the `charrnn.config` JSON, or one built from flags) is invalid; every problem is listed. */
export class ModelConfigError extends CharRnnError {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}

/** An ai.onnx opset outside the contract's range. */
export class OpsetError extends CharRnnError {}

/**
 * A file could not be written; the message says whether the previous file is intact. `code` is
 * the system error code (ENOSPC, EISDIR…) when there is one.
 */
export class FileWriteError extends CharRnnError {
  readonly code: string | undefined;
  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(message, { cause: options.cause });
    this.code = options.code;
  }
}
