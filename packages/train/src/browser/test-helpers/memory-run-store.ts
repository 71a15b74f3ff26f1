// A RunStore in memory, for tests of the worker in Node (the OPFS store is tested in Chromium).
import { CheckpointError } from '../../checkpoint/errors.js';
import type { CheckpointFile } from '../../trainer/training-checkpoint.js';
import type { RunRecord } from '../protocol.js';
import { RunStoreError, type RunStore } from '../run-store.js';

export interface MemoryRunStore extends RunStore {
  /** Every saveCheckpoint call's file names, in order. */
  readonly saves: { id: string; names: string[] }[];
}

export function memoryRunStore(): MemoryRunStore {
  const runs = new Map<string, { record: RunRecord; corpus: string; files?: CheckpointFile[]; note?: string }>();
  const saves: { id: string; names: string[] }[] = [];
  const find = (id: string) => {
    const run = runs.get(id);
    if (!run) throw new RunStoreError(`no stored run ${JSON.stringify(id)}`);
    return run;
  };
  return {
    saves,
    async create(record, corpus) {
      runs.set(record.id, { record: structuredClone(record), corpus });
    },
    async list() {
      return [...runs.values()].map((r) => r.record);
    },
    async get(id) {
      return structuredClone(find(id).record);
    },
    async corpus(id) {
      return find(id).corpus;
    },
    async saveCheckpoint(id, files) {
      find(id).files = files.map((f) => ({ name: f.name, bytes: f.bytes.slice() }));
      saves.push({ id, names: files.map((f) => f.name) });
    },
    async checkpointFiles(id) {
      return find(id).files;
    },
    async checkpoint(id) {
      const files = find(id).files;
      if (!files) return undefined;
      return {
        describe: (name) => `memory ${id}/${name}`,
        async read(name) {
          const file = files.find((f) => f.name === name);
          if (!file) throw new CheckpointError(`memory ${id}/${name} is missing`);
          return file.bytes;
        },
      };
    },
    async remove(id) {
      runs.delete(id);
    },
    async saveNote(id, text) {
      find(id).note = text;
    },
    async note(id) {
      return find(id).note;
    },
  };
}
