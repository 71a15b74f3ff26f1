// train:fit as a user runs it (bundled from source, in a child process): flags, exit codes and
// messages, a run to completion, Ctrl-C (exit 130 with a checkpoint at the batch it stopped) and
// --resume from it.
import { access, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readEmbeddedCorpus } from '@charrnn/data/node';
import { bundleCli, runCli } from '../../../../tools/cli-under-test.mjs';
import { currentCheckpointDirectory } from '../checkpoint/checkpoint-sets.js';
import type { TrainerRecord } from '../trainer/training-checkpoint.js';
import { bundleWorker } from '../engine/test-helpers/worker-bundle.js';

let cli: string;
let dir: string;
let corpus: string;
const exists = (file: string) => access(file).then(() => true, () => false);
const trainerOf = async (run: string) => JSON.parse(await readFile(path.join(run, 'trainer.json'), 'utf8')) as TrainerRecord;
// A small model on the first 40,000 characters: ~1,000 batches an epoch at bs 4, of which each
// epoch trains --max-batches.
const model = ['--embed', '8', '--hidden', '16', '--bs', '4', '--bptt', '8', '--engine', 'ort'];

beforeAll(async () => {
  cli = await bundleCli(fileURLToPath(new URL('./fit.ts', import.meta.url)));
  // The data-parallel engine's worker module, beside the CLI as a build has it.
  await bundleWorker(fileURLToPath(new URL('../ort/parallel-worker.ts', import.meta.url)), ['onnxruntime-node', 'onnxruntime-common'], path.join(path.dirname(cli), 'parallel-worker.js'));
  dir = await mkdtemp(path.join(tmpdir(), 'charrnn-fit-cli-'));
  corpus = path.join(dir, 'corpus.txt');
  await writeFile(corpus, (await readEmbeddedCorpus()).slice(0, 40_000));
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('train:fit', () => {
  test('--help lists the flags and exits 0', async () => {
    const r = await runCli(cli, ['--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--corpus', '--arch', '--schedule', '--epochs', '--resume', '--overwrite', '--out', '--engine', '--device', '--max-batches']) expect(r.stdout).toContain(flag);
  });

  test('bad flags exit 1 naming the flag and what is valid, before any training', async () => {
    const out = path.join(dir, 'never');
    const cases: [string[], RegExp][] = [
      [['--hidden', '0'], /option '--hidden <n>' argument '0' is invalid/],
      [['--arch', 'transformer'], /argument 'transformer' is invalid\. Allowed choices are rnn, gru, lstm/],
      [['--schedule', '6@1e-3', '--epochs', '2'], /give either --schedule or --epochs\/--lr, not both/],
      [['--schedule', 'six@fast'], /option '--schedule <spec>' argument 'six@fast' is invalid/],
      [['--no-such-flag'], /unknown option '--no-such-flag'/],
      [['--engine', 'tfjs', '--device', 'cuda'], /error: --device cuda is for the ONNX Runtime engine, which --engine tfjs does not use; drop --device, or train with --engine ort \(or auto\)/],
      [['--engine', 'ort', '--backend', 'wasm'], /error: --backend wasm is for the tfjs engine, which --engine ort does not use; drop --backend, or train with --engine tfjs \(or auto\)/],
      [['--hidden', '1e8', '--engine', 'ort', '--corpus', path.join(dir, 'corpus.txt')], /error: the model is too large: gru e42 h100000000 × 1 layers \(vocab \d+\) has .* parameters, and rnn\.weight_hh_l0 \[300000000, 100000000\] alone has .*; lower the hidden size, the layers or the embedding size \(--hidden, --layers, --embed\)$/m],
      [['--embed-dropout', '1'], /option '--embed-dropout <p>' argument '1' is invalid\. expected a number in \[0, 1\)/],
      [['--weight-drop', '-0.1'], /option '--weight-drop <p>' argument '-0.1' is invalid/],
      [['--weight-decay', 'lots'], /option '--weight-decay <λ>' argument 'lots' is invalid\. expected a number ≥ 0/],
      [['--tie', 'yes'], /option '--tie \[bool\]' argument 'yes' is invalid\. expected true or false/],
      [['--tie', '--embed', '8', '--hidden', '16'], /tie needs the embedding size to equal the hidden size .* got embed 8 and hidden 16/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(cli, [...args, '--out', out]);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toMatch(message);
      expect(r.stdout).not.toMatch(/epoch\s+trn_loss/);
    }
    const badTrigger = await runCli(cli, ['--out', out], { env: { CHARRNN_FIT_SIGINT_AT_STEP: '0' } });
    expect(badTrigger.code).toBe(1);
    expect(badTrigger.stderr).toMatch(/CHARRNN_FIT_SIGINT_AT_STEP is "0"; expected a step number \(an integer ≥ 1\)/);
    expect(await exists(out)).toBe(false);
  });

  test('a corpus that cannot be read, or is too small for one batch, exits 1 with the reason', async () => {
    const missing = await runCli(cli, ['--corpus', path.join(dir, 'missing.txt'), ...model, '--out', path.join(dir, 'x')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(new RegExp(`^error: .*${path.join(dir, 'missing.txt').replace(/[.]/g, '\\.')}`, 'm'));
    const tiny = path.join(dir, 'tiny.txt');
    await writeFile(tiny, 'the quick brown fox\n'.repeat(3));
    const small = await runCli(cli, ['--corpus', tiny, '--min-freq', '1', ...model, '--bs', '64', '--out', path.join(dir, 'y')]);
    expect(small.code).toBe(1);
    expect(small.stderr).toMatch(/error: .*too few for one batch at batch size 64, BPTT 8/);
    expect(await exists(path.join(dir, 'y', 'trainer.json'))).toBe(false);
  });

  test('an --out that holds a run is refused, pointing to --resume and --overwrite; --overwrite trains a new run there', async () => {
    const out = path.join(dir, 'taken');
    const quick = ['--corpus', corpus, ...model, '--max-batches', '4'];
    expect((await runCli(cli, [...quick, '--epochs', '2', '--out', out])).code).toBe(0);
    const before = await readdir(out);
    const refused = await runCli(cli, [...quick, '--epochs', '1', '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`error: --out ${out} holds a run (${path.join(out, 'current.json')}); continue it with --resume ${out}, choose another --out, or add --overwrite to replace it`);
    expect(refused.stdout).not.toMatch(/corpus /); // refused before the corpus is read
    expect(await readdir(out)).toEqual(before);
    expect(await trainerOf(out)).toMatchObject({ step: 8, complete: true });

    const replaced = await runCli(cli, [...quick, '--epochs', '1', '--max-batches', '3', '--out', out, '--overwrite']);
    expect(replaced.code).toBe(0);
    expect(await trainerOf(out)).toMatchObject({ epoch: 1, step: 3, complete: true, totalEpochs: 1 });
  }, 120_000);

  test('--workers 2 trains on the ONNX Runtime engine data-parallel, saying so, to a complete run', async () => {
    const out = path.join(dir, 'parallel');
    const r = await runCli(cli, ['--corpus', corpus, ...model, '--workers', '2', '--epochs', '1', '--max-batches', '20', '--out', out]);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0, stderr: expect.not.stringMatching(/error/i) });
    expect(r.stdout).toContain('engine: using onnxruntime-node on the CPU: 2 data-parallel workers (1 intra-op thread each)');
    expect(await trainerOf(out)).toMatchObject({ epoch: 1, step: 20, complete: true });
  }, 120_000);

  test('--corpus trains on the text as written (line breaks and case kept, recorded as charrnn.text); --text lesson joins the lines and lower-cases', async () => {
    const header = async (run: string) => {
      const bytes = await readFile(path.join(run, 'model.safetensors'));
      const length = Number(bytes.readBigUInt64LE(0));
      return (JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as { __metadata__: Record<string, string> }).__metadata__;
    };
    // The embedded corpus is lower-case: each line starts with a capital here.
    const cased = path.join(dir, 'cased.txt');
    await writeFile(cased, (await readFile(corpus, 'utf8')).replace(/^./gm, (c) => c.toUpperCase()));
    const faithful = path.join(dir, 'faithful');
    const r1 = await runCli(cli, ['--corpus', cased, ...model, '--epochs', '1', '--max-batches', '20', '--valid-fraction', '0.1', '--out', faithful]);
    expect(r1.code).toBe(0);
    expect(r1.stdout).toMatch(/\(faithful text\)/);
    const m1 = await header(faithful);
    expect([m1['charrnn.text'], m1['charrnn.lower']]).toEqual(['faithful', 'false']);
    const v1 = JSON.parse(m1['charrnn.vocab']) as string[];
    expect(v1).toEqual(expect.arrayContaining(['\n', 'T', 'A']));
    // The split is by characters: 10% of the 40,000 validate.
    expect(r1.stdout).toMatch(/train 36000 chars, valid 4000 chars/);
    const saved = await trainerOf(faithful);
    expect([saved.options.text, saved.options.lower, saved.options.validFraction]).toEqual(['faithful', false, 0.1]);

    const lesson = path.join(dir, 'lesson');
    const r2 = await runCli(cli, ['--corpus', cased, ...model, '--epochs', '1', '--max-batches', '20', '--text', 'lesson', '--out', lesson]);
    expect(r2.code).toBe(0);
    const m2 = await header(lesson);
    expect([m2['charrnn.text'], m2['charrnn.lower']]).toEqual(['lesson', 'true']);
    const v2 = JSON.parse(m2['charrnn.vocab']) as string[];
    expect(v2).not.toContain('\n');
    expect(v2).not.toContain('T');
  }, 120_000);

  test('--minutes: bad budgets and corpora too small are refused naming the limit; a short budget plans, trains, validates and completes', async () => {
    const out = path.join(dir, 'budget');
    const tiny = path.join(dir, 'tiny-budget.txt');
    await writeFile(tiny, 'the quick brown fox\n'.repeat(5));
    const cases: [string[], RegExp][] = [
      [['--minutes', '0'], /option '--minutes <n>' argument '0' is invalid/],
      [['--minutes', '-2'], /option '--minutes <n>' argument '-2' is invalid/],
      [['--minutes', '20000'], /--minutes 20000 is not a training budget: give a number of minutes above 0 and at most 10080 \(a week\)/],
      [['--minutes', '3', '--epochs', '2'], /give either --minutes \(a time budget\) or --epochs, not both/],
      [['--minutes', '3', '--schedule', '6@1e-3'], /--minutes trains to a time budget with a cosine schedule over it \("cosine@<lr>"\), not "6@1e-3"/],
      [['--minutes', '1', '--corpus', tiny], /too small for any time-budget recipe: it has 80 training and 20 validation characters; the smallest recipe \(batch 8, BPTT 16\) needs at least 256 and 16/],
      // Planning alone (a second's warm-up) outlasts 0.06 s.
      [['--minutes', '0.001', '--corpus', corpus, ...model], /--minutes 0\.001 \(0 s\) is too short to train and validate once: planning took .* give at least --minutes [0-9.]+/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(cli, [...args, '--out', out]);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toMatch(message);
    }
    expect(await exists(out)).toBe(false);

    // The model is given (small, so the run is not at the mercy of a busy machine's graph builds); the rest is planned.
    const r = await runCli(cli, ['--corpus', corpus, '--minutes', '0.25', '--hidden', '16', '--embed', '8', '--layers', '1', '--bs', '8', '--bptt', '16', '--engine', 'ort', '--out', out]);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0, stderr: expect.not.stringMatching(/error/i) });
    expect(r.stdout).toMatch(/^plan for 0\.25 min: .* parameters/m);
    expect(r.stdout).toMatch(/^ {2}hidden +16 +given$/m);
    // The peak rate depends on the passes this machine's speed affords (peakLearningRate): 1.5e-3 to 3e-3, the same in the table, its reason and the saved run.
    const planned = /^ {2}schedule +cosine@([0-9.e-]+),warmup=0\.03,final=0\.05 +Adam at \1,/m.exec(r.stdout);
    expect(planned).not.toBeNull();
    const peak = Number(planned![1]);
    expect(peak).toBeGreaterThanOrEqual(1.5e-3);
    expect(peak).toBeLessThanOrEqual(3e-3);
    const saved = await trainerOf(out);
    expect(saved).toMatchObject({ complete: true, totalEpochs: null, options: { minutes: 0.25, hidden: 16, text: 'faithful', schedule: `cosine@${planned![1]},warmup=0.03,final=0.05` } });
    expect(saved.history.length).toBeGreaterThanOrEqual(1);
    const vocab = Number(/corpus .*: vocab (\d+),/.exec(r.stdout)![1]);
    expect(saved.history[saved.history.length - 1].validLoss).toBeLessThan(Math.log(vocab)); // better than an untrained model
  }, 180_000);

  test('Ctrl-C exits 130 with a checkpoint at the batch it stopped; --resume finishes the run; flags that differ are refused', async () => {
    const out = path.join(dir, 'run');
    const args = ['--corpus', corpus, ...model, '--epochs', '2', '--max-batches', '500', '--out', out];
    // The CLI sends itself SIGINT after step 507 (epoch 2, batch 7), on any machine, fast or busy;
    // the signal is handled between batches, so the loop stops after batch 7 or, if the engine's
    // step resolved before the signal was read, after batch 8.
    const interrupted = await runCli(cli, args, { env: { CHARRNN_FIT_SIGINT_AT_STEP: '507' } });
    expect({ code: interrupted.code, signal: interrupted.signal }).toEqual({ code: 130, signal: null });
    expect(interrupted.stderr).toContain('SIGINT: finishing this batch and saving a checkpoint');
    // The loop's line names where it saved; the command line adds how to continue.
    const where = /^interrupted at epoch (\d) batch (\d+); checkpoint saved to (.+)$/m.exec(interrupted.stdout);
    const advice = /^resume with --resume (.+)$/m.exec(interrupted.stdout);
    expect([where, advice]).not.toContain(null);
    const [, epoch, batch, savedTo] = where!;
    const resumeWith = advice![1];
    expect([savedTo, resumeWith]).toEqual([out, out]);
    expect(epoch).toBe('2');
    expect([7, 8]).toContain(Number(batch));
    const saved = await trainerOf(out);
    expect(saved).toMatchObject({ epoch: 1, batch: Number(batch), step: 500 + Number(batch), complete: false });
    expect(saved.history.map((r) => r.epoch)).toEqual([1]);
    expect(await exists(path.join(await currentCheckpointDirectory(out), 'hidden.safetensors'))).toBe(true);

    const refused = await runCli(cli, ['--resume', out, '--hidden', '32']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`--resume ${out.replace(/[.]/g, '\\.')} continues that run with its own options; these differ from it: hidden 32 \\(saved: 16\\)`));

    const resumed = await runCli(cli, ['--resume', out]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`resuming ${out} at epoch 2, batch ${batch} (step ${500 + Number(batch)})`);
    expect(resumed.stdout).toContain(`done: 1000 steps; checkpoint in ${out}`);
    const done = await trainerOf(out);
    expect(done).toMatchObject({ epoch: 2, batch: 0, step: 1000, complete: true });
    expect(done.history.map((r) => r.epoch)).toEqual([1, 2]);
    const vocab = Number(/corpus .*: vocab (\d+),/.exec(resumed.stdout)![1]);
    expect(done.history[1].validLoss).toBeLessThan(Math.log(vocab)); // better than an untrained model
    expect(await exists(path.join(await currentCheckpointDirectory(out), 'hidden.safetensors'))).toBe(false);

    const again = await runCli(cli, ['--resume', out]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/holds a complete run \(2 epochs, step 1000\); nothing to resume/);

    const nothing = await runCli(cli, ['--resume', path.join(dir, 'no-run')]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/error: cannot resume: .*no-run.*trainer\.json is unreadable/);
  }, 240_000);
});
