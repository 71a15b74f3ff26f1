/**
 * Sessions kept across restarts: every session's state in one JSON file under `--session-dir`,
 * written atomically (a temporary file renamed over the old one, @charrnn/contract/node's writeFileAtomic),
 * so a crash mid-save leaves the previous file whole. A session's state is infer-web's snapshot
 * (`charrnn-state/1`); the file names each model by the SHA-256 of its ONNX bytes, and a server
 * whose model differs refuses to start rather than continue a state with other weights.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '@charrnn/contract/node';
import { fromSnapshot, Rng, toSnapshot, type GeneratorSnapshot } from '@charrnn/infer-web/node';
import { ServerOptionError } from '../errors.js';
import type { ModelRegistry } from '../model-registry.js';
import type { SessionStore } from './session-store.js';

export const SESSION_FILE = 'sessions.json';
export const SESSION_FILE_FORMAT = 'charrnn-sessions/1';

interface SavedSession {
  id: string;
  model: string;
  created: number;
  last_used: number;
  length: number;
  state: GeneratorSnapshot;
}

interface SessionFileContent {
  format: typeof SESSION_FILE_FORMAT;
  saved_at: string;
  /** Model name → SHA-256 of its ONNX bytes. */
  models: Record<string, string>;
  sessions: SavedSession[];
}

export class SessionFile {
  readonly path: string;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    dir: string,
    private readonly store: SessionStore,
    private readonly models: ModelRegistry,
  ) {
    this.path = path.resolve(dir, SESSION_FILE);
  }

  /**
   * Restores the saved sessions, if the file exists; returns how many. Throws a
   * ServerOptionError naming the file and every problem if a session's model is not served or
   * is not the model it was saved with.
   */
  async restore(): Promise<number> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw new ServerOptionError(`cannot read the saved sessions ${this.path}: ${(error as Error).message}`);
    }
    let content: SessionFileContent;
    try {
      content = JSON.parse(text) as SessionFileContent;
    } catch {
      throw new ServerOptionError(`${this.path} is not valid JSON; it is not a session file this server wrote (move it away to start without its sessions)`);
    }
    if (content?.format !== SESSION_FILE_FORMAT || !Array.isArray(content.sessions) || typeof content.models !== 'object' || content.models === null) {
      throw new ServerOptionError(`${this.path} has format ${JSON.stringify(content?.format)}; expected "${SESSION_FILE_FORMAT}" with models and sessions`);
    }
    const problems: string[] = [];
    for (const [name, sha256] of Object.entries(content.models)) {
      const served = this.models.all.find((m) => m.name === name);
      if (served === undefined) problems.push(`its sessions of model "${name}" need that model, which this server does not serve (it serves ${this.models.all.map((m) => `"${m.name}"`).join(', ')})`);
      else if (served.sha256 !== sha256) problems.push(`model "${name}" is not the model its sessions were saved with (sha256 ${sha256.slice(0, 12)}…, served ${served.sha256.slice(0, 12)}…)`);
    }
    if (problems.length > 0) {
      throw new ServerOptionError(`cannot restore the sessions in ${this.path}: ${problems.join('; ')}. Serve the same models, or move the file away to start without them`);
    }
    for (const [i, saved] of content.sessions.entries()) {
      const model = this.models.get(saved.model);
      let restored;
      try {
        restored = fromSnapshot(model.info, saved.state);
      } catch (error) {
        throw new ServerOptionError(`${this.path}: sessions[${i}] (${saved.id}): ${(error as Error).message}`);
      }
      this.store.adopt({ id: saved.id, model: saved.model, created: saved.created, lastUsed: saved.last_used, length: saved.length, state: restored.stream, rng: Rng.fromState(restored.rng) });
    }
    return content.sessions.length;
  }

  /** Writes every live session (one at a time: a save waits for the one before it). */
  save(): Promise<void> {
    this.saving = this.saving.catch(() => undefined).then(() => this.write());
    return this.saving;
  }

  private async write(): Promise<void> {
    const sessions = this.store.list();
    const content: SessionFileContent = {
      format: SESSION_FILE_FORMAT,
      saved_at: new Date().toISOString(),
      models: Object.fromEntries([...new Set(sessions.map((s) => s.model))].map((name) => [name, this.models.get(name).sha256])),
      sessions: sessions.map((s) => ({
        id: s.id,
        model: s.model,
        created: s.created,
        last_used: s.lastUsed,
        length: s.length,
        state: toSnapshot(this.models.get(s.model).info, s.state, s.rng.state(), 'base64'),
      })),
    };
    await writeFileAtomic(this.path, JSON.stringify(content));
  }
}
