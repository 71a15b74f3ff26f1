// The consumer test: packs, installs and uses the packages as a user outside the monorepo would.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'consumer',
  testMatch: ['<rootDir>/consumer.test.ts'],
  // Packing builds every package; the install extracts onnxruntime-node and TypeScript.
  testTimeout: 30 * 60_000,
};
