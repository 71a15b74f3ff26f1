module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: require('./package.json').name,
  // onnxruntime-node (the tests' runtime) needs the typed arrays of Node's main realm.
  testEnvironment: require('node:path').join(__dirname, '../../tools/jest-ort-environment.cjs'),
};
