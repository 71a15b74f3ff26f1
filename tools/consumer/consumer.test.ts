/**
 * What a consumer does, outside the monorepo: pack every package (`npm pack`, whose prepack builds
 * what is published), install the tarballs and onnxruntime-node into a fresh app in the system's
 * temp folder with a plain `npm install` (ONNXRUNTIME_NODE_INSTALL=skip is the only setting, as
 * the READMEs say; no npm configuration in the app), then from there: train a few batches with the
 * train README's library example as written, export with the `charrnn-export` bin, generate with a
 * seed through the `charrnn-generate` bin, `import` and `require()`, and type-check a strict file
 * importing every public entry point without skipLibCheck (TypeScript 5.9, 6 and the current
 * one, node16 and bundler resolution), the README examples among them, and the Node entries without the
 * DOM library; then build a page from infer-web's README import example with Vite (dev server and
 * build) and with the README's esbuild commands, and generate in Chromium the text Node generates.
 * Loads are quiet (no tfjs banner, no CUDA note unless asked), npm reports no engine mismatch, and
 * the app holds one onnxruntime-common. Needs the npm registry (or npm's cache), nothing else online.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { launchChromium } from '../../packages/infer-web/tools/chromium.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const WORKSPACE = join(HERE, '..', '..');
const APP_FILES = join(HERE, 'app');
/** The published packages, in dependency order. */
const PACKAGES = ['contract', 'data', 'graph', 'train', 'export', 'infer-web', 'serve'];
/** The current TypeScript on the npm registry when this test was written (TypeScript 7, the native compiler). */
const CURRENT_TYPESCRIPT = '7.0.2';
/** TypeScript 6, the last JavaScript compiler: its DOM library declares WebGPU too, as 7's does. */
const TYPESCRIPT_6 = '6.0.3';
/** The Vite the infer-web README's bundler section was tested with. */
const VITE = '8.4.1';
const MINUTE = 60_000;

