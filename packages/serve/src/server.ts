/**
 * createServer(): the models, their schedulers, the session store and the HTTP API on Fastify.
 * Fastify validates every body against its JSON schema (Ajv, with type coercion and silent
 * removal of unknown fields turned off: a wrong type or an unknown field is a 400 naming it),
 * parses JSON with prototype-poisoning protection, and enforces the body size limit.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { nodeRuntime } from '@charrnn/infer-web/node';
import { InvalidRequestError, NotFoundError, ServerClosingError } from './errors.js';
import { handleCompletion } from './http/completions.js';
import type { ServerContext } from './http/context.js';
import { toServeError } from './http/error-mapping.js';
import { describeModel } from './http/models.js';
import {
  completionSchema,
  createSessionSchema,
  fieldRules,
  sessionParamsSchema,
  stateQuerySchema,
  stateSchema,
  type CreateSessionRequest,
} from './http/schemas.js';
import { createSession, describeSession, getSessionState, putSessionState } from './http/sessions.js';
import { ServerMetrics } from './metrics.js';
import { ModelRegistry, type ServedModel } from './model-registry.js';
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from './options.js';
import { SessionStore } from './sessions/session-store.js';

export interface CharServer {
  /** The Fastify instance (for tests and for adding routes before listen()). */
  readonly app: FastifyInstance;
  readonly options: ResolvedServerOptions;
  /** The served models, in the order given; the first is the default. */
  readonly models: readonly ServedModel[];
  /** http://host:port once listening. */
  readonly url: string | undefined;
  /** Starts listening on options.host:options.port; resolves to the URL. */
  listen(): Promise<string>;
  /** Ends every stream, stops listening, releases the models. */
  close(): Promise<void>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

type IdParams = { Params: { id: string } };

interface ObjectSchema {
  properties?: Record<string, ObjectSchema & { anyOf?: ObjectSchema[] }>;
}

/** The property names a route's schema allows at `parent` ('' = top level; one level of nesting). */
function schemaFields(schema: unknown, context: string | undefined, parent: string): string[] {
  const root = (schema as Record<string, ObjectSchema> | undefined)?.[context ?? 'body'];
  if (parent === '') return Object.keys(root?.properties ?? {});
  const child = root?.properties?.[parent];
  const object = child?.anyOf?.find((s) => s.properties !== undefined) ?? child;
  return Object.keys(object?.properties ?? {});
}

export async function createServer(options: ServerOptions): Promise<CharServer> {
  const resolved = resolveServerOptions(options);
  const runtime = resolved.runtime ?? nodeRuntime({ backend: resolved.backend, logger: resolved.logger, largeRunIntraOpNumThreads: resolved.largeRunThreads });
  const sessions = new SessionStore({ ttlMs: resolved.limits.sessionTtlMs, maxSessions: resolved.limits.maxSessions });
  let models: ModelRegistry | undefined;
  const metrics = new ServerMetrics({
    models: () => (models?.all ?? []).map((m) => ({ name: m.name, activeStreams: m.scheduler.activeStreams, queuedStreams: m.scheduler.queuedStreams })),
    sessions: () => sessions.size,
  });
  models = await ModelRegistry.load(
    resolved.models,
    runtime,
    {
      maxStreams: resolved.limits.maxStreams,
      maxQueue: resolved.limits.maxQueue,
      primeChars: resolved.primeChars,
      flushIntervalMs: resolved.flushIntervalMs,
    },
    metrics,
  );
  const ctx: ServerContext = { models, sessions, options: resolved, metrics, rules: fieldRules(resolved.limits), closing: false };

  const app = Fastify({
    logger: resolved.accessLog,
    bodyLimit: resolved.limits.maxBodyBytes,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
    return503OnClosing: true,
  });

  // JSON only, and only valid UTF-8: a decoder that replaced bad bytes with U+FFFD would feed the
  // model text the client never sent.
  app.removeContentTypeParser('application/json');
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(new InvalidRequestError('the request body is not valid UTF-8', null, 'invalid_utf8'), undefined);
      return;
    }
    parseJson(request, text, done);
  });

  app.setErrorHandler((error, request, reply) => {
    const serveError = toServeError(error, request.body, ctx.rules, (context, parent) => schemaFields(request.routeOptions.schema, context, parent));
    if (serveError.status >= 500) resolved.logger.warn(`@charrnn/serve: ${request.method} ${request.url} failed: ${(error as Error).stack ?? String(error)}`);
    void reply.code(serveError.status).headers(serveError.headers).send(serveError.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new NotFoundError(`no route ${request.method} ${request.url.split('?')[0]}`, 'route_not_found');
    void reply.code(404).send(error.toBody());
  });
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
    metrics.request(request.routeOptions.url ?? 'unmatched', reply.statusCode);
    done();
  });

  app.get('/health', async (_request, reply) => {
    if (ctx.closing) return reply.code(503).send({ status: 'closing' });
    return {
      status: 'ok',
      models: ctx.models.all.map((m) => ({ id: m.name, backend: m.backend, active_streams: m.scheduler.activeStreams, queued_streams: m.scheduler.queuedStreams })),
      sessions: sessions.size,
    };
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.text();
    return reply.type(metrics.contentType).send(text);
  });
  app.get('/v1/models', async () => ({ object: 'list', data: ctx.models.all.map(describeModel) }));
  app.get<IdParams>('/v1/models/:id', { schema: { params: sessionParamsSchema } }, async (request) => describeModel(ctx.models.get(request.params.id)));
  app.post('/v1/completions', { schema: { body: completionSchema(resolved.limits) } }, (request, reply) => handleCompletion(ctx, request, reply));

  app.post<{ Body: CreateSessionRequest | undefined }>('/v1/sessions', { schema: { body: createSessionSchema } }, async (request, reply) => {
    if (ctx.closing) throw new ServerClosingError();
    return reply.code(201).send(createSession(ctx, request.body));
  });
  app.get<IdParams>('/v1/sessions/:id', { schema: { params: sessionParamsSchema } }, async (request) => describeSession(ctx, sessions.get(request.params.id)));
  app.delete<IdParams>('/v1/sessions/:id', { schema: { params: sessionParamsSchema } }, async (request) => {
    sessions.delete(request.params.id);
    return { id: request.params.id, object: 'session', deleted: true };
  });
  app.get<IdParams & { Querystring: { encoding?: 'base64' | 'array' } }>(
    '/v1/sessions/:id/state',
    { schema: { params: sessionParamsSchema, querystring: stateQuerySchema } },
    async (request) => getSessionState(ctx, request.params.id, request.query.encoding),
  );
  app.put<IdParams & { Body: unknown }>('/v1/sessions/:id/state', { schema: { params: sessionParamsSchema, body: stateSchema } }, async (request) =>
    putSessionState(ctx, request.params.id, request.body),
  );

  await app.ready();
  sessions.start();
  let url: string | undefined;
  let closed: Promise<void> | undefined;

  return {
    app,
    options: resolved,
    models: ctx.models.all,
    get url() {
      return url;
    },
    async listen() {
      const address = await app.listen({ host: resolved.host, port: resolved.port });
      url = address;
      return address;
    },
    close() {
      closed ??= (async () => {
        ctx.closing = true;
        sessions.stop();
        await ctx.models.close();
        await app.close();
        sessions.clear();
      })();
      return closed;
    },
  };
}
