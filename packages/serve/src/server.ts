/**
 * createServer(): the models, their schedulers, the session store and the HTTP API on Fastify.
 * Fastify validates every body against its TypeBox schema (http/schemas.ts; Ajv, with type
 * coercion and silent removal of unknown fields turned off: a wrong type or an unknown field is a
 * 400 naming it), and enforces the body size limit; JSON is parsed here, refusing invalid UTF-8
 * and prototype-poisoning keys.
 */
import bearerAuth from '@fastify/bearer-auth';
import cors from '@fastify/cors';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { nodeRuntime } from '@charrnn/infer-web/node';
import { InvalidRequestError, NotFoundError, ServeError, ServerClosingError } from './errors.js';
import { handleCompletion } from './http/completions.js';
import type { ServerContext } from './http/context.js';
import { toServeError } from './http/error-mapping.js';
import { describeModel } from './http/models.js';
import { handleChat } from './http/chat.js';
import { CLIENT_CLOSED } from './http/generation-job.js';
import { chatSchema, completionSchema, createSessionSchema, idParamsSchema, stateQuerySchema, stateSchema } from './http/schemas.js';
import { createSession, describeSession, getSessionState, putSessionState } from './http/sessions.js';
import { ServerMetrics } from './metrics.js';
import { ModelRegistry, type ServedModel } from './model-registry.js';
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from './options.js';
import { SessionFile } from './sessions/session-file.js';
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
  /**
   * Drains and stops: new requests get 503 `server_closing` at once (and /health 503), running
   * ones get up to `drainSeconds` (default: the server's option) to finish, the rest are ended
   * with an error that says so; then the sessions are saved (with `sessionDir`), the server stops
   * listening and the models are released. Calling it again returns the same promise.
   */
  close(options?: { drainSeconds?: number }): Promise<void>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The first key of a parsed body that would poison a prototype if the body were merged into an
 * object (`__proto__`, or `prototype` inside `constructor`), as a path; undefined if none.
 * Iterative, so a deeply nested body cannot overflow the stack.
 */
export function poisonedKey(value: unknown): string | undefined {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    for (const key of Object.keys(node)) {
      const child = (node as Record<string, unknown>)[key];
      const at = Array.isArray(node) ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
      if (key === '__proto__') return at;
      if (key === 'constructor' && typeof child === 'object' && child !== null && Object.hasOwn(child, 'prototype')) return `${at}.prototype`;
      stack.push([child, at]);
    }
  }
  return undefined;
}

/** The Fastify app with TypeBox's type provider, as every route here is declared. */
type App = ReturnType<typeof newApp>;

export async function createServer(options: ServerOptions): Promise<CharServer> {
  const resolved = resolveServerOptions(options);
  const { ctx, sessionFile } = await openModels(resolved);
  const app = newApp(resolved);
  acceptJsonBodies(app);
  addErrorsAndCounting(app, ctx);
  await addAccessControl(app, resolved);
  addRoutes(app, ctx);
  return start(app, ctx, sessionFile);
}

/** The models with their schedulers, the session store (restored from sessionDir) and the metrics over both. */
async function openModels(resolved: ResolvedServerOptions): Promise<{ ctx: ServerContext; sessionFile: SessionFile | undefined }> {
  const runtime = resolved.runtime ?? nodeRuntime({ backend: resolved.backend, logger: resolved.logger, largeRunIntraOpNumThreads: resolved.largeRunThreads });
  const sessions = new SessionStore({ ttlMs: resolved.limits.sessionTtlMs, maxSessions: resolved.limits.maxSessions, now: resolved.clock });
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
  const ctx: ServerContext = { models, sessions, options: resolved, metrics, closing: false };
  const sessionFile = resolved.sessionDir === undefined ? undefined : new SessionFile(resolved.sessionDir, sessions, models);
  try {
    const restored = await sessionFile?.restore();
    if (restored !== undefined && restored > 0) resolved.logger.warn(`@charrnn/serve: restored ${restored} sessions from ${sessionFile!.path}`);
  } catch (error) {
    await models.close();
    throw error;
  }
  return { ctx, sessionFile };
}

/** Fastify with the body limit, and Ajv neither coercing types, removing unknown fields nor filling defaults. */
function newApp(resolved: ResolvedServerOptions) {
  return Fastify({
    logger: resolved.accessLog,
    bodyLimit: resolved.limits.maxBodyBytes,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();
}

function acceptJsonBodies(app: App): void {
  // JSON only (Fastify's text/plain parser removed too: any other type is a 415), and only valid
  // UTF-8: a decoder that replaced bad bytes with U+FFFD would feed the model text the client
  // never sent. A key that could poison a prototype is named, rather than called invalid JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    let value: unknown;
    try {
      value = JSON.parse(utf8.decode(body as Buffer));
    } catch (error) {
      if (error instanceof SyntaxError && (body as Buffer).length === 0) done(new InvalidRequestError('the request body is empty; send a JSON object', null, 'invalid_json'), undefined);
      else if (error instanceof SyntaxError || error instanceof RangeError) done(new InvalidRequestError('the request body is not valid JSON', null, 'invalid_json'), undefined);
      else done(new InvalidRequestError('the request body is not valid UTF-8', null, 'invalid_utf8'), undefined);
      return;
    }
    const key = poisonedKey(value);
    if (key !== undefined) {
      done(new InvalidRequestError(`the key '${key}' is not allowed in a request body (it could poison an object's prototype); remove it`, key, 'forbidden_key'), undefined);
      return;
    }
    done(null, value);
  });
}