interface Run {
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 10 * MINUTE): Promise<Run> {
  return new Promise((ok, fail) => {
    execFile(command, args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`${command} ${args.join(' ')} (in ${cwd}) failed: ${error.message}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
      else ok({ stdout, stderr });
    });
  });
}

/** A consumer's environment: no npm_config_* or nx settings inherited from `npm test`, only the one the READMEs give. */
function consumerEnv(): NodeJS.ProcessEnv {
  const { PATH, HOME, TMPDIR, LANG } = process.env;
  return { PATH, HOME, ...(TMPDIR ? { TMPDIR } : {}), ...(LANG ? { LANG } : {}), ONNXRUNTIME_NODE_INSTALL: 'skip' };
}

/** The first ```ts block of the train README's "Library" section: the example a user copies. */
async function trainReadmeExample(): Promise<string> {
  const readme = await readFile(join(WORKSPACE, 'packages', 'train', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Library'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error("packages/train/README.md has no ```ts block under '## Library'");
  return match[1];
}

/** The infer-web README's import example (the ```js block under "### 2. An import, with a bundler"). */
async function inferWebImportExample(): Promise<string> {
  const readme = await readFile(join(WORKSPACE, 'packages', 'infer-web', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### 2. An import, with a bundler'));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error("packages/infer-web/README.md has no ```js block under '### 2. An import, with a bundler'");
  return match[1];
}

/** The commands of the infer-web README's esbuild block, one per line, as a user pastes them. */
async function inferWebEsbuildCommands(): Promise<string[]> {
  const readme = await readFile(join(WORKSPACE, 'packages', 'infer-web', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('- **esbuild**'));
  const match = /```sh\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error("packages/infer-web/README.md has no ```sh block after '- **esbuild**'");
  return match[1].split('\n').map((l) => l.trim()).filter(Boolean);
}

async function installedVersion(pkg: string): Promise<string> {
  return JSON.parse(await readFile(join(WORKSPACE, 'node_modules', pkg, 'package.json'), 'utf8')).version as string;
}

describe('a consumer outside the monorepo', () => {
  let work: string;
  let app: string;
  const tarballs = new Map<string, { file: string; files: string[]; manifest: Record<string, unknown>; dir: string }>();
  const sizes: { pkg: string; files: number; packed: number; unpacked: number }[] = [];
  const env = consumerEnv();
  const node = process.execPath;
  const npx = (bin: string, args: string[]) => run(node, [join(app, 'node_modules', '.bin', bin), ...args], app, env);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'charrnn-consumer-'));
    app = join(work, 'app');
    await mkdir(join(work, 'tarballs'), { recursive: true });
  });

  afterAll(async () => {
    if (process.env.CHARRNN_KEEP_CONSUMER) console.log(`consumer app kept in ${app}`);
    else await rm(work, { recursive: true, force: true });
  });

  test('npm pack builds each package (prepack) and packs what users need, nothing else', async () => {
    // Each prepack builds its package with its dependencies through nx; a cache private to this run
    // lets the later packs reuse the builds of the earlier ones instead of rebuilding every chain.
    const packEnv = { ...process.env, NX_SKIP_NX_CACHE: 'false', NX_CACHE_DIRECTORY: join(work, 'nx-cache') };
    for (const pkg of PACKAGES) {
      const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', join(work, 'tarballs')], join(WORKSPACE, 'packages', pkg), packEnv);
      // prepack's build output comes first on stdout; npm's JSON report is the last thing printed.
      const [packed] = JSON.parse(stdout.slice(stdout.lastIndexOf('[\n  {'))) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
      sizes.push({ pkg, files: packed.files.length, packed: packed.size, unpacked: packed.unpackedSize });
      // Checked below as published: later packs rebuild the workspace's dist/ of the packages they depend on.
      const file = join(work, 'tarballs', packed.filename);
      const unpacked = join(work, 'unpacked', pkg);
      await mkdir(unpacked, { recursive: true });
      await run('tar', ['-xzf', file, '-C', unpacked], work, env);
      const manifest = JSON.parse(await readFile(join(unpacked, 'package', 'package.json'), 'utf8')) as Record<string, unknown>;
      tarballs.set(pkg, { file, files: packed.files.map((f) => f.path), manifest, dir: join(unpacked, 'package') });
    }
    const license = await readFile(join(WORKSPACE, 'LICENSE'), 'utf8');
    for (const [pkg, { files, manifest, dir }] of tarballs) {
      // Nothing of the workspace's: tests, helpers, benchmarks, examples, sources, declaration maps
      // (they point at src/), onnxruntime-web's builds and runtimes (onnxruntime-web ships them).
      const unwanted = files.filter((f) => /\.d\.ts\.map$|\.test\.|test-helpers|bench|examples|\.wasm$|^dist\/browser\/ort|^src\/|^tools\/|tsconfig|project\.json|jest/.test(f));
      expect([pkg, unwanted]).toEqual([pkg, []]);
      expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']));
      expect(await readFile(join(dir, 'LICENSE'), 'utf8')).toBe(license);
      expect(manifest).toMatchObject({ license: 'MIT', engines: { node: expect.any(String) }, repository: { directory: `packages/${pkg}` } });
      expect(String(manifest.description).length).toBeGreaterThan(20);
      expect((manifest.keywords as string[]).length).toBeGreaterThan(0);
      for (const [entry, target] of Object.entries(manifest.exports as Record<string, unknown>)) {
        if (typeof target === 'object' && target !== null) expect([pkg, entry, Object.keys(target).at(-1)]).toEqual([pkg, entry, 'default']);
      }
      for (const bin of Object.values((manifest.bin ?? {}) as Record<string, string>)) expect(files).toContain(bin.replace(/^\.\//, ''));
      // Every source-map comment points at a file that ships (a .d.ts.map is not published).
      for (const file of files.filter((f) => /\.(js|d\.ts)$/.test(f))) {
        const comment = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(await readFile(join(dir, file), 'utf8'));
        if (comment && !comment[1].startsWith('data:')) expect([pkg, file, files]).toEqual([pkg, file, expect.arrayContaining([join(dirname(file), comment[1])])]);
      }
      // Every .js.map that ships carries its sources (src/ is not published).
      for (const map of files.filter((f) => f.endsWith('.js.map'))) {
        const parsed = JSON.parse(await readFile(join(dir, map), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
        expect([map, parsed.sourcesContent?.length, parsed.sourcesContent?.every((c) => typeof c === 'string')]).toEqual([map, parsed.sources.length, true]);
      }
    }
    expect(tarballs.get('infer-web')!.files.filter((f) => f.startsWith('dist/browser/')).sort()).toEqual(
      ['dist/browser/infer-web.bundler.js', 'dist/browser/infer-web.bundler.js.map', 'dist/browser/infer-web.js', 'dist/browser/infer-web.js.map'],
    );
    console.log(`packed (npm pack --json):\n${sizes.map((x) => `${x.pkg}: ${x.files} files, ${x.packed} bytes packed, ${x.unpacked} unpacked`).join('\n')}`);
    // The largest stays small: infer-web's, about 0.2 MB packed without onnxruntime-web's 58 MB of wasm.
    expect(Math.max(...sizes.map((x) => x.unpacked))).toBeLessThan(2_000_000);
  }, 30 * MINUTE);

  test('a plain npm install of the tarballs and onnxruntime-node works offline from the registry', async () => {
    await mkdir(app, { recursive: true });
    // On Node 20 the app overrides Fastify's cookie@2 (which declares Node >= 22) as the serve README says.
    const node20 = Number(process.versions.node.split('.')[0]) < 22;
    const manifest = { name: 'charrnn-consumer', private: true, type: 'module', ...(node20 ? { overrides: { cookie: '^1.1.1' } } : {}) };
    await writeFile(join(app, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
    for (const file of await readdir(APP_FILES)) await copyFile(join(APP_FILES, file), join(app, file));
    // A caret range, as the packages declare it: one onnxruntime-common with the onnxruntime-web it brings.
    const ort = `onnxruntime-node@^${await installedVersion('onnxruntime-node')}`;
    // A TypeScript consumer's toolchain beside them, for the type checks below.
    const tooling = [`typescript@${CURRENT_TYPESCRIPT}`, `typescript6@npm:typescript@${TYPESCRIPT_6}`, `@types/node@${await installedVersion('@types/node')}`, `esbuild@${await installedVersion('esbuild')}`, `vite@${VITE}`];
    const specs = [...[...tarballs.values()].map((t) => t.file), ort, ...tooling];
    const { stdout, stderr } = await run('npm', ['install', ...specs], app, env, 15 * MINUTE);
    // Every installed package's Node declaration holds for this Node.
    expect(`${stdout}${stderr}`.split('\n').filter((l) => l.includes('EBADENGINE'))).toEqual([]);
    // One onnxruntime-common: train's and export's ranges meet onnxruntime-node's and -web's.
    const commons = (await run('find', ['node_modules', '-path', '*/onnxruntime-common/package.json'], app, env)).stdout.trim().split('\n');
    expect(commons).toEqual(['node_modules/onnxruntime-common/package.json']);
    const installed = JSON.parse(await readFile(join(app, 'node_modules', '@charrnn', 'train', 'package.json'), 'utf8'));
    expect(installed.version).toBe(tarballs.get('train')!.manifest.version);
  }, 20 * MINUTE);

  test("trains from code with the train README's example, as written", async () => {
    await writeFile(join(app, 'train.mjs'), await trainReadmeExample());
    const { stderr } = await run(node, ['train.mjs'], app, env);
    // A quiet load: its engine line says where it trains; nothing on stderr (no CUDA advice about a workspace).
    expect(stderr).toBe('');
    const trainer = JSON.parse(await readFile(join(app, 'checkpoints', 'mine', 'trainer.json'), 'utf8'));
    expect(trainer.history).toHaveLength(1);
    const [epoch] = trainer.history as { batches: number; trainLoss: number; validLoss: number }[];
    expect(epoch.batches).toBe(100);
    // Below the loss of a uniform guess over the vocabulary: it learned something in 100 batches.
    expect(epoch.validLoss).toBeLessThan(Math.log(60) - 0.5);
  }, 10 * MINUTE);

  test('exports with the charrnn-export bin, verified on onnxruntime-node', async () => {
    const { stdout, stderr } = await npx('charrnn-export', ['--checkpoint', 'checkpoints/mine', '--out', 'model.onnx']);
    // Its verification runs the tfjs model on the cpu backend: without tfjs' "running TensorFlow.js in Node.js" banner.
    expect(`${stdout}${stderr}`).not.toMatch(/TensorFlow\.js in Node\.js|={10}/);
    expect(stdout).toMatch(/verified: 200 chars in \d+ onnxruntime-node calls/);
    expect(stdout).toMatch(/wrote model\.onnx \(\d+ bytes; fused graph, opset 17, float32\)/);
  }, 10 * MINUTE);

  test('generates the same seeded text through the bin, import and require()', async () => {
    const cli = await npx('charrnn-generate', ['--model', 'model.onnx', '--prompt', 'the ', '--max-new-tokens', '60', '--temperature', '0.8', '--seed', '1', '--backend', 'cpu']);
    // backend 'auto' on this CUDA-less install: CPU, quietly (the fallback is information, not a warning).
    const auto = await npx('charrnn-generate', ['--model', 'model.onnx', '--prompt', 'the ', '--max-new-tokens', '60', '--temperature', '0.8', '--seed', '1']);
    expect([auto.stdout, auto.stderr]).toEqual([cli.stdout, '']);
    const viaImport = JSON.parse((await run(node, ['generate.mjs', 'model.onnx'], app, env)).stdout) as { text: string };
    const viaRequire = JSON.parse((await run(node, ['generate.cjs', 'model.onnx'], app, env)).stdout) as { text: string };
    expect(viaImport.text).toHaveLength(60);
    expect(cli.stdout).toBe(`the ${viaImport.text}\n`);
    expect(viaRequire.text).toBe(viaImport.text);
  }, 10 * MINUTE);

  test("every package's bin starts from the install and prints its usage", async () => {
    const bins = [...tarballs.values()].flatMap(({ manifest }) => Object.keys((manifest.bin ?? {}) as Record<string, string>));
    expect(bins.sort()).toEqual(['charrnn-export', 'charrnn-fit', 'charrnn-generate', 'charrnn-lr-find', 'charrnn-prepare', 'charrnn-serve', 'charrnn-triton', 'charrnn-web-files']);
    for (const bin of bins) {
      // Through the shell as a user types it: the link in node_modules/.bin, its #! line, its mode.
      const { stdout } = await run(join(app, 'node_modules', '.bin', bin), ['--help'], app, env);
      expect([bin, stdout.split('\n')[0]]).toEqual([bin, expect.stringMatching(new RegExp(`^Usage: ${bin} `))]);
    }
  }, 10 * MINUTE);

  test("charrnn-web-files copies infer-web.js and onnxruntime-web's builds and runtimes from the install into a site folder", async () => {
    const { stdout } = await npx('charrnn-web-files', ['site/lib']);
    const listed = stdout.trim().split('\n').map((line) => /^(\S+) \((\d+) bytes\)$/.exec(line)!.slice(1));
    const names = listed.map(([file]) => basename(file));
    expect(names).toEqual(expect.arrayContaining(['infer-web.js', 'ort.wasm.bundle.min.mjs', 'ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.jspi.wasm']));
    expect(names).toHaveLength(11);
    const ortDist = join(app, 'node_modules', 'onnxruntime-web', 'dist');
    for (const [file, bytes] of listed.filter(([file]) => basename(file).startsWith('ort'))) {
      const original = await readFile(join(ortDist, basename(file)));
      expect([file, (await readFile(join(app, file))).equals(original), Number(bytes)]).toEqual([file, true, original.byteLength]);
    }
  }, 5 * MINUTE);

  const compilers: Record<string, () => string> = {
    '5.9': () => join(WORKSPACE, 'node_modules', 'typescript', 'bin', 'tsc'),
    [TYPESCRIPT_6]: () => join(app, 'node_modules', 'typescript6', 'bin', 'tsc'),
    [CURRENT_TYPESCRIPT]: () => join(app, 'node_modules', 'typescript', 'bin', 'tsc'),
  };
  const resolutions = { node16: ['--module', 'node16', '--moduleResolution', 'node16'], bundler: ['--module', 'esnext', '--moduleResolution', 'bundler'] };
  /**
   * tsc's own flags, no tsconfig: strict, the stricter checks `tsc --init` turns on, library checking
   * on. The errors, and the files the check loaded (--listFiles), relative to the app.
   */
  const compile = async (version: string, resolution: keyof typeof resolutions, files: string[], extra: string[] = []): Promise<{ errors: string[]; loaded: string[] }> => {
    const tsc = compilers[version]();
    expect((await run(node, [tsc, '--version'], app, env)).stdout).toContain(`Version ${version}`);
    const flags = ['--noEmit', '--listFiles', '--strict', '--skipLibCheck', 'false', '--target', 'es2022', '--types', 'node', '--noUncheckedIndexedAccess', '--exactOptionalPropertyTypes', ...resolutions[resolution], ...extra];
    const out = await run(node, [tsc, ...flags, ...files], app, env).then(
      ({ stdout }) => stdout,
      (error: Error) => error.message,
    );
    const lines = out.split('\n');
    return { errors: lines.filter((line) => /error TS\d+/.test(line)), loaded: lines.filter((line) => line.startsWith(`${app}/`)).map((line) => line.slice(app.length + 1)) };
  };
  const typeCheck = async (version: string, resolution: keyof typeof resolutions, file: string, extra: string[] = []): Promise<string[]> => (await compile(version, resolution, [file], extra)).errors;
  /** Declarations of tfjs-core, and of the @webgpu/types they reference (which collide with the DOM library of TypeScript 6 and 7). */
  const tfjsTypes = /^node_modules\/(@tensorflow\/tfjs-core|@webgpu\/types)\//;
  const TS6_DECLARATIONS = 'node_modules/@charrnn/train/dist/ts6/';

  test.each(['node16', 'bundler'] as const)("TypeScript 5.9: every public entry point type-checks strictly without skipLibCheck, @charrnn/train/tfjs with tfjs-core's own tensor types, which fit those of the declarations for TypeScript 6 and later (%s resolution)", async (resolution) => {
    // tensor-types.ts: a tfjs-core tensor of each kind goes where the declarations for TypeScript 6 and later ask for ours.
    const { errors, loaded } = await compile('5.9', resolution, ['types.ts', 'tensor-types.ts']);
    expect(errors).toEqual([]);
    expect(loaded).toContain('node_modules/@charrnn/train/dist/tfjs.d.ts');
    expect(loaded.filter((f) => tfjsTypes.test(f)).length).toBeGreaterThan(0);
    // The "types@>=6" condition does not apply: of dist/ts6/ only the stand-in tensor-types.ts imports by path.
    expect(loaded.filter((f) => f.startsWith(TS6_DECLARATIONS))).toEqual([`${TS6_DECLARATIONS}tfjs-tensor.d.ts`]);
  }, 5 * MINUTE);

  test.each([
    [CURRENT_TYPESCRIPT, 'node16'],
    [CURRENT_TYPESCRIPT, 'bundler'],
    [TYPESCRIPT_6, 'node16'],
  ] as const)("TypeScript %s: every public entry point type-checks strictly without skipLibCheck; @charrnn/train/tfjs loads none of tfjs-core's declarations (%s resolution)", async (version, resolution) => {
    const { errors, loaded } = await compile(version, resolution, ['types.ts']);
    expect(errors).toEqual([]);
    // Its declarations for TypeScript 6 and later (the "types@>=6" condition) name our tensor types
    // instead: were a tfjs-core type to leak back into them, @webgpu/types would come along and
    // collide with the DOM library (duplicate identifiers in both).
    expect(loaded).toContain(`${TS6_DECLARATIONS}tfjs.d.ts`);
    expect(loaded).not.toContain('node_modules/@charrnn/train/dist/tfjs.d.ts');
    expect(loaded.filter((f) => tfjsTypes.test(f))).toEqual([]);
  }, 5 * MINUTE);

  test.each([
    ['5.9', 'node16'],
    ['5.9', 'bundler'],
    [CURRENT_TYPESCRIPT, 'node16'],
    [CURRENT_TYPESCRIPT, 'bundler'],
  ] as const)("TypeScript %s: the train README's Library example type-checks as written, strictly, without skipLibCheck (%s resolution)", async (version, resolution) => {
    await writeFile(join(app, 'train-readme.ts'), await trainReadmeExample());
    expect(await typeCheck(version, resolution, 'train-readme.ts')).toEqual([]);
  }, 5 * MINUTE);

  test.each(['5.9', CURRENT_TYPESCRIPT])('TypeScript %s: the Node entries type-check without the DOM library; only onnxruntime-common\'s own declarations need it', async (version) => {
    const errors = await typeCheck(version, 'node16', 'node-entries.ts', ['--lib', 'es2023']);
    // onnxruntime-common's tensor and env declarations name ImageData, WebGLTexture, … (as for any app using onnxruntime-node).
    expect(errors.filter((line) => !line.startsWith('node_modules/onnxruntime-common/'))).toEqual([]);
  }, 5 * MINUTE);

  test(`TypeScript ${CURRENT_TYPESCRIPT}: @charrnn/train/tfjs type-checks without the DOM library too (on 5.9, tfjs-core's own declarations need it)`, async () => {
    const errors = await typeCheck(CURRENT_TYPESCRIPT, 'node16', 'node-tfjs.ts', ['--lib', 'es2023']);
    expect(errors.filter((line) => !line.startsWith('node_modules/onnxruntime-common/'))).toEqual([]);
  }, 5 * MINUTE);

  describe("infer-web's README import example, bundled, generates in Chromium the text Node generates", () => {
    const page = '<!doctype html>\n<meta charset="utf-8">\n<pre id="out"></pre>\n<script type="module" src="/main.js"></script>\n';
    let expected: string;

    beforeAll(async () => {
      // The example's call, in Node: same model, prompt, options and seed give the same text everywhere.
      const { stdout } = await npx('charrnn-generate', ['--model', 'model.onnx', '--prompt', 'the meaning of ', '--max-new-tokens', '300', '--temperature', '0.8', '--seed', '1', '--backend', 'cpu']);
      expected = stdout.slice('the meaning of '.length).replace(/\n$/, '');
      expect(expected).toHaveLength(300);
    }, 5 * MINUTE);

    /** The page's #out once it holds 300 characters, and what the console said. */
    async function generated(url: string): Promise<{ text: string; errors: string[] }> {
      const browser = await launchChromium();
      try {
        const tab = await browser.newPage();
        const errors: string[] = [];
        tab.on('pageerror', (e) => errors.push(e.message));
        tab.on('console', (m) => m.type() === 'error' && !m.text().includes('404') && errors.push(m.text()));
        await tab.goto(url);
        await tab.waitForFunction(() => (document.querySelector('#out')?.textContent ?? '').length >= 300, null, { timeout: 2 * MINUTE }).catch(() => undefined);
        return { text: (await tab.textContent('#out')) ?? '', errors };
      } finally {
        await browser.close();
      }
    }

    /** Runs a server in the app until `use` is done; its URL is the first http://127.0.0.1:N/ it prints. */
    async function serving<T>(args: string[], cwd: string, use: (url: string) => Promise<T>): Promise<T> {
      const child = spawn(node, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      try {
        const url = await new Promise<string>((ok, fail) => {
          const look = (d: Buffer) => {
            out += d.toString();
            // eslint-disable-next-line no-control-regex -- strips the ANSI colour codes (ESC [ … m) from the server's log
            const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out.replace(/\x1b\[[0-9;]*m/g, ''));
            if (m) ok(m[0]);
          };
          child.stdout.on('data', look);
          child.stderr.on('data', look);
          child.on('exit', (code) => fail(new Error(`${args.join(' ')} exited with ${code} before it served: ${out}`)));
        });
        return await use(url);
      } finally {
        child.kill();
      }
    }

    const vite = (dir: string) => join(dir, 'node_modules', 'vite', 'bin', 'vite.js');

    async function viteApp(name: string): Promise<string> {
      const dir = join(app, name);
      await mkdir(join(dir, 'public'), { recursive: true });
      await writeFile(join(dir, 'index.html'), page);
      // As the README says for Vite: the example without wasmPaths, nothing copied.
      const example = await inferWebImportExample();
      const withoutWasmPaths = example.replace(", { wasmPaths: '/lib/' }", '');
      expect(withoutWasmPaths).not.toBe(example);
      await writeFile(join(dir, 'main.js'), withoutWasmPaths);
      await copyFile(join(app, 'model.onnx'), join(dir, 'public', 'nietzsche-gru.onnx'));
      return dir;
    }

    test(`Vite ${VITE} dev server: the example runs without wasmPaths`, async () => {
      const dir = await viteApp('vite-dev');
      const { text, errors } = await serving([vite(app), '--host', '127.0.0.1', '--port', '0'], dir, generated);
      expect([text, errors]).toEqual([expected, []]);
    }, 10 * MINUTE);

    test(`Vite ${VITE} build: each onnxruntime-web runtime emitted once, and the built page runs`, async () => {
      const dir = await viteApp('vite-build');
      await run(node, [vite(app), 'build'], dir, env);
      const assets = await readdir(join(dir, 'dist', 'assets'));
      const runtimes = assets.filter((f) => f.endsWith('.wasm')).map((f) => f.replace(/-[\w-]{8}\.wasm$/, '.wasm')).sort();
      expect(runtimes).toEqual(['ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.jspi.wasm', 'ort-wasm-simd-threaded.wasm']);
      const { text, errors } = await serving([vite(app), 'preview', '--host', '127.0.0.1', '--port', '0'], dir, generated);
      expect([text, errors]).toEqual([expected, []]);
    }, 10 * MINUTE);

    test("esbuild: the README's commands as written, with the example as main.js", async () => {
      const dir = join(app, 'esbuild-site');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'main.js'), await inferWebImportExample());
      const commands = await inferWebEsbuildCommands();
      expect(commands).toHaveLength(2);
      for (const command of commands) await run('sh', ['-c', command], dir, { ...env, PATH: `${join(app, 'node_modules', '.bin')}:${env.PATH}` });
      const site = join(dir, 'site');
      await writeFile(join(site, 'index.html'), page.replace('/main.js', '/assets/main.js'));
      await copyFile(join(app, 'model.onnx'), join(site, 'nietzsche-gru.onnx'));
      // Only the entry and the chunks: onnxruntime-web's three builds are split out, not inlined.
      expect((await readFile(join(site, 'assets', 'main.js'), 'utf8')).length).toBeLessThan(100_000);
      const { text, errors } = await serving([vite(app), 'preview', '--outDir', 'site', '--host', '127.0.0.1', '--port', '0'], dir, generated);
      expect([text, errors]).toEqual([expected, []]);
    }, 10 * MINUTE);
  });
});
