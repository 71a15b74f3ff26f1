module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: require('./package.json').name,
  // The parity test runs onnxruntime-node, which needs the typed arrays of Node's main realm.
  testEnvironment: require('node:path').join(__dirname, '../../tools/jest-ort-environment.cjs'),
};
