/**
 * Every error a client can cause is a ServeError: an HTTP status and OpenAI's error object
 * (`{ error: { message, type, param, code } }`), so that OpenAI clients show the message as they
 * would OpenAI's own. The message names the bad input and what would be valid.
 */

/** OpenAI's `error.type` values, plus the ones this server needs for its extensions. */
export type ErrorType = 'invalid_request_error' | 'not_found_error' | 'conflict_error' | 'rate_limit_error' | 'timeout_error' | 'server_error';

export interface OpenAIErrorObject {
  message: string;
  type: ErrorType;
  /** The request field at fault (`max_tokens`, `prompt[2]`), or null. */
  param: string | null;
  /** A stable machine-readable code (`invalid_value`, `model_not_found`, …), or null. */
  code: string | null;
}

export interface OpenAIErrorBody {
  error: OpenAIErrorObject;
}

export class ServeError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ErrorType,
    readonly code: string | null = null,
    readonly param: string | null = null,
    /** Extra response headers (Retry-After). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400: the request is malformed or a value is out of range. */
export class InvalidRequestError extends ServeError {
  constructor(message: string, param: string | null = null, code = 'invalid_value') {
    super(400, message, 'invalid_request_error', code, param);
  }
}

/** 404: no such model, session or route. */
export class NotFoundError extends ServeError {
  constructor(message: string, code: string, param: string | null = null) {
    super(404, message, 'not_found_error', code, param);
  }
}

/** 409: the session is being used by another request. */
export class SessionBusyError extends ServeError {
  constructor(id: string) {
    super(409, `session ${id} is in use by another request; wait for it to finish (one request per session at a time)`, 'conflict_error', 'session_busy', 'session');
  }
}

/** 429: the model's queue (or the session table) is full; Retry-After says when to come back. */
export class TooManyRequestsError extends ServeError {
  constructor(message: string, code: string, retryAfterSeconds: number) {
    super(429, message, 'rate_limit_error', code, null, { 'retry-after': String(retryAfterSeconds) });
  }
}

/** The request ran past the server's request timeout. */
export class RequestTimeoutError extends ServeError {
  constructor(timeoutMs: number) {
    super(408, `the request took longer than this server's request timeout of ${timeoutMs} ms; ask for fewer max_tokens or retry later`, 'timeout_error', 'request_timeout');
  }
}

/**
 * 503: the server is shutting down: a new request while it drains, or a running one it had to cut
 * at the end of the drain. `connection: close` tells a keep-alive client to reconnect (through
 * its load balancer, to another instance).
 */
export class ServerClosingError extends ServeError {
  constructor(message = 'the server is shutting down and takes no new requests; retry on another instance') {
    super(503, message, 'server_error', 'server_closing', null, { 'retry-after': '1', connection: 'close' });
  }
}

/** A server option is out of range (thrown by createServer, never sent to a client). */
export class ServerOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerOptionError';
  }
}
