/**
 * Turns whatever a request ran into (an Ajv validation error, a Fastify parser error, an
 * infer-web error, a bug) into a ServeError, so every error leaves as OpenAI's error object with
 * the field at fault named. Internal errors are reported without their details.
 */
import { InvalidPromptError, InvalidStateError } from '@charrnn/infer-web/node';
import { InvalidRequestError, ServeError } from '../errors.js';
import { fieldsAt, ruleAt, UNSUPPORTED_OPENAI_FIELDS } from './schemas.js';

/** The part of Fastify's error that this needs. */
export interface FrameworkError extends Error {
  code?: string;
  statusCode?: number;
  validation?: readonly ValidationIssue[];
  validationContext?: string;
}

/** Ajv's error object, as Fastify passes it on. */
export interface ValidationIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** `/prompt/2` → `prompt[2]`, `/stream_options/include_usage` → `stream_options.include_usage`. */
export function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path === '' ? part : `${path}.${part}`), '');
}

function valueAt(body: unknown, instancePath: string): unknown {
  let value = body;
  for (const part of instancePath.split('/').slice(1)) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return value;
}

/** A short, safe rendering of what the client sent. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `a string of ${[...value].length} characters` : JSON.stringify(value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/** The route's schema for a part of the request ('body', 'querystring', 'params'). */
export type RouteSchema = (context: string | undefined) => unknown;

/** The parts of a request that validation reads. */
export interface RequestParts {
  body?: unknown;
  query?: unknown;
  params?: unknown;
}

function validationError(issue: ValidationIssue, request: RequestParts, context: string | undefined, routeSchema: RouteSchema): InvalidRequestError {
  const schema = routeSchema(context);
  const body = context === 'querystring' ? request.query : context === 'params' ? request.params : request.body;
  const parent = fieldPath(issue.instancePath);
  const where = context === 'querystring' ? 'query parameter' : 'field';
  if (issue.keyword === 'additionalProperties') {
    const name = String(issue.params.additionalProperty);
    const param = parent === '' ? name : `${parent}.${name}`;
    if (parent === '' && UNSUPPORTED_OPENAI_FIELDS.has(name)) {
      return new InvalidRequestError(`${name} is a field of OpenAI's API that this server does not support; remove it`, param, 'unsupported_field');
    }
    return new InvalidRequestError(`unknown ${where} '${param}'; valid ${where}s are ${fieldsAt(schema, parent).join(', ')}`, param, 'unknown_field');
  }
  if (issue.keyword === 'required') {
    const name = String(issue.params.missingProperty);
    const param = parent === '' ? name : `${parent}.${name}`;
    return new InvalidRequestError(`missing ${where} '${param}': ${ruleAt(schema, param) ?? 'required'}`, param, 'missing_field');
  }
  if (parent === '') {
    return new InvalidRequestError(`the request body must be a JSON object, got ${describeValue(body)}`, null, 'invalid_body');
  }
  // prompt[3] is checked by prompt's rule, stop[0] by stop's.
  const rule = ruleAt(schema, parent) ?? issue.message ?? 'a valid value';
  return new InvalidRequestError(`${parent} is ${describeValue(valueAt(body, issue.instancePath))}; expected ${rule}`, parent, 'invalid_value');
}

/**
 * Ajv reports one error per anyOf branch (`prompt` is not a string, `prompt[0]` is not a string)
 * before the anyOf itself: an unknown or missing field says most, else the deepest path does.
 */
function mostSpecific(issues: readonly ValidationIssue[]): ValidationIssue {
  const named = issues.find((i) => i.keyword === 'additionalProperties' || i.keyword === 'required');
  if (named !== undefined) return named;
  return issues.reduce((best, i) => (i.instancePath.split('/').length > best.instancePath.split('/').length ? i : best));
}

/** Any error → the ServeError to answer with. */
export function toServeError(error: unknown, request: RequestParts, routeSchema: RouteSchema = () => undefined): ServeError {
  if (error instanceof ServeError) return error;
  const e = error as FrameworkError;
  if (e?.validation !== undefined && e.validation.length > 0) return validationError(mostSpecific(e.validation), request, e.validationContext, routeSchema);
  if (error instanceof InvalidPromptError) return new InvalidRequestError(error.message, 'prompt', 'invalid_prompt');
  if (error instanceof InvalidStateError) return new InvalidRequestError(error.message, 'state', 'invalid_state');
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ServeError(413, 'the request body is larger than this server accepts', 'invalid_request_error', 'body_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ServeError(415, 'send the request body as JSON with Content-Type: application/json', 'invalid_request_error', 'unsupported_media_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new InvalidRequestError('the request body is empty; send a JSON object', null, 'invalid_json');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new InvalidRequestError('the request body is not valid JSON', null, 'invalid_json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new InvalidRequestError('the Content-Length header does not match the body', null, 'invalid_body');
  }
  if (e !== null && typeof e === 'object' && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // Fastify's own client errors (a body with __proto__, a malformed URL, …): its message is safe to show.
    return new ServeError(e.statusCode, e.message, 'invalid_request_error', e.code ?? null);
  }
  return new ServeError(500, 'internal server error', 'server_error', 'internal_error');
}
