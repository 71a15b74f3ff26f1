/**
 * The sessions extension: create (optionally from a saved state), inspect, delete, and export or
 * import the state as infer-web's snapshot (`charrnn-state/1`, what CharGenerator.getState()
 * gives and setState() takes), so a conversation can move between this server, another one, and
 * a browser.
 */
import { emptyStreamState, fromSnapshot, Rng, toSnapshot, type FloatEncoding, type GeneratorSnapshot } from '@charrnn/infer-web/node';
import { InvalidRequestError } from '../errors.js';
import type { ServedModel } from '../model-registry.js';
import type { Session } from '../sessions/session-store.js';
import type { ServerContext } from './context.js';
import type { CreateSessionRequest } from './schemas.js';

export interface SessionObject {
  id: string;
  object: 'session';
  model: string;
  /** Seconds since the epoch. */
  created: number;
  last_used: number;
  expires_at: number;
  /** Characters read and written since the session was created or its state was set. */
  length: number;
  /** A request is generating from it now. */
  busy: boolean;
}

export function describeSession(ctx: ServerContext, session: Session): SessionObject {
  return {
    id: session.id,
    object: 'session',
    model: session.model,
    created: Math.floor(session.created / 1000),
    last_used: Math.floor(session.lastUsed / 1000),
    expires_at: ctx.sessions.expiresAt(session),
    length: session.length,
    busy: session.busy,
  };
}

function parseSnapshot(model: ServedModel, snapshot: unknown): ReturnType<typeof fromSnapshot> {
  try {
    return fromSnapshot(model.info, snapshot);
  } catch (error) {
    // fromSnapshot names the field ("state.h holds 12 bytes, expected 1024 (256 float32)").
    throw new InvalidRequestError((error as Error).message, 'state', 'invalid_state');
  }
}

export function createSession(ctx: ServerContext, body: CreateSessionRequest | undefined): SessionObject {
  const model = ctx.models.get(body?.model);
  if (body?.state === undefined) {
    return describeSession(ctx, ctx.sessions.create(model.name, emptyStreamState(model.info), Rng.fromSeed(Rng.randomSeed())));
  }
  const { stream, rng } = parseSnapshot(model, body.state);
  return describeSession(ctx, ctx.sessions.create(model.name, stream, Rng.fromState(rng)));
}

export function getSessionState(ctx: ServerContext, id: string, encoding: FloatEncoding = 'base64'): GeneratorSnapshot {
  const session = ctx.sessions.get(id);
  const model = ctx.models.get(session.model);
  return toSnapshot(model.info, session.state, session.rng.state(), encoding);
}

export function putSessionState(ctx: ServerContext, id: string, snapshot: unknown): SessionObject {
  const session = ctx.sessions.get(id);
  const model = ctx.models.get(session.model);
  const { stream, rng } = parseSnapshot(model, snapshot);
  return describeSession(ctx, ctx.sessions.replace(id, stream, Rng.fromState(rng)));
}
