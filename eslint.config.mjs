// ESLint over the TypeScript that the packages' tsconfig.json files type-check, with
// typescript-eslint's type-aware rules, and over the .mjs scripts and configurations (tools/,
// the packages' Stryker configs) with the rules that need no types. Each package's `lint` target
// runs `tsc` and then `eslint .` from its own directory, after nx has built the packages it
// imports: the type-aware rules read their .d.ts from dist/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** What the .mjs scripts may use without importing it (Node's globals; no dependency for the list). */
const NODE_GLOBALS = ['process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'structuredClone', 'fetch', 'AbortController', 'AbortSignal', 'TextEncoder', 'TextDecoder', 'performance', 'queueMicrotask'];

export default tseslint.config(
  {
    // Left out: generated output (builds, the CLI tests' bundles in .cache, Stryker's sandboxes),
    // CommonJS configuration (jest's), the browser example pages (.js, checked by running them)
    // and the consumer fixture app (compiled by the consumer test with its own settings). The .mjs
    // scripts are checked, below without type information.
    ignores: ['**/dist/**', '**/dist-*/**', '**/node_modules/**', '**/.cache/**', '**/.stryker-tmp/**', '**/*.js', '**/*.cjs', '**/*.d.mts', 'tools/consumer/app/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `let x; const f = () => x; x = await …` declares x before the closure that reads it.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // A promise nobody awaits loses its rejection; await it, return it, or `void` it where a
      // rejection is handled on the spot.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `typeof import('…')` stays allowed: page.evaluate bodies run in the browser and type the
      // module they import there inline.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // `const { dropped: _dropped, ...rest } = x` is how a key is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Shapes are printed in messages as `${shape}` ("256,768"); arrays of numbers read right.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowArray: true }],
      // Off: an `async` function that implements a Promise-returning interface without awaiting
      // anything is deliberate here: it turns a synchronous throw into a rejection, which callers
      // (and Fastify's handlers) expect.
      '@typescript-eslint/require-await': 'off',
      // Off: tfjs ops type their result from their inputs' generic rank, so the math code casts
      // each result to the rank it has (`as tf.Tensor2D`) for the reader even where the checker
      // already knows it; the rule would strip those.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  {
    // Tests and their helpers read JSON and fakes as `any` and then assert the values, and build
    // malformed inputs on purpose; typing each read would add no check. Source code keeps these rules.
    files: ['**/*.test.ts', '**/test-helpers/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The .mjs scripts are in no tsconfig (the .d.mts beside some of them type their exports for
    // the TypeScript that imports them), so the type-aware rules cannot run on them; the others
    // do. They run in Node: its globals.
    files: ['**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(NODE_GLOBALS.map((name) => [name, 'readonly'])),
    },
  },
  {
    // A function longer than 100 lines, comments and blank lines counted, mixes concerns: split it
    // along them. Tests and their helpers are left out (a describe body is long by nature);
    // generated code (builds, bundles) is ignored above.
    files: ['**/*.ts', '**/*.mjs'],
    ignores: ['**/*.test.ts', '**/test-helpers/**'],
    rules: { 'max-lines-per-function': ['error', { max: 100, skipBlankLines: false, skipComments: false, IIFEs: true }] },
  },
);
