// The split of src/: core/ runs anywhere (it is what other runtimes build on), web/ runs in
// browsers, node/ in Node. A value import across that line would load onnxruntime or node: modules
// where they cannot run; type-only imports are erased and may cross it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('.', import.meta.url));

/** Specifiers of the imports of `file` that stay in the JavaScript (not `import type`). */
function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'/gm)) if (!m[1]) specifiers.push(m[2]);
  for (const m of text.matchAll(/^import\s+'([^']+)'/gm)) specifiers.push(m[1]);
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) specifiers.push(m[1]);
  return specifiers;
}

function sources(folder: string): string[] {
  return readdirSync(join(SRC, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => join(SRC, folder, f));
}

test('the reader finds value imports and skips type-only ones', () => {
  const generator = valueImports(join(SRC, 'core', 'generator.ts'));
  expect(generator).toEqual(expect.arrayContaining(['@charrnn/contract', './errors.js', './sampler.js']));
  expect(generator).not.toContain('./session.js'); // `import type { … } from './session.js'`
  expect(valueImports(join(SRC, 'node', 'native-session.ts'))).toContain('onnxruntime-node/dist/binding.js');
});

test('core/ imports only core/ and @charrnn/contract', () => {
  const bad = sources('core').flatMap((file) =>
    valueImports(file)
      .filter((s) => !(s.startsWith('./') || s === '@charrnn/contract'))
      .map((s) => `${file.slice(SRC.length)} imports ${s}`),
  );
  expect(bad).toEqual([]);
});

test('web/ imports nothing of node/, node: or onnxruntime-node', () => {
  const bad = sources('web').flatMap((file) =>
    valueImports(file)
      .filter((s) => s.startsWith('node:') || s.startsWith('onnxruntime-node') || s.includes('/node/') || s.startsWith('@charrnn/contract/node'))
      .map((s) => `${file.slice(SRC.length)} imports ${s}`),
  );
  expect(bad).toEqual([]);
});
