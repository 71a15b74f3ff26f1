/** What the route handlers share: the models, the sessions, the options, the metrics. */
import type { ModelRegistry } from '../model-registry.js';
import type { ServerMetrics } from '../metrics.js';
import type { ResolvedServerOptions } from '../options.js';
import type { SessionStore } from '../sessions/session-store.js';

export interface ServerContext {
  readonly models: ModelRegistry;
  readonly sessions: SessionStore;
  readonly options: ResolvedServerOptions;
  readonly metrics: ServerMetrics;
  /** Set once close() starts: new work gets 503. */
  closing: boolean;
}
