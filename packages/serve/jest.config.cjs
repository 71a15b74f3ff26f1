// onnxruntime-node returns typed arrays from Node's main realm; export's test environment shares
// the typed-array constructors with jest's vm context (one file, reused rather than copied).
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: require('./package.json').name,
  testEnvironment: require('node:path').join(__dirname, '../export/jest-environment.cjs'),
};
