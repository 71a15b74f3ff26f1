// The generate CLI end to end, as a user runs it: bundled from source into a file beside the
// package (so that its imports resolve from node_modules) and run in a child process.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { testModel } from '../../test-helpers/models.js';

const PACKAGE = fileURLToPath(new URL('../../../', import.meta.url));
let cli: string;
let dir: string;
let model: string;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [cli, ...args], { maxBuffer: 64 << 20, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
    else child.stdin!.end();
  });
}

/** A prompt from the test vocabulary. */
const promptOf = (n: number): string => Array.from({ length: n }, (_, i) => 'the cat sat. '[i % 13]).join('');

beforeAll(async () => {
  const out = path.join(PACKAGE, '.cache', 'cli-test');
  await mkdir(out, { recursive: true });
  cli = path.join(out, 'generate.mjs');
  await build({
    entryPoints: [path.join(PACKAGE, 'src/node/cli/generate.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: cli,
    logLevel: 'silent',
  });
  dir = await mkdtemp(path.join(tmpdir(), 'charrnn-generate-cli-'));
  model = path.join(dir, 'model.onnx');
  await writeFile(model, testModel('gru'));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('infer-web:generate', () => {
  test('a prompt too long for the command line is refused before onnxruntime is touched, pointing to --prompt-file', async () => {
    // onnxruntime-node 1.30 segfaults in InferenceSession.create once argv passes ~28 kB.
    const r = await run(['--model', model, '--prompt', promptOf(30_000), '--max-new-tokens', '5']);
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 1, signal: null });
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--prompt is 30000 characters.*--prompt-file <path>, or --prompt-file - to read it from standard input/s);
  });

  test('--prompt-file and --prompt-file - (stdin) take long prompts', async () => {
    const prompt = promptOf(50_000);
    const file = path.join(dir, 'prompt.txt');
    await writeFile(file, prompt);
    const fromFile = await run(['--model', model, '--prompt-file', file, '--max-new-tokens', '20', '--temperature', '0']);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout.startsWith(prompt)).toBe(true);
    expect(fromFile.stdout).toHaveLength(prompt.length + 20 + 1);
    const fromStdin = await run(['--model', model, '--prompt-file', '-', '--max-new-tokens', '20', '--temperature', '0'], prompt);
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toBe(fromFile.stdout);
  });

  test('bad prompt sources are named', async () => {
    const both = await run(['--model', model, '--prompt', 'a', '--prompt-file', '-']);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/give --prompt or --prompt-file, not both/);
    const missing = path.join(dir, 'nope.txt');
    const gone = await run(['--model', model, '--prompt-file', missing]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`cannot read --prompt-file ${missing}`);
    const latin1 = path.join(dir, 'latin1.txt');
    await writeFile(latin1, Buffer.from('caf\xe9', 'latin1'));
    const bad = await run(['--model', model, '--prompt-file', latin1]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`--prompt-file ${latin1} is not UTF-8 text`);
  });

  test('options are checked before anything is written or loaded', async () => {
    const r = await run(['--model', path.join(dir, 'missing.onnx'), '--prompt', 'the cat', '--top-p', '2']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/option topP is 2; expected a number in \(0, 1\]/);
    const penalty = await run(['--model', path.join(dir, 'missing.onnx'), '--repetition-penalty', '0']);
    expect(penalty.code).toBe(1);
    expect(penalty.stderr).toMatch(/option repetitionPenalty is 0; expected a finite number > 0/);
  });

  test('the penalty flags reach generation: greedy with a large frequency penalty repeats no character', async () => {
    const args = ['--model', model, '--prompt', 'the ', '--max-new-tokens', '12', '--temperature', '0'];
    const plain = await run(args);
    const penalised = await run([...args, '--frequency-penalty', '1000']);
    expect(plain.code).toBe(0);
    expect(penalised.code).toBe(0);
    const generated = (out: string): string => out.slice('the '.length, -1);
    expect(new Set(generated(plain.stdout)).size).toBeLessThan(12);
    expect(new Set(generated(penalised.stdout)).size).toBe(12);
  });

  test('Ctrl-C stops generation and exits 130, as train:fit does', async () => {
    const child = spawn(process.execPath, [cli, '--model', model, '--prompt', 'the ', '--max-new-tokens', '100000000']);
    let stdout = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.length > 200) resolve();
      }),
    );
    child.kill('SIGINT');
    expect(await exited).toEqual({ code: 130, signal: null });
    expect(stdout.startsWith('the ')).toBe(true);
  });

  test('a reader that closes the pipe early (| head) ends generation: exit 0, nothing on stderr', async () => {
    // The shell's own pipeline: the command's status is PIPESTATUS[0]; without the early end,
    // 10^8 characters would keep it running (the test's timeout), and EPIPE used to print a stack trace.
    const piped = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const script = '"$0" "$1" --model "$2" --prompt "the " --max-new-tokens 100000000 | head -c 100; exit "${PIPESTATUS[0]}"';
      execFile('bash', ['-c', script, process.execPath, cli, model], { timeout: 60_000 }, (_error, stdout, stderr) => resolve({ code: _error ? (_error.code as number) : 0, stdout, stderr }));
    });
    expect(piped).toEqual({ code: 0, stdout: expect.stringMatching(/^the /), stderr: '' });
    expect(piped.stdout).toHaveLength(100);

    // The same from Node: the parent destroys its end after the first output.
    const child = spawn(process.execPath, [cli, '--model', model, '--prompt', 'the ', '--max-new-tokens', '100000000']);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    child.stdout.once('data', () => child.stdout.destroy());
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    expect(await exited).toEqual({ code: 0, signal: null });
    clearTimeout(killer);
    expect(stderr).toBe('');
  });
});
