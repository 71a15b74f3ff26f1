// ESLint over the TypeScript that the packages' tsconfig.json files type-check, with
// typescript-eslint's type-aware rules. Each package's `lint` target runs `tsc` and then
// `eslint .` from its own directory, after nx has built the packages it imports: the type-aware
// rules read their .d.ts from dist/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // JavaScript here is configuration, generated output or the consumer fixture app (compiled by
    // the consumer test with its own settings); the TypeScript is what the rules check.
    ignores: ['**/dist/**', '**/dist-*/**', '**/node_modules/**', '**/*.js', '**/*.cjs', '**/*.mjs', '**/*.d.mts', 'tools/consumer/app/**'],
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
);
