// Shared jest settings: TypeScript through swc as native ESM (the packages are "type": "module"),
// workspace packages resolved to their sources so tests never need a build first.
const path = require('node:path');
const root = __dirname;

module.exports = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleNameMapper: {
    '^@charrnn/([a-z-]+)$': path.join(root, 'packages/$1/src/index.ts'),
    '^@charrnn/([a-z-]+)/([a-z-]+)$': path.join(root, 'packages/$1/src/$2.ts'),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/tools/**/*.test.ts', '<rootDir>/bench/**/*.test.ts'],
  testTimeout: 60000,
  setupFilesAfterEnv: [path.join(root, 'tools/jest-require-assertions.cjs')],
  reporters: ['default', path.join(root, 'tools/jest-totals-reporter.cjs')],
};
