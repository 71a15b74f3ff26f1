import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorpusError } from '@charrnn/data';
import { EMBEDDED_CORPUS_PATH, EMBEDDED_CORPUS_SHA256, readEmbeddedCorpus, readVerifiedCorpus } from '@charrnn/data/node';

describe('embedded corpus', () => {
  test('is nietzsche.txt as published: sha256, bytes, characters, lines', async () => {
    const bytes = readFileSync(EMBEDDED_CORPUS_PATH);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(EMBEDDED_CORPUS_SHA256);
    expect(bytes.length).toBe(600901);
    const text = await readEmbeddedCorpus();
    expect(text).toHaveLength(600893);
    expect(text.split('\n')).toHaveLength(9935);
  });

  test('a file that does not match the checksum is refused, naming both hashes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'charrnn-sha-'));
    try {
      const path = join(dir, 'nietzsche.txt');
      await writeFile(path, 'tampered\n');
      const actual = createHash('sha256').update('tampered\n').digest('hex');
      await expect(readVerifiedCorpus(path, EMBEDDED_CORPUS_SHA256)).rejects.toThrow(CorpusError);
      await expect(readVerifiedCorpus(path, EMBEDDED_CORPUS_SHA256)).rejects.toThrow(
        `corpus ${path} has sha256 ${actual}, expected ${EMBEDDED_CORPUS_SHA256}`,
      );
      await expect(readVerifiedCorpus(join(dir, 'gone.txt'), EMBEDDED_CORPUS_SHA256)).rejects.toThrow(/cannot be read/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
