import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { FileWriteError } from '../errors.js';
import { checkFileTarget, writeFileAtomic, writeFileDurably } from './atomic-write.js';

/**
 * A runner of `call` (an expression of `target` and `size`) in a child process under `ulimit -f 8`
 * (8 blocks): the limit has to be set before the process starts, so the module is bundled from
 * source into `dir`/child.mjs. The runner prints 'ok' or the error's name, code and message as JSON.
 */
async function underFileSizeLimit(dir: string, call: string, target: string): Promise<(size: number) => Promise<string>> {
  const script = join(dir, 'child.mjs');
  await build({
    stdin: {
      contents: `import { writeFileAtomic } from './atomic-write.ts';
        const target = process.argv[2];
        const size = Number(process.argv[3]);
        ${call}.then(() => console.log('ok'), (e) => console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })));`,
      resolveDir: fileURLToPath(new URL('.', import.meta.url)),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: script,
    logLevel: 'silent',
  });
  return async (size) => (await promisify(execFile)('sh', ['-c', `ulimit -f 8 && exec "${process.execPath}" "${script}" "${target}" ${size}`])).stdout.trim();
}

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

  test('a target that is a directory is refused by name, leaving no temp file', async () => {
    const target = join(dir, 'is-a-dir');
    await writeFile(join(dir, 'keep.txt'), 'k');
    await mkdir(join(target, 'child'), { recursive: true });
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow(FileWriteError);
    await expect(writeFileAtomic(target, 'data')).rejects.toMatchObject({ code: 'EISDIR', message: `cannot write ${target}: it is a directory; give the path of a file` });
    expect((await readdir(dir)).sort()).toEqual(['is-a-dir', 'keep.txt']);
  });

  test('a path under a regular file names that file', async () => {
    const file = join(dir, 'plain.txt');
    await writeFile(file, 'k');
    await expect(writeFileAtomic(join(file, 'sub', 'x.onnx'), 'data')).rejects.toMatchObject({
      code: 'ENOTDIR',
      message: `cannot write ${join(file, 'sub', 'x.onnx')}: ${file} is a file, not a directory`,
    });
    expect(await readdir(dir)).toEqual(['plain.txt']);
  });

  test('a path under a device file names it too', async () => {
    await expect(checkFileTarget('/dev/null/x.onnx')).rejects.toMatchObject({ code: 'ENOTDIR', message: 'cannot write /dev/null/x.onnx: /dev/null is a file, not a directory' });
  });

  test('relative paths are checked up to the working directory', async () => {
    const file = join(dir, 'plain.txt');
    await writeFile(file, 'k');
    const under = relative(process.cwd(), join(file, 'x.onnx'));
    await expect(checkFileTarget(under)).rejects.toThrow(`cannot write ${under}: ${relative(process.cwd(), file)} is a file, not a directory`);
    await expect(checkFileTarget(join('no-such-folder-here', 'x.onnx'))).resolves.toBeUndefined();
  });

  test('a write that fails part-way (here the file size limit; ENOSPC alike) names the file and says the old one is intact', async () => {
    const target = join(dir, 'model.safetensors');
    await writeFile(target, 'previous checkpoint');
    const run = await underFileSizeLimit(dir, 'writeFileAtomic(target, new Uint8Array(size))', target);
    const failed = JSON.parse(await run(64 * 1024));
    expect(failed).toEqual({
      name: 'FileWriteError',
      code: 'EFBIG',
      message: `could not write ${target} (EFBIG: file too large, write); the previous ${target} is intact`,
    });
    expect(await readFile(target, 'utf8')).toBe('previous checkpoint');
    expect((await readdir(dir)).sort()).toEqual(['child.mjs', 'model.safetensors']);
    await rm(target);
    expect(JSON.parse(await run(64 * 1024)).message).toMatch(/\(EFBIG: file too large, write\); nothing was written at /);
    expect(await readdir(dir)).toEqual(['child.mjs']);
    expect(await run(1000)).toBe('ok');
  });

  // In-process failures: the ulimit tests above run the code in a child process, where a mutation
  // tester's instrumented copy is not the one running. A value the file handle refuses fails the
  // write after the temp file was opened, which is the path a full disk takes.
  const refused = {} as unknown as Uint8Array;
  const refusal = 'The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received an instance of Object';

  test('a write that fails after its temp file was opened leaves the previous file and no temp file', async () => {
    const target = join(dir, 'model.safetensors');
    await writeFile(target, 'previous checkpoint');
    const failure = writeFileAtomic(target, refused);
    await expect(failure).rejects.toThrow(FileWriteError);
    await expect(failure).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: `could not write ${target} (${refusal}); the previous ${target} is intact` });
    expect(await readFile(target, 'utf8')).toBe('previous checkpoint');
    expect(await readdir(dir)).toEqual(['model.safetensors']);
    const fresh = join(dir, 'new.json');
    await expect(writeFileAtomic(fresh, refused)).rejects.toThrow(`could not write ${fresh} (${refusal}); nothing was written at ${fresh}`);
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  test('every file handle is closed (a checkpoint per epoch must not leak descriptors)', async () => {
    // Counted after each write: a leaked handle is closed only when garbage-collected, which may
    // happen at any time, but not between one write and the next count.
    const open = async () => (await readdir('/dev/fd')).length;
    const before = await open();
    const after: number[] = [];
    for (let i = 0; i < 4; i++) {
      await writeFileAtomic(join(dir, `f${i}.txt`), 'x');
      after.push((await open()) - before);
    }
    expect(after).toEqual([0, 0, 0, 0]);
  });

  test('a name too long for the temp file, or a folder name too long to create, is a FileWriteError naming the path', async () => {
    const long = join(dir, `${'m'.repeat(245)}.onnx`); // 250 bytes: fits, its temp name does not
    const failure = writeFileAtomic(long, 'x');
    await expect(failure).rejects.toThrow(FileWriteError);
    await expect(failure).rejects.toMatchObject({ code: 'ENAMETOOLONG', message: expect.stringMatching(new RegExp(`^could not write ${long} \\(ENAMETOOLONG: .*\\); nothing was written at ${long}$`)) });
    const folder = join(dir, 'f'.repeat(300));
    await expect(writeFileAtomic(join(folder, 'x.onnx'), 'x')).rejects.toMatchObject({
      name: 'FileWriteError',
      code: 'ENAMETOOLONG',
      message: expect.stringMatching(new RegExp(`^cannot write ${join(folder, 'x.onnx')}: ENAMETOOLONG: `)),
    });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('writeFileDurably', () => {
  test('creates a file, and truncates a longer one it replaces (no old bytes left at its end)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'charrnn-durable-'));
    try {
      const file = join(dir, 'f.bin');
      await writeFileDurably(file, new Uint8Array([1, 2, 3, 4, 5]));
      expect([...(await readFile(file))]).toEqual([1, 2, 3, 4, 5]);
      await writeFileDurably(file, 'ab');
      expect(await readFile(file, 'utf8')).toBe('ab');
      // The checkpoint sets write through it with Node's errors (a missing folder is not created).
      await expect(writeFileDurably(join(dir, 'missing', 'f.bin'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
