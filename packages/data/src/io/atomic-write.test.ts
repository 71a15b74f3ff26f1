import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '@charrnn/data/node';

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'charrnn-atomic-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('writes text and bytes, creating parent directories, leaving no temp file', async () => {
    await writeFileAtomic(join(dir, 'a', 'b', 'x.txt'), 'héllo');
    await writeFileAtomic(join(dir, 'y.bin'), Uint8Array.from([0, 255, 7]));
    expect(await readFile(join(dir, 'a', 'b', 'x.txt'), 'utf8')).toBe('héllo');
    expect([...(await readFile(join(dir, 'y.bin')))]).toEqual([0, 255, 7]);
    expect((await readdir(dir)).sort()).toEqual(['a', 'y.bin']);
  });

  test('replaces an existing file whole', async () => {
    const path = join(dir, 'f.txt');
    await writeFile(path, 'old content that is longer');
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['f.txt']);
  });

  test('a failed rename leaves neither the target nor a temp file', async () => {
    const target = join(dir, 'is-a-dir');
    await writeFile(join(dir, 'keep.txt'), 'k');
    await import('node:fs/promises').then((fs) => fs.mkdir(join(target, 'child'), { recursive: true }));
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['is-a-dir', 'keep.txt']);
  });
});