/** Errors as OpenAI's error bodies, every request counted in the metrics, and 503 for the API while draining. */
function addErrorsAndCounting(app: App, ctx: ServerContext): void {
  const { options: resolved, metrics } = ctx;
  app.setErrorHandler((error, request, reply) => {
    const serveError = toServeError(error, request, (context) => (request.routeOptions.schema as Record<string, unknown> | undefined)?.[context ?? 'body']);
    if (serveError.status >= 500) resolved.logger.warn(`@charrnn/serve: ${request.method} ${request.url} failed: ${(error as Error).stack ?? String(error)}`);
    void reply.code(serveError.status).headers(serveError.headers).send(serveError.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new NotFoundError(`no route ${request.method} ${request.url.split('?')[0]}`, 'route_not_found');
    void reply.code(404).send(error.toBody());
  });
  // Counted when the connection is done with the response, so that a request whose client went
  // away first (which never 'finish'es, and whose reply may be hijacked for SSE) is counted too.
  // While draining, the API answers 503 (the listener stays open, so no client sees a reset);
  // /health says 'closing' so a load balancer stops sending, /metrics keeps answering.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done) => {
    const t0 = performance.now();
    reply.raw.once('close', () =>
      metrics.request(request.routeOptions.url ?? 'unmatched', reply.raw.writableFinished ? reply.raw.statusCode : CLIENT_CLOSED, (performance.now() - t0) / 1000),
    );
    done(ctx.closing && request.url.startsWith('/v1/') ? new ServerClosingError() : undefined);
  });
}

/** CORS and API keys, as the options ask. */
async function addAccessControl(app: App, resolved: ResolvedServerOptions): Promise<void> {
  // CORS first, so a browser's preflight (OPTIONS, which carries no credentials) is answered
  // before the key check.
  if (resolved.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: resolved.corsOrigins.includes('*') ? '*' : [...resolved.corsOrigins],
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type'],
      exposedHeaders: ['x-charrnn-session', 'retry-after'],
      maxAge: 600,
    });
  }
  if (resolved.apiKeys.length > 0) {
    const unauthorized = new ServeError(401, 'missing or wrong API key: send the header Authorization: Bearer <key>', 'invalid_request_error', 'invalid_api_key');
    await app.register(bearerAuth, { keys: new Set(resolved.apiKeys), addHook: false, verifyErrorLogLevel: 'info' });
    // Any failure (no header, another scheme, a wrong key) is OpenAI's 401, which its clients raise as AuthenticationError.
    app.addHook('onRequest', (request, reply, done) => {
      if (request.url.startsWith('/v1/')) app.verifyBearerAuth!(request, reply, (error) => done(error === undefined ? undefined : unauthorized));
      else done();
    });
  }
}

function addRoutes(app: App, ctx: ServerContext): void {
  const { options: resolved, sessions, metrics } = ctx;
  app.get('/health', async (_request, reply) => {
    if (ctx.closing) return reply.code(503).header('retry-after', '1').send({ status: 'closing' });
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
  app.get('/v1/models/:id', { schema: { params: idParamsSchema } }, async (request) => describeModel(ctx.models.get(request.params.id)));
  app.post('/v1/completions', { schema: { body: completionSchema(resolved.limits) } }, (request, reply) => handleCompletion(ctx, request.body, reply));
  app.post('/v1/chat/completions', { schema: { body: chatSchema(resolved.limits) } }, (request, reply) => handleChat(ctx, request.body, reply));

  // Both fields are optional, so no body at all is a valid request.
  const emptyBodyIsObject = async (request: FastifyRequest): Promise<void> => {
    request.body ??= {};
  };
  app.post('/v1/sessions', { schema: { body: createSessionSchema }, preValidation: emptyBodyIsObject }, async (request, reply) => {
    return reply.code(201).send(createSession(ctx, request.body));
  });
  app.get('/v1/sessions/:id', { schema: { params: idParamsSchema } }, async (request) => describeSession(ctx, sessions.get(request.params.id)));
  app.delete('/v1/sessions/:id', { schema: { params: idParamsSchema } }, async (request) => {
    sessions.delete(request.params.id);
    return { id: request.params.id, object: 'session', deleted: true };
  });
  app.get('/v1/sessions/:id/state', { schema: { params: idParamsSchema, querystring: stateQuerySchema } }, async (request) =>
    getSessionState(ctx, request.params.id, request.query.encoding),
  );
  app.put('/v1/sessions/:id/state', { schema: { params: idParamsSchema, body: stateSchema } }, async (request) => putSessionState(ctx, request.params.id, request.body));
}

/** Readies the app, starts the session store and its periodic save, and gives the handle that listens and drains. */
async function start(app: App, ctx: ServerContext, sessionFile: SessionFile | undefined): Promise<CharServer> {
  const { options: resolved, sessions } = ctx;
  await app.ready();
  sessions.start();
  const saver =
    sessionFile === undefined
      ? undefined
      : setInterval(() => void sessionFile.save().catch((error: Error) => resolved.logger.warn(`@charrnn/serve: saving sessions failed: ${error.message}`)), resolved.sessionSaveSeconds * 1000);
  saver?.unref();
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
    close(options = {}) {
      closed ??= (async () => {
        ctx.closing = true;
        const drainMs = (options.drainSeconds ?? resolved.drainSeconds) * 1000;
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)));
        await Promise.race([ctx.models.idle(), deadline]);
        clearTimeout(timer);
        // Whatever still runs is ended with 'drain': a 503 or an SSE error event, never a 200.
        await ctx.models.cut('drain');
        clearInterval(saver);
        sessions.stop();
        if (sessionFile !== undefined) {
          await sessionFile.save().catch((error: Error) => resolved.logger.warn(`@charrnn/serve: saving sessions to ${sessionFile.path} failed: ${error.message}`));
        }
        await app.close();
        await ctx.models.close();
        sessions.clear();
      })();
      return closed;
    },
  };
}
