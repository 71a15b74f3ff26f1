/**
 * Sessions (an extension of the OpenAI API): the state a request left, kept under an unguessable
 * id so that the next request continues the same text. A char RNN's whole state is a few
 * kilobytes (h, and c for LSTM, the logits and the Rng), so keeping thousands is cheap.
 * Sessions expire after an idle TTL; one request at a time may use a session.
 */
import { randomBytes } from 'node:crypto';
import { cloneStreamState, Rng, type StreamState } from '@charrnn/infer-web/node';
import { NotFoundError, SessionBusyError, TooManyRequestsError, InvalidRequestError } from '../errors.js';

export interface SessionStoreOptions {
  /** A session unused for this long is deleted. */
  ttlMs: number;
  /** Sessions kept at most; creating more is a 429 until some expire or are deleted. */
  maxSessions: number;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}

export interface Session {
  readonly id: string;
  /** The model whose state this is. */
  readonly model: string;
  readonly created: number;
  lastUsed: number;
  state: StreamState;
  rng: Rng;
  /** Characters read (prompts) and written (completions) since it was created or its state set. */
  length: number;
  /** A request is generating from it right now. */
  busy: boolean;
}

/** 192 random bits, URL-safe: not guessable, so no client can reach another's session. */
function newSessionId(): string {
  return `sess_${randomBytes(24).toString('base64url')}`;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly options: SessionStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Starts the periodic sweep of expired sessions (unref'd: it never keeps the process alive). */
  start(): void {
    if (this.timer !== undefined) return;
    const every = Math.max(1000, Math.min(60_000, Math.floor(this.options.ttlMs / 4)));
    this.timer = setInterval(() => this.sweep(), every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A new session of `model` starting from `state`. `busy` marks it taken by the creating request. */
  create(model: string, state: StreamState, rng: Rng, busy = false): Session {
    if (this.sessions.size >= this.options.maxSessions) this.sweep();
    if (this.sessions.size >= this.options.maxSessions) {
      throw new TooManyRequestsError(
        `this server keeps at most ${this.options.maxSessions} sessions and all are in use; delete sessions you no longer need (DELETE /v1/sessions/{id}) or retry once idle ones expire`,
        'session_limit',
        Math.max(1, Math.ceil(this.options.ttlMs / 1000)),
      );
    }
    const now = this.now();
    const session: Session = { id: newSessionId(), model, created: now, lastUsed: now, state, rng, length: 0, busy };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The session, or a 404 naming it. Reading a session counts as using it. */
  get(id: string): Session {
    const session = this.sessions.get(id);
    if (session === undefined || this.expired(session)) {
      if (session !== undefined) this.sessions.delete(id);
      throw new NotFoundError(`no session ${JSON.stringify(id)}: it never existed, was deleted, or expired after ${this.options.ttlMs} ms idle`, 'session_not_found', 'session');
    }
    session.lastUsed = this.now();
    return session;
  }

  /** Takes the session for one request on `model` (409 if another request has it). */
  acquire(id: string, model: string): Session {
    const session = this.get(id);
    if (session.model !== model) {
      throw new InvalidRequestError(`session ${id} belongs to model ${JSON.stringify(session.model)}, not ${JSON.stringify(model)}`, 'model', 'session_model_mismatch');
    }
    if (session.busy) throw new SessionBusyError(id);
    session.busy = true;
    return session;
  }

  /** Gives the session back with the state the request left and its new length. */
  release(session: Session, state: StreamState, rng: Rng, length: number): void {
    session.state = state;
    session.rng = rng;
    session.length = length;
    session.busy = false;
    session.lastUsed = this.now();
  }

  /** Replaces an idle session's state (PUT …/state). */
  replace(id: string, state: StreamState, rng: Rng): Session {
    const session = this.get(id);
    if (session.busy) throw new SessionBusyError(id);
    session.state = cloneStreamState(state);
    session.rng = Rng.fromState(rng.state());
    session.length = 0;
    return session;
  }

  delete(id: string): void {
    const session = this.get(id);
    if (session.busy) throw new SessionBusyError(id);
    this.sessions.delete(id);
  }

  /** Deletes sessions idle for longer than the TTL. */
  sweep(): number {
    let removed = 0;
    for (const [id, session] of this.sessions) {
      if (this.expired(session)) {
        this.sessions.delete(id);
        removed++;
      }
    }
    return removed;
  }

  clear(): void {
    this.sessions.clear();
  }

  /** The sessions that have not expired. */
  list(): Session[] {
    return [...this.sessions.values()].filter((s) => !this.expired(s));
  }

  /** Takes back a saved session (restored on start), idle. */
  adopt(session: Omit<Session, 'busy'>): void {
    this.sessions.set(session.id, { ...session, busy: false });
  }

  /** Seconds since the epoch at which the session expires if left idle. */
  expiresAt(session: Session): number {
    return Math.floor((session.lastUsed + this.options.ttlMs) / 1000);
  }

  private expired(session: Session): boolean {
    return !session.busy && this.now() - session.lastUsed > this.options.ttlMs;
  }
}
