// onnxruntime-node returns typed arrays from Node's main realm; the workspace's test environment
// shares the typed-array constructors with jest's vm context.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: require('./package.json').name,
  testEnvironment: require('node:path').join(__dirname, '../../tools/jest-ort-environment.cjs'),
};
